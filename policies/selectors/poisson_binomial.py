"""Leave-one-out Poisson-binomial integrals: deconvolution, guarded, and a product tree.

For items ``j = 1..n`` with success probabilities ``q_j(t)`` on quadrature nodes ``t``,
``PB_{-i}(m; t)`` is coefficient ``m`` of the generating polynomial

    prod_{j != i} ((1 - q_j) + q_j x)        truncated to degree k - 1,

the probability that exactly ``m`` of the items other than ``i`` succeed.
:func:`rank_integrals` returns ``sum_t density_i(t) PB_{-i}(m; t)`` for every item
``i`` and every ``m < k`` (the Plackett-Luce marginals of
:mod:`loopsim.policies.selectors.softmax`, the Thompson marginals of
:mod:`loopsim.policies.selectors.thompson_marginals`).

Two methods, the first guarded by the second:

* **Deconvolution** (fast path, ``O(n Q k)``): the product over *all* items, ``P``,
  truncated to degree ``k`` (a product tree over the items: non-negative terms only),
  then for each item ``PB_{-i} = P / (p_i + q_i x)`` by the forward recursion
  ``c_m = (P_m - q_i c_{m-1}) / p_i``. It is used only where ``q_i(t) <= 1/2``, where
  an error is multiplied by ``r = q_i / p_i <= 1`` per step, and a rounding-error bound
  is carried along (``d_m = r (d_{m-1} + |c_{m-1}|) + |c_m|``, times ``2 gamma``, with
  ``gamma`` the relative error of ``P``). Nodes with ``q_i(t) > 1/2`` are left out,
  their contribution bounded by ``c_m <= P_{m+1} / q_i``. An item is accepted when, for
  every ``m``, the bound on its integral's error is at most :data:`GUARD` times the
  integral (plus :data:`GUARD_ABS`).
* **Product tree** (``O(n Q k^2)``, no division: the result equals a sequential product
  up to rounding, ~1e-15 relative) for the items the guard refuses, over those items
  only, multiplied by the product of the accepted ones. The leaves (padded to a power
  of two with the polynomial 1) are multiplied in pairs, level by level, up to the root
  ("inside" products); then, top-down, each node's "outside" product (the base
  polynomial times all the leaves not under it) is its parent's outside times its
  sibling's inside. A leaf's outside is ``PB_{-i}``; that last step is folded into the
  integral.

Measured on the marginals of a 30-day default-world run (1,000-1,150 items, k = 10):
the guard refuses no item of softmax and 9-17 items of Thompson (the few near the top
whose own ``q_i`` passes 1/2 where it matters); the accepted values agree with the
tree to 1e-10 relative (softmax: 1e-15). ``python -m benchmarks.softmax_marginals``.

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
#: Values per chunk of the deconvolution (``rows x items x nodes``): cache-sized.
FAST_BLOCK = 1 << 18
#: The deconvolution's value of an item is accepted when its error bound is at most
#: ``GUARD * value + GUARD_ABS`` for every rank (else the product tree computes it).
GUARD = 1e-11
#: Absolute part of the guard: far below the ``1e-30`` floor of the logged marginals.
GUARD_ABS = 1e-60
_EPS = float(np.finfo(np.float64).eps)


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
           p: np.ndarray | None = None, base: np.ndarray | None = None) -> None:
    """Add the integrals of one block of rows and nodes ``t`` to ``out`` (R, n, k).

    Each level pairs its nodes; an odd last node is carried up unchanged. ``base``
    (``(c, R, Q)``, ``c <= k``) multiplies every leave-one-out product (the items left
    out of ``q``); ``None`` is the polynomial 1.
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
    outside = np.ones((1, r, 1, nq)) if base is None else base[:, :, None, :]
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


def _product(p: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    """``(k + 1, R, Q)`` coefficients of ``prod_j (p_j + q_j x)`` over axis 1 of ``(R, n,
    Q)`` arrays, truncated to degree ``k`` (pairwise, level by level)."""
    r, n, nq = q.shape
    level = _BUFFERS.get("prod0", (2, r, n, nq))
    level[0], level[1] = p, q
    depth = 0
    while level.shape[2] > 1:
        c0, _, nodes, _ = level.shape
        half, odd = divmod(nodes, 2)
        c = min(2 * c0 - 1, k + 1)
        depth += 1
        up = _BUFFERS.get(f"prod{depth % 2 + 1}", (c, r, half + odd, nq))
        _poly_mul(_pairs(level, half)[:, :, :, 0], _pairs(level, half)[:, :, :, 1],
                  up[:, :, :half])
        if odd:
            lc = min(c0, c)
            up[:lc, :, half] = level[:lc, :, -1]
            up[lc:, :, half] = 0.0
        level = up
    root = np.zeros((k + 1, r, nq))
    root[:level.shape[0]] = level[:, :, 0]
    return root


def _deconvolved(q: np.ndarray, p: np.ndarray, density: np.ndarray, k: int,
                 out: np.ndarray, err: np.ndarray, heavy: np.ndarray | None = None,
                 light: np.ndarray | None = None) -> None:
    """Add one chunk's integrals by deconvolution to ``out`` and their error bounds to
    ``err`` (both ``(R, n, k)``; see the module docstring).

    ``PB_{-i}(m) = sum_{j <= m} (-r_i)^j P_{m-j} / p_i`` (the division's recursion
    solved), so the integral is ``sum_j (-1)^j sum_t g_j(t) P_{m-j}(t)`` with
    ``g_j = density r^j / p``: one matrix product per ``j``. The same products without
    the signs bound the rounding error (every term's magnitude). With ``heavy`` (an
    ``(n,)`` mask), the product of the other items is written to ``light`` (``(k, R, Q)``)
    on the way, for the product tree over the heavy ones.
    """
    r, n, nq = q.shape
    if heavy is None:
        product = _product(p, q, k)
    else:
        rest = _product(p[:, ~heavy], q[:, ~heavy], k)
        light[...] = rest[:k]
        product = np.empty_like(rest)
        _poly_mul(rest, _product(p[:, heavy], q[:, heavy], k), product)
    total = np.ascontiguousarray(np.moveaxis(product, 0, 2))  # (R, Q, k + 1)
    ok = q <= 0.5
    g = _BUFFERS.get("g", (r, n, nq))
    ratio = _BUFFERS.get("ratio", (r, n, nq))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        np.divide(density, p, out=g)
        np.divide(q, p, out=ratio)
        # Left out where q_i > 1/2: there PB_{-i}(m) <= P_{m+1} / q_i <= 2 P_{m+1}.
        left = np.where(ok, 0.0, density) * 2.0
    g[~ok] = 0.0
    ratio[~ok] = 0.0
    err += left @ total[:, :, 1:]
    # Relative error of P (depth x degree roundings), of r^j and 1/p, and of a sum over
    # the chunk's nodes, each doubled.
    gamma = 2.0 * ((math.log2(max(n, 2)) + 2.0) * (k + 1) + 2 * k + nq + 8) * _EPS
    for j in range(k):
        if j:
            g *= ratio
        part = g @ total[:, :, : k - j]  # (R, n, k - j): sum_t g_j P_{m - j}
        if j % 2:
            out[:, :, j:] -= part
        else:
            out[:, :, j:] += part
        part *= gamma
        err[:, :, j:] += part


def _tree_integrals(q: np.ndarray, density: np.ndarray, k: int, p: np.ndarray | None,
                    base: np.ndarray | None = None) -> np.ndarray:
    """:func:`rank_integrals` by the product tree alone (``base``: see :func:`_block`)."""
    r, n, nq = q.shape
    out = np.zeros((r, n, k))
    rows = max(1, BLOCK // (n * nq * k))
    nodes = nq if rows > 1 else max(1, min(nq, BLOCK // (n * k)))
    for start in range(0, r, rows):
        s = slice(start, start + rows)
        for first in range(0, nq, nodes):
            t = slice(first, first + nodes)
            _block(q[s, :, t], density[s, :, t], k, out[s],
                   None if p is None else p[s, :, t],
                   None if base is None else base[:, s, t])
    return out


def rank_integrals(q: np.ndarray, density: np.ndarray, k: int,
                   p: np.ndarray | None = None, heavy: np.ndarray | None = None
                   ) -> np.ndarray:
    """``(R, n, k)`` sums ``sum_t density[r, i, t] * PB_{-i}(m; t)`` for ``m < k``.

    By deconvolution where its error bound is within :data:`GUARD` (relative), by the
    product tree for the other items of a row (module docstring).

    Args:
        q: ``(R, n, Q)`` success probabilities ``q_j(t)`` of each row's items.
        density: ``(R, n, Q)`` non-negative weights of each item's sum over the nodes.
        k: Coefficients (ranks) wanted, ``<= n``.
        p: Optional ``(R, n, Q)`` failure probabilities ``1 - q`` computed apart (accurate
            where ``q`` is near 1); ``1 - q`` when ``None``.
        heavy: Optional ``(n,)`` mask of the items the guard is likely to refuse (those
            often above the others, e.g. the top means). When the refused items of a row
            are among them, the tree runs over them alone on the product of the others,
            kept from the first pass (a speed-up only: the numbers are the same).

    Returns:
        ``(R, n, k)`` float64 integrals.
    """
    r, n, nq = q.shape
    if p is None:
        p = 1.0 - q
    if heavy is not None and not (0 < int(heavy.sum()) < n):
        heavy = None
    out = np.zeros((r, n, k))
    err = np.zeros((r, n, k))
    light = np.zeros((k, r, nq)) if heavy is not None else None
    rows = max(1, FAST_BLOCK // (n * nq))
    nodes = nq if rows > 1 else max(1, min(nq, FAST_BLOCK // n))
    for start in range(0, r, rows):
        s = slice(start, start + rows)
        for first in range(0, nq, nodes):
            t = slice(first, first + nodes)
            _deconvolved(q[s, :, t], p[s, :, t], density[s, :, t], k, out[s], err[s],
                         heavy, None if light is None else light[:, s, t])
    refused = ~(err <= GUARD * np.abs(out) + GUARD_ABS).all(axis=2)  # NaN: refused
    for row in np.flatnonzero(refused.any(axis=1)):
        bad = refused[row]
        sl = (slice(row, row + 1),)
        if heavy is not None and not (bad & ~heavy).any():
            bad, rest = heavy, light[:, sl[0]]
        else:
            rest = _product(p[sl][:, ~bad], q[sl][:, ~bad], k)[:k] if (~bad).any() else None
        out[row, bad] = _tree_integrals(q[sl][:, bad], density[sl][:, bad], k,
                                        p[sl][:, bad], rest)[0]
    return out


__all__ = ["rank_integrals"]
