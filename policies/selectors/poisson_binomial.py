"""Leave-one-out Poisson-binomial integrals by a balanced product tree.

For items ``j = 1..n`` with success probabilities ``q_j(t)`` on quadrature nodes ``t``,
``PB_{-i}(m; t)`` is coefficient ``m`` of the generating polynomial

    prod_{j != i} ((1 - q_j) + q_j x)        truncated to degree k - 1,

the probability that exactly ``m`` of the items other than ``i`` succeed.
:func:`rank_integrals` returns ``sum_t density_i(t) PB_{-i}(m; t)`` for every item
``i`` and every ``m < k`` (the Plackett-Luce marginals of
:mod:`loopsim.policies.selectors.softmax`).

Method: the leaves (padded to a power of two with the polynomial 1) are multiplied in
pairs, level by level, up to the root ("inside" products, each level one vectorized
step over all nodes and nodes ``t``); then, top-down, each node's "outside" product
(all the leaves not under it) is its parent's outside times its sibling's inside. A
leaf's outside is ``PB_{-i}``; that last step is folded into the integral. That is
``2 log2 n`` vectorized steps (``O(n Q k^2)`` work) instead of a pass over the items.
All coefficients are non-negative, so there is no cancellation: the result equals a
sequential product up to rounding (~1e-15 relative).

Work buffers are kept between calls (per thread, at most :data:`BLOCK` values each):
freshly allocated arrays of a few MB are page-faulted on every call, which otherwise
costs more than the arithmetic.
"""

from __future__ import annotations

import math
import threading

import numpy as np

#: Upper bound on the values of one work buffer: ``k x rows x leaves x nodes t``.
BLOCK = 1 << 20


class _Buffers(threading.local):
    """Reusable flat float64 buffers, by name, per thread."""

    def __init__(self) -> None:
        self.flat: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """An uninitialised array of ``shape`` backed by buffer ``name``."""
        size = math.prod(shape)
        buf = self.flat.get(name)
        if buf is None or buf.size < size:
            buf = np.empty(size)
            if size <= BLOCK:
                self.flat[name] = buf
        return buf[:size].reshape(shape)


_BUFFERS = _Buffers()


def _poly_mul(a: np.ndarray, b: np.ndarray, res: np.ndarray) -> None:
    """``res`` = product of polynomials (coefficients on axis 0), truncated to ``len(res)``.

    Args:
        a: ``(ca, ...)`` coefficients, degree ascending.
        b: ``(cb, ...)`` coefficients, broadcastable with ``a`` after the first axis.
        res: ``(c, ...)`` output, ``c <= ca + cb - 1``.
    """
    if a.shape[0] < b.shape[0]:
        a, b = b, a
    c = res.shape[0]
    m = min(a.shape[0], c)
    np.multiply(a[:m], b[0], out=res[:m])
    res[m:] = 0.0
    if b.shape[0] > 1:
        tmp = _BUFFERS.get("tmp", (min(a.shape[0], c - 1), *res.shape[1:]))
        for e in range(1, min(b.shape[0], c)):  # the shorter polynomial: few long steps
            m = min(a.shape[0], c - e)
            np.multiply(a[:m], b[e], out=tmp[:m])
            res[e:e + m] += tmp[:m]


def _pairs(level: np.ndarray, count: int) -> np.ndarray:
    """The first ``2 * count`` nodes (axis 2) of ``level`` as ``(..., count, 2, Q)``."""
    c, r, _, nq = level.shape
    return level[:, :, :2 * count].reshape(c, r, count, 2, nq)


def _block(q: np.ndarray, density: np.ndarray, k: int, out: np.ndarray,
           p: np.ndarray | None = None) -> None:
    """Add the integrals of one block of rows and nodes ``t`` to ``out`` (R, n, k).

    Each level pairs its nodes; an odd last node is carried up unchanged.
    """
    r, n, nq = q.shape
    leaves = _BUFFERS.get("leaves", (2, r, n, nq))
    if p is None:
        np.subtract(1.0, q, out=leaves[0])
    else:
        leaves[0] = p
    leaves[1] = q
    inside = [leaves]
    while inside[-1].shape[2] > 2:
        level = inside[-1]
        half, odd = divmod(level.shape[2], 2)
        c = min(2 * level.shape[0] - 1, k)
        up = _BUFFERS.get(f"inside{len(inside)}", (c, r, half + odd, nq))
        pairs = _pairs(level, half)
        _poly_mul(pairs[:, :, :, 0], pairs[:, :, :, 1], up[:, :, :half])
        if odd:
            lc = min(level.shape[0], c)
            up[:lc, :, half] = level[:lc, :, -1]
            up[lc:, :, half] = 0.0
        inside.append(up)
    # Outside products, top-down: a node's is its parent's times its sibling's inside.
    outside = np.ones((1, r, 1, nq))
    for depth, level in enumerate(reversed(inside)):
        nodes = level.shape[2]
        half, odd = divmod(nodes, 2)
        if depth == len(inside) - 1:
            break  # the leaves: folded into the integral below
        c = min(outside.shape[0] + level.shape[0] - 1, k)
        down = _BUFFERS.get(f"outside{depth % 2}", (c, r, nodes, nq))
        sibling = _pairs(level, half)[:, :, :, ::-1]
        _poly_mul(outside[:, :, :half, None], sibling, _pairs(down, half))
        if odd:
            oc = min(outside.shape[0], c)
            down[:oc, :, -1] = outside[:oc, :, half]
            down[oc:, :, -1] = 0.0
        outside = down
    # A leaf's PB_{-i} is its parent's outside times its sibling leaf (or the parent's
    # outside alone for a carried last leaf): integrate outside[m] * density * leaf[a]
    # over t, for a = 0, 1 (coefficient m + a).
    half, odd = divmod(n, 2)
    c = outside.shape[0]
    if half:
        weighted = _BUFFERS.get("weighted", (r, half, 2, nq))
        dens = density[:, :2 * half].reshape(r, half, 2, nq)
        sibling = _pairs(leaves, half)[:, :, :, ::-1]
        for a in range(2):
            np.multiply(dens, sibling[a], out=weighted)
            top = min(c, k - a)
            if top > 0:
                part = np.einsum("mrpq,rpjq->rpjm", outside[:top, :, :half], weighted)
                out[:, :2 * half, a:a + top] += part.reshape(r, 2 * half, top)
    if odd:
        out[:, -1, :c] += np.einsum("mrq,rq->rm", outside[:, :, half], density[:, -1])


def rank_integrals(q: np.ndarray, density: np.ndarray, k: int,
                   p: np.ndarray | None = None) -> np.ndarray:
    """``(R, n, k)`` sums ``sum_t density[r, i, t] * PB_{-i}(m; t)`` for ``m < k``.

    Args:
        q: ``(R, n, Q)`` success probabilities ``q_j(t)`` of each row's items.
        density: ``(R, n, Q)`` weights of each item's sum over the nodes ``t``.
        k: Coefficients (ranks) wanted, ``<= n``.
        p: Optional ``(R, n, Q)`` failure probabilities ``1 - q`` computed apart (accurate
            where ``q`` is near 1); ``1 - q`` when ``None``.

    Returns:
        ``(R, n, k)`` float64 integrals.
    """
    r, n, nq = q.shape
    out = np.zeros((r, n, k))
    rows = max(1, BLOCK // (n * nq * k))
    nodes = nq if rows > 1 else max(1, min(nq, BLOCK // (n * k)))
    for start in range(0, r, rows):
        s = slice(start, start + rows)
        for first in range(0, nq, nodes):
            t = slice(first, first + nodes)
            _block(q[s, :, t], density[s, :, t], k, out[s],
                   None if p is None else p[s, :, t])
    return out


__all__ = ["rank_integrals"]
