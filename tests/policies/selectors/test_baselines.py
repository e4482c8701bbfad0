"""The baseline policies and the shared top-k kernels."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies import Random
from loopsim.policies.selectors.ties import top_k_random_ties
from loopsim.policies.selectors.topk import sample_rows_without_replacement, top_k_rows
from loopsim.simulator import ConfigError, Feedback, SlateRequest, Slates

from tests.builtins import make_policy


def request(users: int = 3, n: int = 6, k: int = 3, seed: int = 0) -> SlateRequest:
    cand = np.arange(10, 10 + n)
    cand.flags.writeable = False
    return SlateRequest(0.0, np.arange(users), cand, k, np.random.default_rng(seed))


def feedback(items: list[int], clicks: list[bool]) -> Feedback:
    n = len(items)
    return Feedback.from_slates(np.zeros(1), np.zeros(1, dtype=int),
                                Slates(np.array([items])), np.array([clicks]), np.zeros((1, n)))


def test_top_k_random_ties_orders_and_breaks_ties_uniformly() -> None:
    scores = np.array([5.0, 1.0, 5.0, 3.0, np.nan])
    rng = np.random.default_rng(0)
    firsts = [top_k_random_ties(scores, 2, rng)[0] for _ in range(2000)]
    assert set(firsts) == {0, 2} and abs(np.mean(np.array(firsts) == 0) - 0.5) < 0.05
    assert top_k_random_ties(scores, 5, rng)[-1] == 4  # NaN last
    np.testing.assert_array_equal(sorted(top_k_random_ties(scores, 3, rng)[:2]), [0, 2])


def test_top_k_rows_sorted_best_first() -> None:
    m = np.array([[0.1, 0.9, 0.5, 0.7], [4.0, 3.0, 2.0, 1.0]])
    np.testing.assert_array_equal(top_k_rows(m, 3), [[1, 3, 2], [0, 1, 2]])
    np.testing.assert_array_equal(top_k_rows(m, 9), [[1, 3, 2, 0], [0, 1, 2, 3]])


@pytest.mark.parametrize("zeros", [0.0, 0.5, 0.95, 1.0])
def test_top_k_rows_on_either_partition_side_returns_the_top_values(zeros: float) -> None:
    # Mostly-zero rows (mf before or between clicks) take the negated partition side.
    rng = np.random.default_rng(3)
    m = rng.standard_normal((40, 300))
    m[:, rng.random(300) < zeros] = 0.0
    idx = top_k_rows(m, 10)
    vals = np.take_along_axis(m, idx, axis=1)
    np.testing.assert_array_equal(vals, -np.sort(-m, axis=1)[:, :10])
    assert (np.sort(idx, axis=1)[:, 1:] != np.sort(idx, axis=1)[:, :-1]).all()
    np.testing.assert_array_equal(top_k_rows(m, 10), idx)  # deterministic


@pytest.mark.parametrize(("n", "k"), [(1000, 10), (12, 10), (10, 10)])
def test_sample_rows_are_distinct_and_uniform(n: int, k: int) -> None:
    rows = sample_rows_without_replacement(np.random.default_rng(1), n, 20_000, k)
    assert rows.shape == (20_000, k)
    assert (np.sort(rows, axis=1)[:, 1:] != np.sort(rows, axis=1)[:, :-1]).all()
    freq = np.bincount(rows[:, 0], minlength=n) / 20_000
    assert np.abs(freq - 1 / n).max() < 5 * np.sqrt(1 / n / 20_000) + 1e-3


def test_popularity_ranks_by_clicks_and_draws_the_tied_cut_per_session() -> None:
    p = make_policy("popularity")
    p.update(feedback([12, 13, 14, 15], [True, False, True, False]))
    p.update(feedback([14], [True]))
    slates = p.rank(request(users=400))
    assert not slates.is_shared and slates.propensities is None
    np.testing.assert_array_equal(slates.items[:, :2], np.tile([14, 12], (400, 1)))
    # the third slot: one of the four items tied at 0 clicks, uniformly per session
    third = np.bincount(slates.items[:, 2] - 10, minlength=6)
    assert third[[2, 4]].sum() == 0 and (third[[0, 1, 3, 5]] > 60).all()
    np.testing.assert_array_equal(p.item_scores(np.array([12, 14, 99])), [1, 2, 0])


def test_popularity_shares_one_slate_when_nothing_ties() -> None:
    p = make_policy("popularity")
    p.update(feedback([12, 13, 14], [True, True, True]))
    p.update(feedback([13, 14], [True, True]))
    p.update(feedback([14], [True]))
    slates = p.rank(request(k=3))
    assert slates.is_shared
    np.testing.assert_array_equal(slates.items[0], [14, 13, 12])


def test_popularity_slate_is_cached_per_version_and_catalogue() -> None:
    p = make_policy("popularity")
    p.update(feedback([12, 13, 14], [True, True, True]))
    p.update(feedback([13, 14], [True, True]))
    p.update(feedback([14], [True]))
    req = request()
    assert p.rank(req).items[0] is p.rank(req).items[0] or \
        np.shares_memory(p.rank(req).items, p.rank(req).items)
    for _ in range(4):
        p.update(feedback([11], [True]))
    assert p.rank(req).items[0, 0] == 11


def test_ctr_uses_the_beta_posterior_mean() -> None:
    p = make_policy("ctr", "policy.estimator.prior_mean=0.1", "policy.estimator.prior_strength=10")
    p.update(feedback([10, 11], [True, False]))
    np.testing.assert_allclose(p.item_scores(np.array([10, 11, 12])),
                               [(1 + 1) / 11, 1 / 11, 0.1])


def test_random_has_exact_uniform_propensities() -> None:
    slates = Random().rank(request(users=4, n=6, k=3))
    assert slates.items.shape == (4, 3)
    np.testing.assert_allclose(slates.propensities, np.full((4, 3), 1 / 6))


def test_oracle_without_the_truth_explains_itself() -> None:
    with pytest.raises(ConfigError, match="use_ground_truth"):
        make_policy("oracle").rank(request())


def test_greedy_cache_follows_the_slate_size() -> None:
    p = make_policy("popularity")
    assert p.rank(request(k=1)).items.shape == (3, 1)
    assert p.rank(request(k=3)).items.shape == (3, 3)


@pytest.mark.parametrize("rows, calls", [(40_000, 1), (200, 200)])  # shuffle, then argsort
def test_prefix_orders_draws_every_ordered_subset_uniformly_into_a_column_slice(
        rows: int, calls: int) -> None:
    """Each row is a uniform ordered draw of 3 of 5 ids, written into ``out`` in place."""
    from itertools import permutations

    from loopsim.policies.selectors.topk import prefix_orders

    rng = np.random.default_rng(11)
    ids = np.array([10, 11, 12, 13, 14], dtype=np.int16)
    drawn = []
    for _ in range(calls):
        big = np.full((rows, 6), -1, dtype=np.int16)
        prefix_orders(rng, 5, rows, 3, values=ids, out=big[:, 2:5])
        assert (big[:, :2] == -1).all() and (big[:, 5] == -1).all()
        drawn.append(big[:, 2:5])
    got = np.concatenate(drawn)
    assert all(len(set(row)) == 3 for row in got[:500].tolist())
    tuples = {t: i for i, t in enumerate(permutations(ids.tolist(), 3))}
    counts = np.bincount([tuples[tuple(row)] for row in got.tolist()], minlength=60)
    expected = got.shape[0] / 60
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert counts.min() > 0 and chi2 < 100.0, chi2  # 59 degrees of freedom: p ~ 0.001
