"""Incremental homogenization against its definition (the pure function on all events)."""

from __future__ import annotations

import math

import loopsim.simulator.metrics.pair_overlap as pair_overlap
import numpy as np
import pytest
from loopsim.simulator.metrics.pair_overlap import PairOverlap
from loopsim.simulator.metrics.users import homogenization


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_hand_made_sets() -> None:
    overlap = PairOverlap(np.array([[0, 1], [1, 2], [0, 2]]))
    overlap.add(np.array([0, 0, 1, 9]), np.array([3, 4, 4, 3]))
    # {3, 4} vs {4}: 1/2; {4} vs {}: 0; {3, 4} vs {}: 0; user 9 is not tracked.
    assert overlap.homogenization() == pytest.approx((0.5 + 0 + 0) / 3)
    overlap.add(np.array([2, 2, 1]), np.array([4, 4, 3]))  # a repeat, and 3 new to user 1
    # {3, 4} vs {3, 4}: 1; {3, 4} vs {4}: 1/2; {3, 4} vs {4}: 1/2
    assert overlap.homogenization() == pytest.approx((1 + 0.5 + 0.5) / 3)


def test_an_item_new_to_both_ends_in_one_update_counts_once() -> None:
    overlap = PairOverlap(np.array([[0, 1]]))
    overlap.add(np.array([0, 1, 0, 1]), np.array([7, 7, 7, 7]))
    assert overlap.homogenization() == 1.0


def test_nothing_consumed_or_no_pairs_is_nan() -> None:
    assert math.isnan(PairOverlap(np.array([[0, 1]])).homogenization())
    empty = PairOverlap(np.zeros((0, 2), dtype=np.int64))
    empty.add(np.array([0]), np.array([1]))
    assert math.isnan(empty.homogenization())
    untracked = PairOverlap(np.array([[0, 1]]))
    untracked.add(np.array([5]), np.array([1]))
    assert math.isnan(untracked.homogenization())


def test_rejects_mismatched_events_and_huge_item_ids() -> None:
    overlap = PairOverlap(np.array([[0, 1]]))
    with pytest.raises(ValueError, match="one entry per event"):
        overlap.add(np.array([0, 1]), np.array([1]))
    with pytest.raises(ValueError, match="item ids must be in"):
        overlap.add(np.array([0]), np.array([1 << 40]))


@pytest.mark.parametrize("bitmap_max", [1 << 24, 300, 0])  # bitmap, switch to keys, keys
@pytest.mark.parametrize("seed", range(8))
def test_bit_identical_to_the_definition_batch_after_batch(
        seed: int, bitmap_max: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pair_overlap, "_BITMAP_MAX", bitmap_max)
    rng = np.random.default_rng(seed)
    n_users, n_items = int(rng.integers(3, 40)), int(rng.integers(1, 60))
    first = rng.integers(n_users, size=int(rng.integers(0, 50)))
    pairs = np.stack([first, (first + rng.integers(1, n_users, first.size)) % n_users], axis=1)
    overlap = PairOverlap(pairs)
    users, items = np.zeros(0, np.int64), np.zeros(0, np.int64)
    for _ in range(6):
        n = int(rng.integers(0, 80))
        u = rng.integers(n_users + 3, size=n)  # some users outside every pair
        i = rng.integers(n_items, size=n)
        overlap.add(u, i)
        users, items = np.append(users, u), np.append(items, i)
        assert _same(overlap.homogenization(), homogenization(users, items, pairs))


def test_switch_from_bitmap_to_sorted_keys_mid_run(monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = np.array([[0, 1], [2, 3], [4, 5], [1, 2]])
    monkeypatch.setattr(pair_overlap, "_BITMAP_MAX", 6 * 64)  # 6 users x 64 items
    overlap = PairOverlap(pairs)
    batches = [(np.array([0, 1, 2, 2]), np.array([10, 10, 3, 10])),
               (np.array([1, 3, 4, 5, 0]), np.array([100, 3, 7, 200, 100])),  # item ids grow
               (np.array([2, 5, 4]), np.array([100, 7, 300]))]
    users, items = np.zeros(0, np.int64), np.zeros(0, np.int64)
    for step, (u, i) in enumerate(batches):
        overlap.add(u, i)
        assert (overlap._has is None) == (step > 0)
        users, items = np.append(users, u), np.append(items, i)
        assert overlap.homogenization() == homogenization(users, items, pairs)
