"""Ties broken at random per session: never by item id, never once for everyone.

A global-score policy ranks once per model version (:class:`RankedHead`): the items
strictly above the cut are fixed and sorted; only the runs of exactly equal scores
(inside the head, and the block tied at the cut) are drawn again for every session,
from the policy's stream. When the scores have no tie that matters (the usual case
once a model has data), the head is one shared row and serving costs nothing per
session. Personalized scores are tie-broken per user by :func:`top_k_rows_random_ties`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from loopsim.policies.selectors.topk import (
    many_low_ties,
    sample_rows_without_replacement,
    top_k_rows,
)


@dataclass(frozen=True)
class RankedHead:
    """The top ``m`` of one score vector, with the ties that need a draw per session.

    Attributes:
        fixed: ``(a,)`` ids scored strictly above the cut, best first.
        groups: ``(a,)`` rank of each fixed id's score among the distinct fixed scores
            (runs of equal scores share a group), or ``None`` when they are all distinct.
        pool: ``(T,)`` ids whose score equals the cut (the tied block).
        need: How many of ``pool`` complete the head (``1 <= need <= T``).
        shared_row: The one head every session gets when nothing ties, read-only
            (``None`` otherwise); the same array at every draw.
    """

    fixed: np.ndarray
    groups: np.ndarray | None
    pool: np.ndarray
    need: int
    shared_row: np.ndarray | None = None

    @property
    def shared(self) -> bool:
        """True when every session gets the same head (no tie to break)."""
        return self.shared_row is not None

    @property
    def size(self) -> int:
        """Length ``m`` of the head."""
        return int(self.fixed.size + self.need)

    def draw(self, b: int, rng: np.random.Generator) -> np.ndarray:
        """``(b, m)`` heads: tied runs ordered, the cut's block sampled, per session.

        A broadcast view of :meth:`row` when :attr:`shared` (no draw at all).
        """
        if self.shared_row is not None:
            return np.broadcast_to(self.shared_row, (b, self.shared_row.size))
        a = self.fixed.size
        out = np.empty((b, a + self.need), dtype=self.fixed.dtype)
        out[:, :a] = self.fixed
        for start, stop, table in self._run_tables:  # permute the columns of each tied run
            _draw_into(out[:, start:stop], self.fixed[start:stop], table, rng)
        if self.pool.size == 1:
            out[:, a:] = self.pool[0]
        else:
            _draw_into(out[:, a:], self.pool, self._pool_table, rng)
        return out

    @cached_property
    def _run_tables(self) -> list[tuple[int, int, np.ndarray | None]]:
        """``(start, stop, table)`` of each tied run in the fixed part (see :func:`_table_of`)."""
        if self.groups is None:
            return []
        return [(start, stop, _table_of(self.fixed[start:stop], stop - start))
                for start, stop in _runs(self.groups)]

    @cached_property
    def _pool_table(self) -> np.ndarray | None:
        """Every ordered draw of ``need`` ids from a small tied pool (see :func:`_table_of`)."""
        return _table_of(self.pool, self.need)


#: Largest pool (or run) of ties drawn by one index into the table of its permutations.
_TABLE_MAX = 6


@lru_cache(maxsize=_TABLE_MAX + 1)
def _permutations(t: int) -> np.ndarray:
    """``(t!, t)`` every permutation of ``range(t)`` (read-only)."""
    table = np.array(list(itertools.permutations(range(t))), dtype=np.int64)
    table.flags.writeable = False
    return table


def _table_of(ids: np.ndarray, need: int) -> np.ndarray | None:
    """``(t!, need)`` the first ``need`` ids of every permutation of ``ids`` (``t`` of them).

    Only for ``t <= _TABLE_MAX`` (at most 720 rows); ``None`` beyond. A row of it, drawn
    uniformly, is a uniform ordered draw of ``need`` of the ids: O(1) per session.
    """
    if ids.size > _TABLE_MAX:
        return None
    return np.ascontiguousarray(ids[_permutations(ids.size)][:, :need])


def _draw_into(out: np.ndarray, ids: np.ndarray, table: np.ndarray | None,
               rng: np.random.Generator) -> None:
    """Fill ``out`` (``(b, need)``) with an independent uniform ordered draw of ``ids`` per row.

    By one row of ``table`` (:func:`_table_of`) when the ids are few, else by partial
    shuffles or rejection sampling
    (:func:`~loopsim.policies.selectors.topk.sample_rows_without_replacement`).
    """
    b, need = out.shape
    if table is not None:
        _rows_into(out, table, rng.integers(0, table.shape[0], size=b))
    else:
        sample_rows_without_replacement(rng, ids.size, b, need, values=ids, out=out)


def _rows_into(out: np.ndarray, table: np.ndarray, pick: np.ndarray) -> None:
    """``out[...] = table[pick]``, each row copied whole when ``out``'s rows are contiguous.

    A column slice of the slates (``out``) has contiguous rows of ``need`` ids: viewed
    as one opaque item per row, the gather copies each row at once instead of id by
    id (2-3x faster for a few columns).
    """
    width = table.shape[1]
    if (width > 1 and out.dtype == table.dtype and out.strides[1] == out.itemsize
            and table.flags.c_contiguous):
        row = np.dtype((np.void, width * out.itemsize))
        np.take(table.view(row).reshape(-1), pick, out=out.view(row)[:, 0], mode="clip")
    else:
        out[...] = table[pick]


def _runs(groups: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` of the runs of equal group ids longer than one."""
    edges = np.flatnonzero(np.diff(groups)) + 1
    bounds = np.concatenate([[0], edges, [groups.size]])
    return [(int(s), int(e)) for s, e in zip(bounds[:-1], bounds[1:], strict=True) if e - s > 1]


def ranked_head(scores: np.ndarray, ids: np.ndarray, m: int) -> RankedHead:
    """The :class:`RankedHead` of the ``m`` best ``scores`` (NaN ranks last).

    O(n) for the cut (a partition, on the side that avoids introselect's slow case),
    O(m log m) for the head.

    Args:
        scores: ``(n,)`` scores of ``ids``.
        ids: ``(n,)`` the ids (candidates) the scores belong to.
        m: Length of the head (clipped to ``n``, at least 1).
    """
    s = np.where(np.isnan(scores), -np.inf, np.asarray(scores, dtype=np.float64))
    n = s.shape[0]
    m = max(1, min(m, n))
    threshold = (-np.partition(-s, m - 1)[m - 1] if many_low_ties(s)
                 else np.partition(s, n - m)[n - m])
    above = np.flatnonzero(s > threshold)
    above = above[np.argsort(-s[above], kind="stable")]
    values = s[above]
    groups = None
    if values.size > 1 and np.any(values[1:] == values[:-1]):
        groups = np.concatenate([[0], np.cumsum(values[1:] != values[:-1])]).astype(np.float64)
    pool = ids[np.flatnonzero(s == threshold)]
    fixed, need = ids[above], m - above.size
    row = None
    if groups is None and pool.size == need == 1:
        row = np.concatenate([fixed, pool])
        row.flags.writeable = False
    return RankedHead(fixed, groups, pool, need, row)


def top_k_random_ties(scores: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first, ties broken uniformly at random.

    One draw of :func:`ranked_head` (for a single session). NaN scores rank last.
    """
    if min(k, scores.shape[0]) == 0:
        return np.zeros(0, dtype=np.int64)
    head = ranked_head(scores, np.arange(scores.shape[0], dtype=np.int64), k)
    return head.draw(1, rng)[0].astype(np.int64)


def top_k_rows_random_ties(score_matrix: np.ndarray, k: int,
                           rng: np.random.Generator) -> np.ndarray:
    """``(B, k)`` column indices of each row's ``k`` highest scores, ties broken per row.

    :func:`top_k_rows` finds the top ``k``; the rows whose block tied at the k-th score
    goes beyond the cut are re-selected with uniform keys on that block, and every row
    is ordered by score with a uniform key among equal scores. Costs one comparison
    pass over the block and ``(B, k)`` uniforms beyond :func:`top_k_rows`.
    """
    n = score_matrix.shape[1]
    k = min(k, n)
    idx = top_k_rows(score_matrix, k)
    top = np.take_along_axis(score_matrix, idx, axis=1)
    if k < n:
        kth = top[:, -1:]
        inside = np.count_nonzero(top == kth, axis=1)
        bad = np.flatnonzero(np.count_nonzero(score_matrix == kth, axis=1) > inside)
        if bad.size:
            sub, cut = score_matrix[bad], kth[bad]
            keys = rng.random(sub.shape)
            keys[sub > cut] = -1.0
            keys[sub < cut] = 2.0
            idx[bad] = np.argpartition(keys, k - 1, axis=1)[:, :k]
            top[bad] = np.take_along_axis(sub, idx[bad], axis=1)
    order = np.lexsort((rng.random(top.shape), -top), axis=-1)
    return np.take_along_axis(idx, order, axis=1).astype(np.int64)


__all__ = ["RankedHead", "ranked_head", "top_k_random_ties", "top_k_rows_random_ties"]
