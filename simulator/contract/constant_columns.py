"""Read-only columns of repeated values for feedback batches (no allocation per batch).

Every served batch logs ``rank`` (1..k per session), ``source`` (0) and, for a
deterministic policy, ``propensity`` (1); every organic batch logs constant ``rank``,
``click``, ``reward``, ``propensity`` and ``source``. Allocating and filling them per
batch costs a few microseconds each on small batches and page faults on large ones;
these are read-only slices of arrays kept per value (grown by doubling), so a batch gets
them for the cost of a view. The engine and the built-in policies never write into
feedback; a policy that tries gets numpy's read-only error instead of corrupting the log.
"""

from __future__ import annotations

import numpy as np

_CONSTANTS: dict[tuple[type, float], np.ndarray] = {}
_RANKS: dict[int, np.ndarray] = {}


def constant(value: float, dtype: type, n: int) -> np.ndarray:
    """``(n,)`` read-only array of ``value`` in ``dtype``."""
    key = (dtype, value)  # the scalar type itself: np.dtype(...) costs a microsecond
    kept = _CONSTANTS.get(key)
    if kept is None or kept.shape[0] < n:
        kept = np.full(max(n, 1024, 0 if kept is None else 2 * kept.shape[0]), value,
                       dtype=dtype)
        kept.flags.writeable = False
        _CONSTANTS[key] = kept
    return kept[:n]


def ranks(k: int, sessions: int) -> np.ndarray:
    """``(sessions * k,)`` read-only int16 ranks ``1..k`` repeated per session."""
    kept = _RANKS.get(k)
    if kept is None or kept.shape[0] < sessions * k:
        rows = max(sessions, 1024 // max(k, 1), 0 if kept is None else 2 * kept.shape[0] // k)
        kept = np.tile(np.arange(1, k + 1, dtype=np.int16), rows)
        kept.flags.writeable = False
        _RANKS[k] = kept
    return kept[: sessions * k]


__all__ = ["constant", "ranks"]
