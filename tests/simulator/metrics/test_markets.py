"""Market shares and Salganik et al.'s unpredictability, on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator.metrics.markets import market_shares, share_distance, unpredictability


def test_market_shares_rows_sum_to_one() -> None:
    np.testing.assert_allclose(market_shares(np.array([[1, 3], [0, 0]])), [[0.25, 0.75], [0, 0]])


def test_unpredictability_definition() -> None:
    assert unpredictability(np.array([[0.5, 0.5], [0.5, 0.5]])) == 0.0
    assert unpredictability(np.array([[1.0, 0.0], [0.0, 1.0]])) == 1.0
    shares = np.array([[0.6, 0.4], [0.5, 0.5], [0.2, 0.8]])
    # item 0: pairs |0.1|, |0.4|, |0.3| -> mean 0.8/3; item 1 the same
    assert unpredictability(shares) == pytest.approx(0.8 / 3)


def test_unpredictability_needs_two_runs() -> None:
    with pytest.raises(ValueError, match="at least 2 runs"):
        unpredictability(np.array([[1.0, 0.0]]))


def test_share_distance_is_the_mean_pairwise_total_variation() -> None:
    shares = np.array([[0.6, 0.4, 0.0], [0.5, 0.3, 0.2], [0.0, 0.0, 1.0]])
    tv = [0.5 * np.abs(shares[j] - shares[k]).sum() for j, k in ((0, 1), (0, 2), (1, 2))]
    assert share_distance(shares) == pytest.approx(np.mean(tv))  # (0.2 + 1 + 0.8) / 3
    assert share_distance(shares) == pytest.approx(2.0 / 3.0)


def test_share_distance_does_not_shrink_with_the_catalogue_but_u_does() -> None:
    """Two runs with disjoint winners: U is 2/n, the distance is 1 at every size."""
    for n in (4, 40, 4000):
        a, b = np.zeros(n), np.zeros(n)
        a[: n // 2], b[n // 2:] = 2.0 / n, 2.0 / n
        assert unpredictability(np.stack([a, b])) == pytest.approx(2.0 / n)
        assert share_distance(np.stack([a, b])) == pytest.approx(1.0)
        same = np.full((2, n), 1.0 / n)
        assert share_distance(same) == 0.0


def test_half_split_unpredictability_is_zero_for_identical_halves_and_positive_otherwise() -> None:
    from loopsim.simulator.metrics.markets import half_split_unpredictability

    same = np.ones((10, 4))                   # every participant downloads every song
    rng = np.random.default_rng(0)
    assert half_split_unpredictability(same, rng, splits=50) == pytest.approx(0.0)
    one_each = np.zeros((2, 4))
    one_each[0, 0] = one_each[1, 1] = 1.0     # two halves of one participant each
    # halves {0} and {1}: shares (1,0,0,0) and (0,1,0,0): U = mean |diff| = 2/4
    assert half_split_unpredictability(one_each, rng, splits=5) == pytest.approx(0.5)
