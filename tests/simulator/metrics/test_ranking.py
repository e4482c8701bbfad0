"""Ranking-recovery metrics against their definitions, brute force and scipy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.metrics.ranking import (
    _count_inversions,
    average_ranks,
    count_inversions_rows,
    kendall_tau_b,
    precision_at_k,
    spearman,
)
from scipy import stats


def tau_b_brute_force(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall tau-b straight from its definition, over all O(n^2) pairs."""
    con = dis = tie_x = tie_y = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        tie_x += sx == 0
        tie_y += sy == 0
        con += sx * sy > 0
        dis += sx * sy < 0
    n0 = len(x) * (len(x) - 1) // 2
    return (con - dis) / math.sqrt((n0 - tie_x) * (n0 - tie_y))


def tied_pair(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 40))
    side = arrays(np.int64, n, elements=st.integers(0, 5))
    return draw(side), draw(side)


tied_pairs = st.composite(tied_pair)()


# -- inversion counting -----------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 3, 15, 16, 17, 33, 100, 257])
def test_count_inversions_matches_brute_force(n: int) -> None:
    rng = np.random.default_rng(n)
    for a in (rng.integers(0, 4, n), rng.permutation(n)):
        brute = sum(int((a[i] > a[i + 1 :]).sum()) for i in range(n))
        assert _count_inversions(a) == brute


@pytest.mark.parametrize("n", [1, 2, 17, 130, 1500])
def test_count_inversions_rows_counts_each_row_as_brute_force(n: int) -> None:
    # Sizes on both sides of the blocks' outer-comparison limit (_OUTER_MAX values).
    rng = np.random.default_rng(n)
    a = np.stack([rng.integers(0, 3, n), rng.permutation(n), np.arange(n)[::-1],
                  rng.integers(0, 50, n)])
    brute = [sum(int((row[i] > row[i + 1 :]).sum()) for i in range(n)) for row in a]
    assert count_inversions_rows(a).tolist() == brute


def test_count_inversions_of_reversed_order() -> None:
    n = 1000
    assert _count_inversions(np.arange(n)[::-1].copy()) == n * (n - 1) // 2


# -- kendall tau-b ----------------------------------------------------------------------


def test_kendall_hand_computed() -> None:
    # pairs of [1, 2, 3] vs [1, 3, 2]: two concordant, one discordant -> 1/3
    assert kendall_tau_b(np.array([1, 2, 3]), np.array([1, 3, 2])) == pytest.approx(1 / 3)
    assert kendall_tau_b(np.arange(5), np.arange(5)[::-1]) == -1.0


@pytest.mark.parametrize("seed", range(6))
def test_kendall_matches_brute_force_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    x = rng.integers(0, 4, n).astype(float)
    y = rng.integers(0, 6, n).astype(float)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        pytest.skip("constant side")
    assert kendall_tau_b(x, y) == pytest.approx(tau_b_brute_force(x, y), abs=1e-12)


@pytest.mark.parametrize(
    ("n", "levels_x", "levels_y"), [(50, 3, 5), (1_000, 10, 4), (20_000, 200, 7), (5_001, 5_000, 2)]
)
def test_kendall_matches_scipy_on_heavy_ties(n: int, levels_x: int, levels_y: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.integers(0, levels_x, n).astype(float)
    y = x * 0.3 + rng.integers(0, levels_y, n)
    expected = stats.kendalltau(x, y, variant="b").statistic
    assert kendall_tau_b(x, y) == pytest.approx(expected, abs=1e-12)


def test_kendall_matches_scipy_continuous() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=3_000)
    y = x + rng.normal(size=3_000)
    assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)


def test_kendall_nan_cases() -> None:
    assert math.isnan(kendall_tau_b(np.array([1.0]), np.array([2.0])))
    assert math.isnan(kendall_tau_b(np.zeros(0), np.zeros(0)))
    assert math.isnan(kendall_tau_b(np.ones(4), np.arange(4)))
    assert math.isnan(kendall_tau_b(np.arange(4), np.full(4, 7)))
    assert math.isnan(kendall_tau_b(np.array([1.0, np.nan, 3.0]), np.arange(3)))


def test_kendall_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="same items"):
        kendall_tau_b(np.arange(3), np.arange(4))


@given(tied_pairs)
def test_kendall_is_symmetric(pair: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = pair
    a, b = kendall_tau_b(x, y), kendall_tau_b(y, x)
    assert (math.isnan(a) and math.isnan(b)) or a == b


@given(arrays(np.float64, st.integers(2, 50), elements=st.floats(-1e6, 1e6), unique=True))
def test_kendall_is_one_on_identical_orders(x: np.ndarray) -> None:
    assert kendall_tau_b(x, x) == 1.0
    assert kendall_tau_b(x, 2 * x) == 1.0  # an increasing transform, exact in floats
    assert kendall_tau_b(x, -x) == -1.0


# -- average ranks and spearman ---------------------------------------------------------


def test_average_ranks_hand_computed() -> None:
    np.testing.assert_array_equal(average_ranks(np.array([10, 20, 20, 5])), [2, 3.5, 3.5, 1])
    np.testing.assert_array_equal(average_ranks(np.array([1, 1, 1])), [2, 2, 2])
    assert average_ranks(np.zeros(0)).shape == (0,)


@given(tied_pairs)
def test_average_ranks_match_scipy(pair: tuple[np.ndarray, np.ndarray]) -> None:
    x, _ = pair
    np.testing.assert_array_equal(average_ranks(x), stats.rankdata(x, method="average"))


@given(tied_pairs)
def test_spearman_matches_scipy(pair: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = pair
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        assert math.isnan(spearman(x, y))
    else:
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)


def test_spearman_hand_computed_and_edges() -> None:
    # ranks [1,2,3] vs [1,3,2]: rho = 1 - 6 * 2 / (3 * 8) = 0.5
    assert spearman(np.array([1, 2, 3]), np.array([10, 30, 20])) == pytest.approx(0.5)
    assert spearman(np.arange(6), np.arange(6) ** 3) == pytest.approx(1.0)
    assert math.isnan(spearman(np.array([1.0]), np.array([1.0])))
    assert math.isnan(spearman(np.ones(3), np.arange(3)))


# -- precision@k ------------------------------------------------------------------------


def test_precision_without_ties() -> None:
    truth = np.array([0.9, 0.8, 0.7, 0.1, 0.0])
    assert precision_at_k(truth, truth, 2) == 1.0
    assert precision_at_k(truth, -truth, 2) == 0.0
    # top-3 by scores {0, 1, 3}; true top-3 {0, 1, 2}: 2 of 3
    assert precision_at_k(truth, np.array([5, 4, 1, 3, 0]), 3) == pytest.approx(2 / 3)


def test_precision_ties_at_the_boundary_are_not_broken_by_order() -> None:
    truth = np.array([0.9, 0.8, 0.7, 0.6])
    # item 0 strictly first; items 1, 2, 3 tie for the one remaining slot (1/3 each);
    # true top-2 = {0, 1}: expected hits = 1 + 1/3.
    scores = np.array([10.0, 1.0, 1.0, 1.0])
    assert precision_at_k(truth, scores, 2) == pytest.approx((1 + 1 / 3) / 2)
    # the same answer whatever the order of the tied items
    perm = np.array([0, 3, 2, 1])
    assert precision_at_k(truth[perm], scores[perm], 2) == pytest.approx((1 + 1 / 3) / 2)


def test_precision_of_constant_scores_is_random_guess() -> None:
    truth = np.random.default_rng(3).random(50)
    assert precision_at_k(truth, np.zeros(50), 5) == pytest.approx(5 / 50)


def test_precision_matches_monte_carlo_tie_breaking() -> None:
    rng = np.random.default_rng(7)
    truth = rng.random(12)
    scores = rng.integers(0, 3, 12).astype(float)
    k, draws = 4, 20_000
    jitter = rng.random((draws, 12))
    top_s = np.argsort(-(scores + 1e-3 * jitter), axis=1)[:, :k]
    true_top = np.argsort(-truth)[:k]
    simulated = np.isin(top_s, true_top).sum(axis=1).mean() / k
    assert precision_at_k(truth, scores, k) == pytest.approx(simulated, abs=0.01)


def test_precision_clips_k_and_handles_empty() -> None:
    assert precision_at_k(np.array([1.0, 2.0]), np.array([2.0, 1.0]), 10) == 1.0
    assert math.isnan(precision_at_k(np.zeros(0), np.zeros(0), 3))


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_precision_rejects_bad_k(k: object) -> None:
    with pytest.raises(ConfigError, match="`k == "):
        precision_at_k(np.ones(3), np.ones(3), k)  # type: ignore[arg-type]


def test_discordant_pairs_updated_across_snapshots_give_the_same_tau() -> None:
    from loopsim.simulator.metrics.ranking import DiscordantPairs, ordering, rank_metrics

    rng = np.random.default_rng(11)
    truth = ordering(rng.random(400))
    clicks = rng.poisson(2.0, 400).astype(np.float64)
    pairs = DiscordantPairs()
    updated = 0
    for step in range(30):
        n_changed = [1, 5, 30, 200][step % 4]  # beyond max_changed: a recount
        changed = rng.choice(400, n_changed, replace=False)
        clicks[changed] += rng.integers(0, 4, n_changed)
        other = ordering(clicks.copy())
        expected = rank_metrics(truth, other, 10)
        assert rank_metrics(truth, other, 10, pairs) == expected
        assert expected[0] == kendall_tau_b(truth.values, other.values)
        updated += n_changed <= DiscordantPairs.max_changed
    assert updated > 0
    tied_truth = ordering(np.round(rng.random(400), 1))  # ties in the truth: recounted
    other = ordering(clicks)
    assert rank_metrics(tied_truth, other, 10, pairs) == rank_metrics(tied_truth, other, 10)
