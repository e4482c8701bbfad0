"""Organic rows are a stated choice of each count-based estimator (``learn_from_organic``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.policies.estimators import BetaCTR, ClicksOverExpected, InversePropensityCTR
from loopsim.simulator.contract.batches import Feedback


def _log(organic: bool) -> Feedback:
    """Item 0 shown 4 times at rank 1 (1 click), item 1 twice at rank 2 (no click);
    with ``organic``, item 1 found 3 times and item 2 (never shown) twice."""
    item = [0, 0, 0, 0, 1, 1] + ([1, 1, 1, 2, 2] if organic else [])
    rank = [1, 1, 1, 1, 2, 2] + ([0] * 5 if organic else [])
    click = [True, False, False, False, False, False] + ([True] * 5 if organic else [])
    source = [0] * 6 + ([1] * 5 if organic else [])
    n = len(item)
    return Feedback(t=np.zeros(n), user=np.arange(n, dtype=np.int64),
                    item=np.asarray(item, dtype=np.int64), rank=np.asarray(rank, np.int16),
                    click=np.asarray(click), reward=np.asarray(click, np.float32),
                    propensity=np.ones(n, np.float32), source=np.asarray(source, np.int8))


ESTIMATORS = [
    lambda **kw: BetaCTR(prior_mean=0.2, prior_strength=10.0, **kw),
    lambda **kw: ClicksOverExpected(prior_mean=0.2, prior_strength=10.0, **kw),
    lambda **kw: InversePropensityCTR(prior_mean=0.2, prior_strength=10.0, **kw),
]
ITEMS = np.arange(3, dtype=np.int64)


@pytest.mark.parametrize("make", ESTIMATORS)
def test_by_default_organic_rows_are_skipped(make) -> None:
    with_organic, without = make(), make()
    with_organic.update(_log(organic=True))
    without.update(_log(organic=False))
    for a, b in zip(with_organic.posterior(ITEMS), without.posterior(ITEMS), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", ESTIMATORS)
def test_learning_from_organic_adds_one_click_and_one_trial_per_row(make) -> None:
    learns, skips = make(learn_from_organic=True), make()
    learns.update(_log(organic=True))
    skips.update(_log(organic=True))
    (a1, b1), (a0, b0) = learns.posterior(ITEMS), skips.posterior(ITEMS)
    np.testing.assert_allclose(a1 - a0, [0.0, 3.0, 2.0])  # successes: the organic rows
    np.testing.assert_allclose(b1 - b0, [0.0, 0.0, 0.0], atol=1e-12)  # trials grew as much
    # the never-shown item found twice now scores above the prior, the others unchanged
    assert learns.scores(ITEMS)[2] > skips.scores(ITEMS)[2] == pytest.approx(0.2)


def test_an_organic_only_batch_bumps_the_model_version() -> None:
    est = ClicksOverExpected(prior_mean=0.2, prior_strength=10.0, learn_from_organic=True)
    log = _log(organic=True)
    est.update(log.select(log.source == 1))
    assert est.version == 1
    assert est.posterior(ITEMS)[0][2] == pytest.approx(2.0 + 2.0)


@pytest.mark.parametrize("name", ["ctr", "coec", "ips"])
def test_the_shipped_default_is_what_the_docs_say(name: str) -> None:
    """docs/cold_start.md: ctr, coec and ips skip organic rows unless told otherwise."""
    conf = yaml.safe_load(Path(CONF_DIR, "policy", "estimator", f"{name}.yaml").read_text())
    assert conf["learn_from_organic"] is False
    docs = Path(__file__).resolve().parents[3] / "docs" / "cold_start.md"
    assert "`policy.estimator.learn_from_organic`" in docs.read_text()
