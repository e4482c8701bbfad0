"""Homogenization kept up to date: per-pair overlap counts updated with each new consumption.

:func:`~loopsim.simulator.metrics.users.homogenization` recomputes every consumed-item set from
all the events at each call: O(events log events) per snapshot, growing with the run.
:class:`PairOverlap` keeps, for a fixed sample of user pairs, the size of each user's
set and the size of each pair's intersection, and updates them with only the new
distinct ``(user, item)`` consumptions: O(new events x pairs per user + seen) per update.
Its :meth:`PairOverlap.homogenization` is bit-identical to the function on all the
events seen so far (same integer counts, same float operations in the same order).
"""

from __future__ import annotations

import math

import numpy as np

#: Keys are ``slot << _SHIFT | item``: item ids must stay below ``2 ** _SHIFT``.
_SHIFT = 32
#: Consumed (user, item) pairs are a (tracked users x items) bitmap up to this many
#: entries (O(1) lookups), sorted keys beyond it (binary searches, memory ~ consumption).
_BITMAP_MAX = 1 << 24


class PairOverlap:
    """Consumed-item sets of the users of fixed pairs, as counts per pair.

    Args:
        pairs: ``(P, 2)`` integer user ids of the pairs compared (repeats allowed).
    """

    def __init__(self, pairs: np.ndarray) -> None:
        self.pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        p = self.pairs.shape[0]
        # Each pair end, grouped by user: the pair, the other end, and which end it is.
        ends = self.pairs.reshape(-1)
        by_user = np.argsort(ends, kind="stable")
        self._end_user = ends[by_user]
        self._end_pair = by_user // 2
        self._end_first = by_user % 2 == 0
        self._end_other = self.pairs[:, ::-1].reshape(-1)[by_user]
        self._users, first = np.unique(self._end_user, return_index=True)
        # Slot of each user id among the tracked users (-1: not tracked).
        self._slot_of = np.full(int(ends.max()) + 1 if ends.size else 0, -1, dtype=np.int64)
        self._slot_of[self._users] = np.arange(self._users.size)
        self._first = np.append(first, ends.size)
        self._slot_a = np.searchsorted(self._users, self.pairs[:, 0])
        self._slot_b = np.searchsorted(self._users, self.pairs[:, 1])
        self._size = np.zeros(self._users.size, dtype=np.int64)  # |S_u| per tracked user
        self._inter = np.zeros(p, dtype=np.int64)  # |S_a & S_b| per pair
        # Consumed (slot, item): a bitmap while small enough, else sorted keys.
        self._has: np.ndarray | None = np.zeros((self._users.size, 0), dtype=bool)
        self._seen = np.zeros(0, dtype=np.int64)

    def add(self, users: np.ndarray, items: np.ndarray) -> None:
        """Add consumption events (repeats and already-seen pairs change nothing).

        Args:
            users: ``(N,)`` integer user id of each consumption (users outside the pairs
                are ignored).
            items: ``(N,)`` integer item id of each consumption, ``< 2**32``.

        Raises:
            ValueError: the arrays differ in length or an item id is out of range.
        """
        u = np.asarray(users, dtype=np.int64).reshape(-1)
        i = np.asarray(items, dtype=np.int64).reshape(-1)
        if u.shape != i.shape:
            raise ValueError(f"`users` and `items` must have one entry per event, got "
                             f"{u.shape} and {i.shape}.")
        if i.size and (i.min() < 0 or i.max() >= 1 << _SHIFT):
            raise ValueError(f"item ids must be in [0, 2**{_SHIFT}), got {i.min()}..{i.max()}.")
        slot, item = self._tracked(u, i)
        keys = np.sort((slot << _SHIFT) | item)  # then distinct: as np.unique
        if keys.size > 1:
            keys = keys[np.append(True, keys[1:] != keys[:-1])]
        self._add(keys >> _SHIFT, keys & ((1 << _SHIFT) - 1))

    def add_distinct(self, users: np.ndarray, items: np.ndarray) -> None:
        """:meth:`add` of events already distinct and sorted by ``(user, item)``.

        E.g. :func:`~loopsim.simulator.metrics.users.distinct_consumption`'s pairs, which
        the user-side snapshot computes anyway: the tracked users' slots follow the
        order of their ids, so the events need no other sort.

        Args:
            users: ``(N,)`` int64 user ids, non-decreasing.
            items: ``(N,)`` int64 item ids in ``[0, 2**32)``, increasing within a user.
        """
        if users.size and 0 <= users[0] and users[-1] < self._slot_of.size:
            slot = self._slot_of[users]
            if bool((slot >= 0).all()):  # every user tracked
                self._add(slot, items)
                return
        self._add(*self._tracked(users, items))

    def _tracked(self, u: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
        """The slots of the events of tracked users, then each of ``columns`` (items,
        windows...) at those events; the events of other users are dropped."""
        inside = (u >= 0) & (u < self._slot_of.size)
        slot = np.full(u.size, -1, dtype=np.int64)
        slot[inside] = self._slot_of[u[inside]]
        keep = slot >= 0
        return (slot[keep], *(c[keep] for c in columns))

    def _pair_ends(self, slot: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pair end of each event's user (``slot``): ``(row, end, other)``, the
        event's position, the pair end and the slot of the pair's other user."""
        start, stop = self._first[slot], self._first[slot + 1]
        count = stop - start
        row = np.repeat(np.arange(slot.size), count)
        end = np.repeat(start - np.cumsum(count) + count, count) + np.arange(row.size)
        return row, end, self._slot_of[self._end_other[end]]

    def _add(self, new_slot: np.ndarray, new_item: np.ndarray) -> None:
        """Add distinct new ``(slot, item)`` events, sorted by slot then item."""
        self._make_room(int(new_item.max()) + 1 if new_item.size else 0)
        fresh = ~self._had(new_slot, new_item)
        new_slot, new_item = new_slot[fresh], new_item[fresh]
        if new_slot.size == 0:
            return
        self._size += np.bincount(new_slot, minlength=self._users.size)
        # Every pair end of each new key's user: does the other end hold the item too?
        # From the first end, look in the updated sets (old or new); from the second, in
        # the old ones only, so an item new to both ends of a pair counts once.
        row, end, other = self._pair_ends(new_slot)
        item = new_item[row]
        found = self._had(other, item)
        first = self._end_first[end] & ~found
        if self._has is not None:  # the bitmap: insert, then look in the updated sets
            self._insert(new_slot, new_item)
            found[first] = self._had(other[first], item[first])
        else:
            keys = (new_slot << _SHIFT) | new_item
            found[first] = _contains(keys, (other[first] << _SHIFT) | item[first])
            self._insert(new_slot, new_item)
        self._inter += np.bincount(self._end_pair[end[found]], minlength=self._inter.size)

    def _make_room(self, n_items: int) -> None:
        """Widen the bitmap to ``n_items`` columns, or switch to sorted keys."""
        has = self._has
        if has is None or has.shape[1] >= n_items:
            return
        width = max(n_items, 2 * has.shape[1], 64)
        if has.shape[0] * width <= _BITMAP_MAX:
            wider = np.zeros((has.shape[0], width), dtype=bool)
            wider[:, : has.shape[1]] = has
            self._has = wider
            return
        slots, items = np.nonzero(has)  # row-major: sorted by (slot, item)
        self._seen = (slots.astype(np.int64) << _SHIFT) | items
        self._has = None

    def _had(self, slots: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Whether each ``(slot, item)`` was consumed before this update."""
        has = self._has
        if has is not None:  # flat indices: ~4x faster than a 2-D fancy index
            return has.reshape(-1)[slots * has.shape[1] + items]
        return _contains(self._seen, (slots << _SHIFT) | items)

    def _insert(self, slots: np.ndarray, items: np.ndarray) -> None:
        has = self._has
        if has is not None:
            has.reshape(-1)[slots * has.shape[1] + items] = True
        else:
            keys = (slots << _SHIFT) | items
            self._seen = np.insert(self._seen, np.searchsorted(self._seen, keys), keys)

    def homogenization(self) -> float:
        """Mean Jaccard similarity of the pairs' consumed-item sets, as
        :func:`~loopsim.simulator.metrics.users.homogenization` on every event added so far."""
        if self.pairs.shape[0] == 0 or not self._size.any():
            return math.nan
        size_a = self._size[self._slot_a]
        size_b = self._size[self._slot_b]
        inter = self._inter.astype(np.float64)
        union = size_a + size_b - inter
        some = union > 0
        if not some.any():
            return math.nan
        return float((inter[some] / union[some]).mean())


def _contains(sorted_keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Whether each query key is in ``sorted_keys``."""
    if sorted_keys.size == 0:
        return np.zeros(query.size, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, query), sorted_keys.size - 1)
    return sorted_keys[pos] == query


__all__ = ["PairOverlap"]
