"""Deferred (2-D) user-side metrics against the per-snapshot path, on hand-made events."""

from __future__ import annotations

import math

import numpy as np
import pytest
from loopsim.simulator.metrics.pair_overlap import PairOverlap
from loopsim.simulator.metrics.user_batches import (
    entropy_series,
    homogenization_series,
    split_distinct,
)
from loopsim.simulator.metrics.user_tracker import UserConsumption
from loopsim.simulator.metrics.users import distinct_ids, entropy_of_distinct


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _windows(rng: np.random.Generator, n_users: int, n_items: int, n: int,
             empty_every: int = 0) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    out = []
    for s in range(n):
        if empty_every and s % empty_every == 0:
            out.append([])
            continue
        batches = []
        for _ in range(int(rng.integers(1, 3))):
            size = int(rng.integers(1, 40))
            batches.append((rng.integers(n_users, size=size).astype(np.int64),
                            rng.integers(n_items, size=size).astype(np.int64)))
        out.append(batches)
    return out


def _run(windows: list, n_users: int, deferred: bool, similar: np.ndarray | None,
         resolve_every: int = 0) -> list[dict[str, float]]:
    tracker = UserConsumption(n_users, np.random.default_rng(3), n_pairs=25,
                              similar_pairs=None if similar is None else (lambda: similar))
    rows = []
    for s, batches in enumerate(windows):
        for users, items in batches:
            tracker.record_clicks(users, items)
        rows.append(tracker.snapshot(defer=deferred))
        if deferred and resolve_every and s % resolve_every == 0:
            done = tracker.resolve()
            rows[len(rows) - len(done):] = done
    if deferred:
        done = tracker.resolve()
        rows[len(rows) - len(done):] = done
    return rows


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("resolve_every", [0, 3])
@pytest.mark.parametrize("nn", [False, True])
def test_deferred_equals_eager(seed: int, resolve_every: int, nn: bool) -> None:
    rng = np.random.default_rng(seed)
    n_users = 12
    windows = _windows(rng, n_users, 9, 14, empty_every=5)
    similar = np.array([[0, 1], [1, 0], [2, 2], [3, 7], [4, 5]]) if nn else None
    eager = _run(windows, n_users, False, similar)
    deferred = _run(windows, n_users, True, similar, resolve_every)
    assert [list(r) for r in deferred] == [list(r) for r in eager]
    for a, b in zip(eager, deferred, strict=True):
        for name in a:
            assert _same(a[name], b[name]), (name, a[name], b[name])
    assert any(not math.isnan(r["homogenization"]) for r in eager)


def test_homogenization_series_by_hand() -> None:
    # Pairs (0, 1) and (1, 2). Window 0: user 0 gets item 5, user 1 item 5 (shared at 0).
    # Window 1: user 2 gets 5 (pair (1, 2) shares it from 1), user 0 gets 6.
    overlap = PairOverlap(np.array([[0, 1], [1, 2]]))
    window = np.array([0, 0, 1, 1])
    user = np.array([0, 1, 0, 2])
    item = np.array([5, 5, 6, 5])
    got = homogenization_series(overlap, window, user, item, 2)
    # Window 0: J(0,1) = 1/1, J(1,2) = 0/1 -> 0.5. Window 1: J(0,1) = 1/2, J(1,2) = 1/1.
    assert got == pytest.approx([0.5, 0.75], abs=1e-15)
    assert overlap.homogenization() == pytest.approx(0.75, abs=1e-15)


def test_entropy_series_matches_each_window() -> None:
    rng = np.random.default_rng(7)
    windows = [(rng.integers(6, size=30), rng.integers(4, size=30)) for _ in range(5)]
    windows[2] = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    w, u, _, c = split_distinct(windows)
    got = entropy_series(w, u, c, len(windows))
    for s, (users, items) in enumerate(windows):
        uu, _, cc = distinct_ids(users, items)
        assert _same(got[s], entropy_of_distinct(uu, cc))
    assert math.isnan(got[2])
