"""Thompson sampling and UCB over Beta posteriors."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator.errors import ConfigError

from tests.builtins import make_policy
from tests.policies.policy_sim import EXAMINATION, simulate


def _regret(result) -> np.ndarray:
    m = result.metrics
    return m.filter(m["metric"] == "regret_window")["value"].to_numpy()


def test_thompson_regret_per_window_falls_on_a_stationary_world() -> None:
    """Issue evidence: no new items, no drift; position-aware evidence (coec, known
    curve). Regret per window falls over time: sublinear cumulative regret."""
    res = simulate(make_policy("thompson", "policy.estimator.propensity=known",
                                f"policy.estimator.examination={EXAMINATION}"), seed=0,
                   horizon=30.0,
                   n_users=300, n_items=100, examination=EXAMINATION)
    regret = _regret(res)
    first, middle, last = regret[:5].mean(), regret[10:15].mean(), regret[-5:].mean()
    assert first > middle > last
    assert last < 0.25 * first
    cumulative = np.cumsum(regret)
    # Concave: the second half adds less regret than the first half.
    assert cumulative[-1] - cumulative[14] < 0.5 * cumulative[14]


def test_ucb_explores_then_beats_greedy_ctr() -> None:
    ucb = simulate(make_policy("ucb", "policy.estimator.propensity=known",
                               f"policy.estimator.examination={EXAMINATION}",
                               "policy.selector.exploration=0.3"), seed=1,
                   horizon=20.0, n_users=300, n_items=100, examination=EXAMINATION)
    ctr = simulate(make_policy("ctr"), seed=1, horizon=20.0, n_users=300, n_items=100,
                   examination=EXAMINATION)
    assert _regret(ucb)[-5:].mean() < _regret(ctr)[-5:].mean()
    assert ucb.summary["final_metrics"]["coverage_exposure"] > 0.9


def test_bandits_need_a_posterior() -> None:
    with pytest.raises(ConfigError, match=r"thompson needs an estimator with a Beta posterior; "
                                          r"`policy.estimator` is ClickCount"):
        make_policy("thompson", "policy/estimator=popularity")
    with pytest.raises(ConfigError, match=r"ucb needs an estimator with a Beta posterior"):
        make_policy("ucb", "policy/estimator=mf")
