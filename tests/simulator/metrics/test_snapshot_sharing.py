"""The snapshot's shared work gives the values of the plain metric functions, bit for bit.

Each shortcut of issue 25 (item 3) against the definition it stands for: the distinct
(user, item) pairs sorted once for homogenization and entropy, the truth's cached side of
Spearman and precision, the memoized concentration measures, the rank-error buckets
taken as slices, and the cached NDCG discounts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from loopsim.simulator.metrics.concentration import (
    Concentration,
    gini,
    normalized_entropy,
)
from loopsim.simulator.metrics.loop_detector import BUCKETS, exposure_buckets, rank_error_from_ranks
from loopsim.simulator.metrics.pair_overlap import PairOverlap
from loopsim.simulator.metrics.ranking import average_ranks, ordering, rank_metrics, spearman
from loopsim.simulator.metrics.served import dcg
from loopsim.simulator.metrics.users import (
    distinct_consumption,
    distinct_ids,
    entropy_of_distinct,
    user_entropy_window,
)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("seed", range(5))
def test_distinct_ids_and_entropy_of_distinct_equal_the_checked_functions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 300))
    users, items = rng.integers(0, 40, n), rng.integers(0, 25, n)
    fast = distinct_ids(users, items)
    slow = distinct_consumption(users, items)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.int64
    assert _same(entropy_of_distinct(fast[0], fast[2]), user_entropy_window(users, items))


@pytest.mark.parametrize("seed", range(5))
def test_add_distinct_equals_add(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_users = int(rng.integers(3, 30))
    first = rng.integers(n_users, size=40)
    pairs = np.stack([first, (first + rng.integers(1, n_users, 40)) % n_users], axis=1)
    plain, shared = PairOverlap(pairs), PairOverlap(pairs)
    for _ in range(5):
        # Some users outside every pair (ids above n_users), so both paths filter.
        u, i = rng.integers(0, n_users + 3, 60), rng.integers(0, 50, 60)
        plain.add(u, i)
        du, di, _ = distinct_ids(u, i)
        shared.add_distinct(du, di)
        assert _same(shared.homogenization(), plain.homogenization())
        np.testing.assert_array_equal(shared._inter, plain._inter)


def test_cached_truth_side_gives_the_array_functions_values() -> None:
    rng = np.random.default_rng(3)
    truth = ordering(rng.random(200))
    for _ in range(3):  # the truth's cached side reused across calls
        clicks = rng.integers(0, 5, 200).astype(float)
        tau, rho, precision = rank_metrics(truth, ordering(clicks), 10)
        assert rho == spearman(truth.values, clicks)
        r = average_ranks(truth.values)
        assert truth.centered_ranks[1] == float((r - r.mean()) @ (r - r.mean()))
    assert truth.top_k_membership(10) is truth.top_k_membership(10)
    assert truth.top_k_membership(5).sum() == pytest.approx(5.0)


def test_concentration_memoizes_the_plain_values() -> None:
    x = np.array([0.0, 3.0, 1.0, 0.0, 7.0])
    c = Concentration(x)
    assert c.gini() == gini(x) == c.gini()
    assert c.normalized_entropy() == normalized_entropy(x) == c.normalized_entropy()
    assert gini(np.arange(7.0)) == Concentration(np.arange(7.0)).gini()  # another n


@pytest.mark.parametrize("seed", range(6))
def test_rank_error_slices_equal_the_bucket_masks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    exposure = rng.integers(0, 4, n).astype(float) * rng.integers(0, 2, n)
    true_ranks = average_ranks(rng.random(n))
    score_ranks = average_ranks(rng.integers(0, 5, n).astype(float))
    got = rank_error_from_ranks(true_ranks, score_ranks, exposure)
    error = np.abs(score_ranks - true_ranks) / n
    bucket = exposure_buckets(exposure)
    order = np.argsort(-exposure, kind="stable")  # the masks, in the exposure order
    for b, name in enumerate(BUCKETS):
        part = error[order][bucket[order] == b]
        assert _same(got[name], float(part.mean()) if part.size else math.nan)


def test_dcg_discounts_follow_the_slate_length() -> None:
    for k in (3, 5, 3):
        g = np.arange(1.0, k + 1.0)[None, :]
        want = float((g[0] / np.log2(np.arange(k) + 2.0)).sum())
        assert dcg(g)[0] == pytest.approx(want, rel=1e-15)
