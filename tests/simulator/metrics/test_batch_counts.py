"""count_batch: one served batch's clicks located and its items counted, columns once."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator.contract.batches import Slates
from loopsim.simulator.metrics.batch_counts import count_batch


def slates_of(kind: str, rng: np.random.Generator, b: int = 50, k: int = 5) -> Slates:
    if kind == "shared":
        return Slates(np.broadcast_to(rng.choice(30, k, replace=False), (b, k)))
    items = np.stack([rng.choice(30, k, replace=False) for _ in range(b)])
    if kind == "fixed":  # the same 2 ids first in every row, in any order
        items[:, :2] = [rng.permutation([30, 31]) for _ in range(b)]
        return Slates.by_construction(items, fixed_columns=2)
    return Slates(items)


@pytest.mark.parametrize("kind", ["plain", "shared", "fixed"])
def test_counts_equal_bincounts_of_the_served_ids(kind: str) -> None:
    rng = np.random.default_rng(0)
    slates = slates_of(kind, rng)
    clicks = rng.random(slates.items.shape) < 0.4
    counts = count_batch(slates, clicks, 40)
    flat = np.asarray(slates.items).reshape(-1)
    np.testing.assert_array_equal(counts.clicked, flat[clicks.reshape(-1)])
    np.testing.assert_array_equal(counts.sessions, np.nonzero(clicks)[0])
    assert counts.totals is not None and counts.totals.size == 40
    np.testing.assert_array_equal(counts.totals.rows, np.bincount(flat, minlength=40))
    np.testing.assert_array_equal(counts.totals.clicks,
                                  np.bincount(flat[clicks.reshape(-1)], minlength=40))


def test_a_batch_smaller_than_the_catalogue_has_no_dense_totals() -> None:
    rng = np.random.default_rng(1)
    slates = slates_of("plain", rng, b=3)
    counts = count_batch(slates, np.ones((3, 5), dtype=bool), 40)
    assert counts.totals is None and counts.clicked.size == 15
