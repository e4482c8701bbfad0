"""Per-item counters incremented by a batch of ids (the recorder's hot path)."""

from __future__ import annotations

import numpy as np

#: ``np.add.at`` costs ~20-40 ns per id; ``np.bincount`` ~1 ns per id plus the length of
#: the counter. Below one id per this many counter entries, ``add.at`` is cheaper.
_SPARSE = 16


def tally(counters: tuple[np.ndarray, ...], ids: np.ndarray,
          weights: np.ndarray | None = None) -> None:
    """Add 1 (or ``weights``) per id to every counter in ``counters``, in place.

    Equal to ``np.add.at(c, ids, weights or 1)`` for each counter ``c`` (exactly, for
    integer counts); a batch of ids is counted once with ``np.bincount`` and that count
    added to every counter, unless the ids are few against the counters' length.

    Args:
        counters: 1-D arrays of the same length, longer than the largest id.
        ids: Integer item ids, any shape.
        weights: Optional weights of ``ids`` (same shape); 1 each when ``None``.
    """
    flat = ids.reshape(-1)
    if flat.size == 0:
        return
    n = counters[0].shape[0]
    if flat.size * _SPARSE < n:
        value = 1 if weights is None else weights.reshape(-1)
        for counter in counters:
            np.add.at(counter, flat, value)
        return
    counts = np.bincount(flat, weights=None if weights is None else weights.reshape(-1),
                         minlength=n)
    for counter in counters:
        counter += counts.astype(counter.dtype, copy=False)


__all__ = ["tally"]
