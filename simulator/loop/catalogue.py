"""The catalogue: which item ids exist, and which are available at the current time."""

from __future__ import annotations

import numpy as np


def grown(array: np.ndarray, size: int) -> np.ndarray:
    """Return ``array`` zero-padded to at least ``size`` entries (amortised doubling)."""
    if array.shape[0] >= size:
        return array
    out = np.zeros((max(size, 2 * array.shape[0]),) + array.shape[1:], dtype=array.dtype)
    out[: array.shape[0]] = array
    return out


class Catalogue:
    """Availability of items over time.

    Item ids are consecutive integers in order of creation. ``candidates`` is a sorted,
    read-only array of the available ids; a new array object is made whenever the
    availability changes, so consumers can cache on its identity.
    """

    def __init__(self) -> None:
        self._available = np.zeros(0, dtype=bool)
        self._arrival = np.zeros(0)
        self._n = 0
        self._candidates = np.zeros(0, dtype=np.int64)
        self._candidates.flags.writeable = False
        self.version = 0

    @property
    def n_total(self) -> int:
        """Number of ids ever created."""
        return self._n

    @property
    def candidates(self) -> np.ndarray:
        """Sorted read-only ids of the available items."""
        return self._candidates

    @property
    def available(self) -> np.ndarray:
        """``(n_total,)`` bool mask of available ids (read-only view)."""
        view = self._available[: self._n].view()
        view.flags.writeable = False
        return view

    def arrival_times(self) -> np.ndarray:
        """``(n_total,)`` time at which each item arrived."""
        return self._arrival[: self._n].copy()

    def add(self, ids: np.ndarray, t: float) -> None:
        """Make new ids (consecutive from ``n_total``) available at time ``t``."""
        stop = int(ids[-1]) + 1 if ids.size else self._n
        self._available = grown(self._available, stop)
        self._arrival = grown(self._arrival, stop)
        self._available[ids] = True
        self._arrival[ids] = t
        self._n = max(self._n, stop)
        self._refresh()

    def remove(self, ids: np.ndarray) -> None:
        """Make ids unavailable (expiry)."""
        self._available[ids] = False
        self._refresh()

    def _refresh(self) -> None:
        candidates = np.flatnonzero(self._available[: self._n]).astype(np.int64)
        candidates.flags.writeable = False
        self._candidates = candidates
        self.version += 1
