"""Published results reproduced on the literature worlds (slow statistical tests).

The same functions draw the figures of docs/validation.md
(``python -m loopsim.experiments.reproduce``).
"""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.experiments.reproduce import (
    chaney,
    musiclab,
    trial_offer_quality_ranking,
    trial_offer_static,
)

pytestmark = pytest.mark.slow


def test_static_ranking_shares_converge_to_the_trial_offer_fixed_point() -> None:
    """Maldonado et al.: with r = 0.5, shares -> (v q)^(1/(1-r)) normalised."""
    theory = trial_offer_static(r=0.5, seeds=range(4))
    assert np.all(theory.max_abs_error <= 0.03), theory.max_abs_error


def test_quality_ranking_with_linear_social_signal_ends_in_a_monopoly() -> None:
    """Van Hentenryck et al. 2016: quality ranking, r = 1: the best song takes the market."""
    best = trial_offer_quality_ranking(seeds=range(8))
    assert np.sum(best >= 0.95) >= 6, best


def test_musiclab_social_influence_raises_inequality_and_unpredictability() -> None:
    """Salganik et al. 2006: the social condition is more unequal in every replicate and
    less predictable across replicates."""
    indep, social = musiclab("independent"), musiclab("social")
    assert np.all(social.gini > indep.gini), (social.gini, indep.gini)
    assert social.unpredictability > indep.unpredictability


def test_chaney_homogenization_and_utility() -> None:
    """Chaney et al. 2018: popularity and MF homogenize more than random; the ideal
    recommender (oracle) has the highest utility."""
    result = chaney(seeds=range(3), overrides=["world.n_items=300", "slate_size=300",
                                                "horizon=40", "snapshot_interval=5"])
    h, u = result.homogenization, result.utility
    assert np.all(h["popularity"] > h["random"]), h
    assert np.all(h["mf"] > h["random"]), h
    for policy in ("random", "popularity", "mf"):
        assert np.all(u["oracle"] > u[policy]), u
