"""Top-k and sampling kernels shared by selectors (vectorized, no per-session loop)."""

from __future__ import annotations

import numpy as np

#: Upper bound on the (users × candidates) score block held in memory at once.
SCORE_BLOCK = 1 << 21
#: Share of scores equal to 0 or to their row's minimum from which the top k are
#: selected as the k smallest of the negated scores (see :func:`_many_low_ties`).
_LOW_TIES = 0.1
#: Scores inspected by :func:`top_k_rows` to pick the partition side (its first rows).
_TIE_SAMPLE = 1 << 13


def _many_low_ties(scores: np.ndarray) -> bool:
    """Whether many scores tie at 0 or at the minimum (counts, untrained factors...).

    numpy's introselect is 5-20x slower when a large block of equal values lies below
    the selected position (``partition(s, n - k)`` on mostly-zero counts: 5 ms instead
    of 0.3 ms for 50 x 1,250), and as slow the other way round when the block lies at
    the top; on distinct values selecting at ``n - k`` is ~2x faster. This picks the
    side: the k largest as the k smallest of ``-s`` when ties at the bottom are common.
    """
    if scores.size == 0:
        return False
    low = scores.min(axis=-1, keepdims=True)
    return np.count_nonzero((scores == low) | (scores == 0)) >= _LOW_TIES * scores.size


def top_k_rows(score_matrix: np.ndarray, k: int) -> np.ndarray:
    """``(B, k)`` column indices of each row's ``k`` highest scores, best first.

    Deterministic; which of several items tied exactly at the k-th place are kept (and
    their order) depends on the partition side, chosen by :func:`_many_low_ties`. Policies
    serve through :func:`~policies.selectors.ties.top_k_rows_random_ties`, which breaks
    those ties at random per row.
    """
    n = score_matrix.shape[1]
    k = min(k, n)
    if k < n and _many_low_ties(score_matrix[: max(1, _TIE_SAMPLE // n)]):
        # Many scores tie at the bottom (items without factors score 0 under mf...):
        # introselect at ``n - k`` is 5-20x slower there, the k smallest of a negated copy
        # are not. Ties are shared by columns, so the first rows tell (a cheap check).
        part = np.argpartition(-score_matrix, k - 1, axis=1)[:, :k]
    elif k < n:
        # Select the k largest in place of the k smallest of a negated copy: no copy, and
        # introselect is ~1.6x faster this way round (numpy 2.4, k << n).
        part = np.argpartition(score_matrix, n - k, axis=1)[:, n - k :]
    else:
        part = np.broadcast_to(np.arange(n), score_matrix.shape).copy()
    top = np.take_along_axis(score_matrix, part, axis=1)
    order = np.argsort(-top, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


def sample_rows_without_replacement(
    rng: np.random.Generator, n: int, rows: int, k: int
) -> np.ndarray:
    """``(rows, k)`` indices in ``[0, n)``, each row a uniform random ordered k-subset.

    Rows drawn with replacement are redrawn whole when they repeat an index (exact
    rejection sampling); when repeats are likely (``k*k > n``) it sorts random keys.
    """
    if k > n:
        raise ValueError(f"cannot draw {k} distinct indices from {n}")
    if k * k > n:
        keys = rng.random((rows, n))
        return np.argpartition(keys, k - 1, axis=1)[:, :k].astype(np.int64) if k < n else \
            np.argsort(keys, axis=1).astype(np.int64)
    out = rng.integers(0, n, size=(rows, k))
    bad = _rows_with_repeats(out)
    while bad.size:
        out[bad] = rng.integers(0, n, size=(bad.size, k))
        bad = bad[_rows_with_repeats(out[bad])]
    return out.astype(np.int64)


def _rows_with_repeats(a: np.ndarray) -> np.ndarray:
    s = np.sort(a, axis=1)
    return np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1))
