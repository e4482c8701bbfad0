"""The ALS half-sweep solvers of :class:`~loopsim.policies.estimators.mf.ImplicitMF`.

One half-sweep solves, for every row ``u`` of one side (users or items) given the other
side's factors ``O``, the system ``(O^T C_u O + reg I) x_u = O^T C_u p_u`` of Hu, Koren
and Volinsky (2008). The clicked pairs of one side are held once per update as a
:class:`ClickRows` (sorted by row, with its CSR pointers); the sums over a row's clicked
pairs are sparse-times-dense products (scipy's CSR kernel adds them in the pairs' order,
one row at a time, as ``np.add.reduceat`` did: the same numbers, without the ``(nnz, f)``
products in memory).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix


@dataclass(frozen=True)
class ClickRows:
    """The clicked pairs of one side, sorted by row (stable).

    Attributes:
        rows: ``(nnz,)`` the row of each pair, ascending.
        cols: ``(nnz,)`` the other side's id of each pair (``int32`` when it fits).
        counts: ``(nnz,)`` the clicks of each pair.
        clicked: ``(R,)`` the distinct rows that have a pair.
        indptr: ``(R + 1,)`` where each clicked row's pairs start and end.
    """

    rows: np.ndarray
    cols: np.ndarray
    counts: np.ndarray
    clicked: np.ndarray
    indptr: np.ndarray

    @classmethod
    def of(cls, rows: np.ndarray, cols: np.ndarray, counts: np.ndarray,
           presorted: bool = False) -> ClickRows:
        """Sort the pairs by row (skipped when ``presorted``) and index the rows."""
        if not presorted:
            order = np.argsort(rows, kind="stable")
            rows, cols, counts = rows[order], cols[order], counts[order]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if rows.size else (
            np.zeros(0, dtype=np.int64))
        index = np.int32 if rows.size < 2**31 and (cols.size == 0 or cols.max() < 2**31) \
            else np.int64
        indptr = np.r_[starts, rows.size].astype(index)
        return cls(rows, cols.astype(index), counts, rows[starts], indptr)

    def sums(self, data: np.ndarray, other: np.ndarray) -> np.ndarray:
        """``(R, f)``: for each clicked row, ``sum_j data_j * other[cols_j]`` over its pairs."""
        matrix = csr_matrix((data, self.cols, self.indptr),
                            shape=(self.clicked.size, other.shape[0]))
        return np.asarray(matrix @ other)


def conjugate_gradient(other: np.ndarray, pairs: ClickRows, start: np.ndarray,
                       alpha: float, reg: float, steps: int) -> np.ndarray:
    """``steps`` CG steps on every row's ``(O^T C O + reg I) x = O^T C p`` from ``start``.

    ``A p = (O^T O + reg I) p + sum_j alpha c_j (o_j . p) o_j`` over the row's clicked
    pairs: the ``(rows, f, f)`` matrices are never formed. Only the clicked rows are
    iterated (every operation is row by row); the others are exactly 0, their exact
    solution. The result has ``start``'s dtype; the arithmetic is in ``other``'s.
    """
    n_rows, f = start.shape
    gram = other.T @ other + reg * np.eye(f, dtype=other.dtype)
    clicked = pairs.clicked
    local = np.repeat(np.arange(clicked.size), np.diff(pairs.indptr))  # pair -> clicked row
    vec = np.take(other, pairs.cols, axis=0)  # np.take: ~4x faster than other[cols] here
    weight = (alpha * pairs.counts).astype(other.dtype, copy=False)

    def times_a(p: np.ndarray) -> np.ndarray:
        out = p @ gram
        dots = np.einsum("nf,nf->n", vec, np.take(p, local, axis=0))
        out += pairs.sums(weight * dots, other)
        return out

    b = pairs.sums(1.0 + weight, other)
    x = np.take(start, clicked, axis=0).astype(other.dtype, copy=False)
    residual = b - times_a(x)
    p = residual.copy()
    rs = np.einsum("nf,nf->n", residual, residual)
    for _ in range(steps):
        ap = times_a(p)
        curvature = np.einsum("nf,nf->n", p, ap)
        step = np.divide(rs, curvature, out=np.zeros_like(rs), where=curvature > 0)
        x += step[:, None] * p
        residual -= step[:, None] * ap
        rs_new = np.einsum("nf,nf->n", residual, residual)
        beta = np.divide(rs_new, rs, out=np.zeros_like(rs), where=rs > 0)
        p = residual + beta[:, None] * p
        rs = rs_new
    out = np.zeros((n_rows, f), dtype=start.dtype)
    out[clicked] = x
    return out


def normal_equations(other: np.ndarray, pairs: ClickRows, n_rows: int, alpha: float,
                     reg: float) -> np.ndarray:
    """Solve every row's ``(O^T C O + reg I) x = O^T C p`` exactly, in one batch."""
    f = other.shape[1]
    gram = other.T @ other + reg * np.eye(f)
    a = np.broadcast_to(gram, (n_rows, f, f)).copy()
    b = np.zeros((n_rows, f))
    if pairs.rows.size == 0:
        return b
    vec = other[pairs.cols]
    weight = alpha * pairs.counts
    starts = pairs.indptr[:-1]
    weighted = weight[:, None] * vec
    for i in range(f):  # one column of the outer products at a time: (nnz, f), not f^2
        a[pairs.clicked, i] += np.add.reduceat(weighted[:, i, None] * vec, starts, axis=0)
    b[pairs.clicked] = pairs.sums(1.0 + weight, other)
    return np.linalg.solve(a, b[:, :, None])[:, :, 0]


__all__ = ["ClickRows", "conjugate_gradient", "normal_equations"]
