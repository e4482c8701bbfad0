"""The feedback-loop detector against its definition."""

from __future__ import annotations

import math

import numpy as np
import pytest
from loopsim.simulator.metrics.loop_detector import rank_error_by_exposure


def test_perfect_scores_have_zero_error_everywhere() -> None:
    v = np.array([0.1, 0.5, 0.3, 0.9])
    out = rank_error_by_exposure(v, 10 * v, np.array([5, 3, 1, 1]))
    assert out == {"head": 0.0, "torso": 0.0, "tail": 0.0}


def test_buckets_follow_cumulative_exposure_share_by_hand() -> None:
    # exposure sorted: item 0 (60), item 1 (30), item 2 (10), item 3 (0)
    # before-shares: 0, 0.6, 0.9, 1.0 -> head {0}, torso {1}, tail {2, 3}
    v = np.array([4.0, 3.0, 2.0, 1.0])       # true ranks 4, 3, 2, 1
    s = np.array([4.0, 1.0, 3.0, 2.0])       # score ranks 4, 1, 3, 2
    out = rank_error_by_exposure(v, s, np.array([60, 30, 10, 0]))
    assert out["head"] == 0.0
    assert out["torso"] == pytest.approx(abs(1 - 3) / 4)
    assert out["tail"] == pytest.approx((abs(3 - 2) + abs(2 - 1)) / 4 / 2)


def test_ties_use_average_ranks_and_unshown_items_are_tail() -> None:
    v = np.array([1.0, 2.0, 3.0])
    s = np.zeros(3)                          # every score tied: average rank 2
    out = rank_error_by_exposure(v, s, np.zeros(3))
    assert math.isnan(out["head"]) and math.isnan(out["torso"])
    assert out["tail"] == pytest.approx((1 + 0 + 1) / 3 / 3)


def test_unrelated_scores_have_error_near_one_third() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    out = rank_error_by_exposure(rng.random(n), rng.random(n), rng.random(n))
    for name in ("head", "torso", "tail"):
        assert out[name] == pytest.approx(1 / 3, abs=0.02)


def test_bad_thresholds_are_rejected() -> None:
    with pytest.raises(ValueError, match="head <= torso"):
        rank_error_by_exposure(np.ones(2), np.ones(2), np.ones(2), head=0.9, torso=0.5)


def test_rank_error_from_ranks_equals_rank_error_by_exposure() -> None:
    from loopsim.simulator.metrics.loop_detector import rank_error_from_ranks
    from loopsim.simulator.metrics.ranking import average_ranks, ordering

    rng = np.random.default_rng(3)
    value = rng.random(300)
    scores = rng.integers(0, 20, 300).astype(np.float64)  # ties
    exposure = rng.poisson(rng.pareto(1.0, 300) * 10).astype(np.float64)
    expected = rank_error_by_exposure(value, scores, exposure)
    from_orderings = rank_error_from_ranks(ordering(value).ranks, ordering(scores).ranks,
                                           exposure)
    assert from_orderings == expected
    assert rank_error_from_ranks(average_ranks(value), average_ranks(scores), exposure) == expected
