"""Top-k and sampling kernels shared by selectors (vectorized, no per-session loop)."""

from __future__ import annotations

import numpy as np

#: Upper bound on the (users × candidates) score block held in memory at once.
SCORE_BLOCK = 1 << 21
#: Share of scores equal to 0 or to their row's minimum from which the top k are
#: selected as the k smallest of the negated scores (see :func:`many_low_ties`).
_LOW_TIES = 0.1
#: Scores inspected by :func:`top_k_rows` to pick the partition side (its first rows).
_TIE_SAMPLE = 1 << 13


def many_low_ties(scores: np.ndarray) -> bool:
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
    their order) depends on the partition side, chosen by :func:`many_low_ties`. Policies
    serve through :func:`~loopsim.policies.selectors.ties.top_k_rows_random_ties`, which breaks
    those ties at random per row.
    """
    n = score_matrix.shape[1]
    k = min(k, n)
    if k < n and many_low_ties(score_matrix[: max(1, _TIE_SAMPLE // n)]):
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


def true_positions(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, cols)`` of the True entries of a 2-D ``mask``, row-major: what
    ``np.nonzero(mask)`` gives, from one 1-D scan (about 5x faster on a (95, 1100) mask,
    where the 2-D ``nonzero`` walks both axes)."""
    width = mask.shape[1]
    flat = np.flatnonzero(mask)
    if width == 0:
        return flat, flat
    rows = flat // width
    return rows, flat - rows * width


def top_k_sparse_rows(sessions: int, k: int, rows: np.ndarray, ids: np.ndarray,
                      values: np.ndarray, head_ids: np.ndarray | None = None,
                      head_values: np.ndarray | None = None) -> np.ndarray:
    """``(sessions, k)`` ids of each row's ``k`` largest values, best first, where row
    ``s`` holds the entries ``values[rows == s]`` (ids ``ids[rows == s]``) and, before
    them, the dense ``head_values[s]`` (ids ``head_ids``, shared by every row).

    The lazy samplers' last step (Thompson's tail above its threshold, softmax's Gumbel
    keys above theirs): each row's sparse entries are packed into a ``-inf``-padded
    block as wide as the fullest row (``rows`` ascending, as ``np.nonzero`` gives them),
    and :func:`top_k_rows` ranks the block. A row with fewer than ``k`` entries in all
    fills its slate with ids of ``-inf`` padding: the caller redoes those rows.
    """
    n_head = 0 if head_ids is None else head_ids.size
    counts = np.bincount(rows, minlength=sessions)
    width = max(int(counts.max(initial=0)), k - n_head)
    block = np.full((sessions, n_head + width), -np.inf)
    block_ids = np.zeros((sessions, n_head + width), dtype=np.int64)
    if n_head:
        block[:, :n_head] = head_values
        block_ids[:, :n_head] = head_ids
    if rows.size:
        at = n_head + np.arange(rows.size) - (np.cumsum(counts) - counts)[rows]
        block[rows, at] = values
        block_ids[rows, at] = ids
    return np.take_along_axis(block_ids, top_k_rows(block, k), axis=1)


def sample_rows_without_replacement(
    rng: np.random.Generator, n: int, rows: int, k: int,
    values: np.ndarray | None = None, out: np.ndarray | None = None,
) -> np.ndarray:
    """``(rows, k)`` indices in ``[0, n)``, each row a uniform random ordered k-subset.

    Small ``n``, or repeats likely (``k*k > n``): a partial Fisher-Yates shuffle per row
    (:func:`prefix_orders`). Otherwise rows drawn with replacement are redrawn whole when
    they repeat an index (exact rejection sampling, O(rows * k)). ``values`` (``(n,)``)
    and ``out`` are as in :func:`prefix_orders`: the draws are of ``values`` (ids), written
    into ``out``.
    """
    if k > n:
        raise ValueError(f"cannot draw {k} distinct indices from {n}")
    if n <= SHUFFLE_MAX or k * k > n:
        return prefix_orders(rng, n, rows, k, values, out)
    idx = rng.integers(0, n, size=(rows, k))
    bad = _rows_with_repeats(idx)
    while bad.size:
        idx[bad] = rng.integers(0, n, size=(bad.size, k))
        bad = bad[_rows_with_repeats(idx[bad])]
    drawn = idx.astype(np.int64) if values is None else values[idx]
    if out is None:
        return drawn
    out[...] = drawn
    return out


#: Up to this many items :func:`prefix_orders` is used even for few draws: at 5,000 rows
#: it takes (shuffle against rejection sampling) 0.15 against 0.28 ms for 2 of 16, 0.34
#: against 0.48 ms for 4 of 128, and breaks even (0.23 against 0.22 ms) at 2 of 128.
SHUFFLE_MAX = 128


#: Up to this many (row, place) pairs :func:`prefix_orders` sorts uniform keys instead of
#: shuffling: ``k`` steps of a handful of numpy calls cost more than one small argsort
#: (63 against ~15 us for 10 of 32 at 50 rows; 2.8 against 0.4 ms at 5,000 rows).
_KEYS_MAX = 8192


def prefix_orders(rng: np.random.Generator, n: int, rows: int, k: int,
                  values: np.ndarray | None = None,
                  out: np.ndarray | None = None) -> np.ndarray:
    """``(rows, k)`` the first ``k`` places of an independent uniform permutation per row.

    A partial Fisher-Yates shuffle run on all rows at once: step ``j`` swaps place ``j``
    with a uniform place in ``[j, n)``, so it costs ``k`` vectorized steps over ``rows``
    (and one ``(n, rows)`` table), not a sort of ``n`` keys per row. ``k == n`` gives
    whole permutations. ``floor(u * (n - j))`` with ``u`` in ``[0, 1)`` never reaches
    ``n - j`` in float64 (``(1 - 2**-53) * m`` rounds below ``m``). Small draws (``rows * n
    <= _KEYS_MAX``) sort uniform keys per row instead (the same distribution).

    Args:
        rng: Source of the uniforms (``(k, rows)`` for the shuffle, ``(rows, n)`` keys
            for the small argsort).
        n: Number of places permuted.
        rows: Number of independent permutations.
        k: Places kept per row (clipped to ``n``).
        values: Optional ``(n,)`` values to permute (ids); ``range(n)`` when ``None``.
        out: Optional ``(rows, min(k, n))`` array (a column slice is fine) written in
            place of a new one.
    """
    k = min(k, n)
    if out is None:
        out = np.empty((rows, k), dtype=np.int64 if values is None else values.dtype)
    if k == 0 or rows == 0:
        return out
    if rows * n <= _KEYS_MAX:  # few rows: one argsort of uniform keys is fewer numpy calls
        order = np.argsort(rng.random((rows, n)), axis=1)[:, :k]
        out[...] = order if values is None else values[order]
        return out
    # The places are shuffled as the smallest integers that hold them (a table of n x rows
    # bytes for n < 128: it stays in cache), and mapped to ``values`` at the end.
    small = _smallest_int(n)
    places = np.repeat(np.arange(n, dtype=small)[:, None], rows, axis=1)  # place x row
    flat = places.reshape(-1)
    # Every step's flat positions at once (k passes over (k, rows) fused into a few): step
    # j swaps place j with place j + floor(u * (n - j)) of each row.
    steps = np.arange(k, dtype=np.intp)[:, None]
    uniforms = rng.random((k, rows))
    uniforms *= (n - steps).astype(np.float64)
    where = uniforms.astype(np.intp)
    where += steps
    where *= rows
    where += np.arange(rows, dtype=np.intp)
    drawn = np.empty((k, rows), dtype=small)  # place x row, written row by row
    for j in range(k):
        w = where[j]
        drawn[j] = flat[w]
        flat[w] = places[j]
    index = drawn.astype(np.intp)
    if values is not None and k <= 16 and out.dtype == values.dtype:
        for j in range(k):  # column by column: no (k, rows) temporary, no transposed copy
            np.take(values, index[j], out=out[:, j], mode="clip")
    else:
        out[...] = (index if values is None else np.take(values, index)).T
    return out


def _smallest_int(n: int) -> type[np.signedinteger]:
    """The narrowest signed integer type that holds ``0..n-1``."""
    for kind in (np.int8, np.int16, np.int32):
        if n <= np.iinfo(kind).max + 1:
            return kind
    return np.int64


#: Up to this many columns :func:`_rows_with_repeats` compares shifted columns instead of
#: sorting each row (50,000 rows: 0.4 against 7.7 ms for 2 columns, 8 against 20 for 10).
_SHIFTS_MAX = 16


def _rows_with_repeats(a: np.ndarray) -> np.ndarray:
    """Indices (ascending) of the rows of ``a`` that hold a value twice."""
    rows, k = a.shape
    if k < 2:
        return np.zeros(0, dtype=np.int64)
    if k <= _SHIFTS_MAX and rows > 64:
        cols = np.ascontiguousarray(a.T)  # (k, rows): each shift compares whole columns
        bad = np.zeros(rows, dtype=bool)
        for d in range(1, k):
            bad |= (cols[d:] == cols[:-d]).any(axis=0)
        return np.flatnonzero(bad)
    s = np.sort(a, axis=1)
    return np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1))
