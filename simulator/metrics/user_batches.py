"""The user-side snapshot metrics of many snapshots at once (deferred, 2-D).

:class:`~loopsim.simulator.metrics.user_tracker.UserConsumption` can keep each window's
click events and compute ``homogenization`` and ``user_entropy_window`` of all the
windows together when the metrics are read, instead of once per snapshot. The values are
bit-identical to the per-snapshot path:

* :func:`homogenization_series`: each new distinct ``(user, item)`` gets the index of the
  first window that holds it; sizes and pair intersections are counted per (user or
  pair, window) and summed cumulatively, so the counts after each window are the exact
  integers :class:`~loopsim.simulator.metrics.pair_overlap.PairOverlap` holds there, and
  the Jaccard mean of each window uses the same float operations in the same order.
* :func:`entropy_series`: the distinct ``(window, user, item)`` counts of all windows in
  one sort; the per-user sums are bincounts in the same order as the per-window ones.
"""

from __future__ import annotations

import math

import numpy as np
from loopsim.simulator.metrics.pair_overlap import PairOverlap
from loopsim.simulator.metrics.users import distinct_ids

#: Keys of this module are ``slot << _SHIFT | item`` (item ids below ``2 ** 32``, as
#: :class:`PairOverlap` requires).
_SHIFT = 32


def split_distinct(windows: list[tuple[np.ndarray, np.ndarray]]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct ``(user, item)`` pairs of each window, all windows together.

    Args:
        windows: Per window, ``(users, items)`` int64 click events (may be empty).

    Returns:
        ``(window, user, item, count)``: sorted by window, then user, then item; within
        a window the rows of :func:`~loopsim.simulator.metrics.users.distinct_ids` of
        that window's events.
    """
    sizes = np.array([u.size for u, _ in windows], dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    if not sizes.sum():
        return empty, empty, empty.copy(), empty.copy()
    users = np.concatenate([u for u, _ in windows])
    items = np.concatenate([i for _, i in windows])
    tag = np.repeat(np.arange(len(windows), dtype=np.int64), sizes)
    n_users = int(users.max()) + 1
    width = int(items.max()) + 1
    if len(windows) * n_users * width >= 1 << 62:  # keys would overflow: window by window
        parts = [distinct_ids(u, i) for u, i in windows]
        w = np.repeat(np.arange(len(windows)), [p[0].size for p in parts])
        return (w, *(np.concatenate([p[j] for p in parts]) for j in range(3)))
    u, i, c = distinct_ids(tag * n_users + users, items)
    w = u // n_users
    return w, u - w * n_users, i, c


def entropy_series(window: np.ndarray, user: np.ndarray, count: np.ndarray,
                   n_windows: int) -> list[float]:
    """``user_entropy_window`` of each window from :func:`split_distinct`'s rows.

    The same values as :func:`~loopsim.simulator.metrics.users.entropy_of_distinct` on
    each window's rows (the same bincount sums, in the same order).
    """
    out = [math.nan] * n_windows
    if user.size == 0:
        return out
    new = np.ones(user.size, dtype=bool)
    new[1:] = (user[1:] != user[:-1]) | (window[1:] != window[:-1])
    slot = np.cumsum(new) - 1
    n_slots = int(slot[-1]) + 1
    n = np.bincount(slot, weights=count, minlength=n_slots)
    p = count / n[slot]
    h = -np.bincount(slot, weights=p * np.log(p), minlength=n_slots)
    slot_window = window[new]
    many = n >= 2
    normalized = np.clip(h[many] / np.log(n[many]), 0.0, 1.0)
    edges = np.searchsorted(slot_window[many], np.arange(n_windows + 1))
    for s in range(n_windows):
        if edges[s + 1] > edges[s]:
            out[s] = float(normalized[edges[s] : edges[s + 1]].mean())
    return out


def homogenization_series(overlap: PairOverlap, window: np.ndarray, user: np.ndarray,
                          item: np.ndarray, n_windows: int) -> list[float]:
    """``overlap.homogenization()`` after adding each window's distinct pairs in turn.

    Leaves ``overlap`` as :meth:`PairOverlap.add_distinct` of every window would.

    Args:
        overlap: The pairs' consumption so far (updated).
        window: ``(N,)`` window of each distinct ``(user, item)`` (non-decreasing).
        user: ``(N,)`` user ids (users outside the pairs are ignored).
        item: ``(N,)`` item ids in ``[0, 2**32)``.
        n_windows: Number of windows ``S``.

    Returns:
        ``S`` values, as :meth:`PairOverlap.homogenization` after each window.
    """
    slot, item, window = overlap._tracked(user, item, window)
    item, window = item.astype(np.int64), window.astype(np.int64)
    overlap._make_room(int(item.max()) + 1 if item.size else 0)
    # The first window of each (slot, item) not consumed before.
    key = (slot << _SHIFT) | item
    order = np.argsort(key, kind="stable")  # ``window`` is non-decreasing: first first
    key, window = key[order], window[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, window = key[first], window[first]
    slot, item = key >> _SHIFT, key & ((1 << _SHIFT) - 1)
    fresh = ~overlap._had(slot, item)
    key, slot, item, window = key[fresh], slot[fresh], item[fresh], window[fresh]
    n_slots = overlap._users.size
    size = np.cumsum(np.bincount(slot * n_windows + window, minlength=n_slots * n_windows)
                     .reshape(n_slots, n_windows), axis=1) + overlap._size[:, None]
    inter = _intersections(overlap, key, slot, item, window, n_windows)
    inter += overlap._inter[:, None]
    out = _jaccard_means(overlap, size, inter)
    if key.size:
        overlap._size = size[:, -1].astype(np.int64)
        overlap._inter = inter[:, -1].astype(np.int64)
        overlap._insert(slot, item)
    return out


def _intersections(overlap: PairOverlap, key: np.ndarray, slot: np.ndarray,
                   item: np.ndarray, window: np.ndarray, n_windows: int) -> np.ndarray:
    """``(P, S)`` cumulative new intersections of each pair after each window.

    A pair gains an item at the later of the windows in which its two ends first hold
    it; it is counted from the end that got it last (from the first end on a tie, and
    from the new end when the other held it before), so once.
    """
    inter = np.zeros((n_windows, overlap._inter.size), dtype=np.int64)
    if key.size:
        row, end, other = overlap._pair_ends(slot)
        their = item[row]
        mine = window[row]
        old = overlap._had(other, their)
        sorted_keys = key.copy()
        by_key = np.argsort(sorted_keys, kind="stable")
        sorted_keys = sorted_keys[by_key]
        query = (other << _SHIFT) | their
        pos = np.minimum(np.searchsorted(sorted_keys, query), sorted_keys.size - 1)
        hit = sorted_keys[pos] == query
        theirs = window[by_key[pos]]
        counted = old | (hit & ((theirs < mine) | ((theirs == mine) & overlap._end_first[end])))
        when = np.where(old, mine, np.maximum(mine, theirs))[counted]
        pair = overlap._end_pair[end[counted]]
        inter = np.bincount(when * overlap._inter.size + pair,
                            minlength=n_windows * overlap._inter.size
                            ).reshape(n_windows, -1)
    return np.cumsum(inter, axis=0).T


def _jaccard_means(overlap: PairOverlap, size: np.ndarray, inter: np.ndarray) -> list[float]:
    """:meth:`PairOverlap.homogenization` of each window's counts (columns)."""
    n_windows = size.shape[1]
    if overlap.pairs.shape[0] == 0:
        return [math.nan] * n_windows
    size_a = size[overlap._slot_a].T  # (S, P)
    size_b = size[overlap._slot_b].T
    shared = inter.T.astype(np.float64)
    union = size_a + size_b - shared
    out = []
    for s in range(n_windows):
        some = union[s] > 0
        if not size[:, s].any() or not some.any():
            out.append(math.nan)
        else:
            out.append(float((shared[s][some] / union[s][some]).mean()))
    return out


__all__ = ["entropy_series", "homogenization_series", "split_distinct"]
