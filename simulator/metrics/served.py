"""Quality of the slates actually served: discounted cumulative gain and its normalization.

Pure, vectorized functions of ``(B, k)`` arrays of gains (one row per session, one
column per rank, rank 1 first); relevance is the gain (linear, not ``2^rel - 1``).
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator.params.checks import check_positive_int

__all__ = ["dcg", "ndcg", "top_k_values"]


def _as_2d(a: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(
            f"`{name}` must be a (sessions, ranks) 2-D array, got shape {arr.shape}; "
            "reshape a single slate with [None, :]."
        )
    return arr


def dcg(gains: np.ndarray) -> np.ndarray:
    """Discounted cumulative gain of each row.

    ``dcg[b] = sum_r gains[b, r] / log2(r + 2)`` for 0-based rank ``r`` (rank 1 is
    undiscounted, rank 2 is divided by ``log2 3``...), with linear gain.

    Args:
        gains: ``(B, k)`` relevance of the item served at each rank of each session.

    Returns:
        ``(B,)`` float64 DCG; zeros when ``k == 0``.

    Raises:
        ValueError: ``gains`` is not 2-D.
    """
    g = _as_2d(gains, "gains")
    return g @ _discount(g.shape[1])


#: The discounts of the last slate length asked (every call of a run asks the same).
_DISCOUNT: list[np.ndarray] = [np.zeros(0)]


def _discount(k: int) -> np.ndarray:
    """``(k,)`` read-only ``1 / log2(r + 2)`` for ``r = 0..k-1`` (cached)."""
    discount = _DISCOUNT[0]
    if discount.size != k:
        discount = 1.0 / np.log2(np.arange(k, dtype=np.float64) + 2.0)
        discount.flags.writeable = False
        _DISCOUNT[0] = discount
    return discount


def ndcg(served_gains: np.ndarray, ideal_gains: np.ndarray) -> np.ndarray:
    """Normalized DCG of each served slate: ``dcg(served) / dcg(ideal)``.

    Args:
        served_gains: ``(B, k)`` relevance of the served items, by rank.
        ideal_gains: ``(B, k)`` the ``k`` highest relevances among the candidates of the
            same session, sorted descending (see :func:`top_k_values`). May be a
            read-only broadcast view.

    Returns:
        ``(B,)`` float64 NDCG, in ``[0, 1]`` when ``ideal_gains`` really is the best
        slate. A row whose ideal DCG is 0 (no relevant candidate) gets 1.0 when its
        served DCG is also 0 (nothing better was possible), and ``nan`` otherwise (the
        "ideal" was not ideal: an input error).

    Raises:
        ValueError: an input is not 2-D, or the shapes differ.
    """
    served = _as_2d(served_gains, "served_gains")
    ideal = _as_2d(ideal_gains, "ideal_gains")
    if served.shape != ideal.shape:
        raise ValueError(
            f"`served_gains` {served.shape} and `ideal_gains` {ideal.shape} must have the "
            "same (sessions, ranks) shape; build the ideal with top_k_values(relevance, k)."
        )
    num = dcg(served)
    den = dcg(ideal)
    out = np.divide(num, den, out=np.full_like(num, np.nan), where=den != 0)
    out[(den == 0) & (num == 0)] = 1.0
    return out


def top_k_values(matrix: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest values of each row, sorted descending (ideal gains for NDCG).

    Uses ``np.partition`` along rows, then sorts only the ``k`` kept columns:
    O(B (n + k log k)).

    Args:
        matrix: ``(B, n)`` values, e.g. the relevance of every candidate for each
            session's user. NaN is not supported (it would sort as the largest value).
        k: How many values to keep per row, ``>= 0``; clipped to ``n``.

    Returns:
        ``(B, min(k, n))`` float64 array, each row in descending order.

    Raises:
        ValueError: ``matrix`` is not 2-D.
        ConfigError: ``k`` is not an integer ``>= 0``.
    """
    k = check_positive_int("k", k, minimum=0)
    m = _as_2d(matrix, "matrix")
    b, n = m.shape
    k = min(k, n)
    if k == 0:
        return np.empty((b, 0), dtype=np.float64)
    top = np.partition(m, n - k, axis=1)[:, n - k :]
    return np.ascontiguousarray(np.sort(top, axis=1)[:, ::-1])
