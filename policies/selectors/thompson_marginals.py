"""Exact rank marginals of Thompson sampling from independent Beta posteriors.

A Thompson slate draws ``theta_j ~ Beta(alpha_j, beta_j)`` independently for every
candidate and serves the ``k`` largest, best first (ties have probability 0). Item ``i``
lands at rank ``r`` when exactly ``r - 1`` of the others draw more than it:

    P(i at rank r) = integral_0^1  f_i(x)  PB_{-i}(r - 1; x)  dx

with ``f_i`` the Beta density of item ``i`` and ``PB_{-i}(m; x)`` the Poisson-binomial
probability that exactly ``m`` of the other items have ``theta_j > x`` (each with
probability ``q_j(x) = 1 - I_x(alpha_j, beta_j)``). ``PB_{-i}`` for every ``i`` comes
from leave-one-out products of the generating polynomials ``(1 - q_j) + q_j z``
truncated to degree ``k - 1``, by the balanced product tree of
:mod:`loopsim.policies.selectors.poisson_binomial` (no division, so no deconvolution
instability when ``q_j`` is near 1).

Quadrature (one grid shared by all items): composite Gauss-Legendre, :data:`NODES`
nodes per panel, on ``[x_low, x_high]``:

* ``x_low``: below it at least ~100 items are expected above ``x`` (normal
  approximation), checked exactly: the probability that fewer than ``k`` items exceed
  ``x_low`` (a Chernoff bound on the exact ``q_j(x_low)``) bounds the mass left out;
  the range is widened until that bound is below ``1e-18`` (or reaches 0).
* ``x_high``: above every item's mean + 12 sd (or 1).
* panel widths: at most ``PANEL_SD`` posterior sd of every item within ``WINDOW`` sd of
  its mean, growing by half the distance beyond that (so a concentrated posterior and
  its tails are resolved wherever they are), graded geometrically toward 0 and 1 when
  the range reaches an end (densities with ``alpha < 2`` or ``beta < 2`` are not smooth
  there).

The CDFs at the nodes are not computed with ``betainc`` (~1 us per value, 0.2 s per
model version at 1,000 items x 200 nodes): ``I_x`` is obtained once per item at
``x_low`` and ``x_high`` and carried across the grid by integrating the density on the
same Gauss-Legendre panels (spectral integration matrices), from below for ``1 - q``
and from above for ``q``, so both stay accurate in relative terms where they are tiny.
The densities cost one outer product and an ``exp``.

Accuracy (tests/policies/selectors/test_thompson_marginals.py, against an adaptive
quadrature per item with ``betainc`` at every point, and against Monte Carlo; and on the
posteriors of a 30-day default-world run against a grid 4x finer):
``|error| <= 1e-6 * p + 1e-15`` for every item and rank when every ``alpha, beta >= 2``
(:data:`TOLERANCE_REL`, :data:`TOLERANCE_ABS`); ``1e-4 * p`` when some lie in [1, 2);
none claimed below 1 when that end is inside the integrated range (see
:data:`TOLERANCE_REL_STEEP` and :func:`marginals_and_regime`). Each rank's column is
renormalised to sum to 1; values are floored at ``1e-30`` so that they stay in (0, 1] in float32.
"""

from __future__ import annotations

import functools

import numpy as np
from loopsim.policies.selectors.poisson_binomial import rank_integrals
from scipy import special

#: Stated accuracy of :func:`thompson_marginals`: ``|p_hat - p| <= REL * p + ABS`` when
#: every ``alpha, beta >= 2``; :data:`TOLERANCE_REL_STEEP` when some lie in [1, 2) (a
#: density with an infinite slope at an end: measured up to 3e-5 on a 6-item catalogue).
#: Below 1 (a density singular at an end) no tolerance is claimed (measured: 10%) when
#: that end is integrated, and :class:`~loopsim.policies.selectors.bandits.ThompsonSelector`
#: declares the run's propensities approximate.
TOLERANCE_REL, TOLERANCE_ABS = 1e-6, 1e-15
TOLERANCE_REL_STEEP = 1e-4
#: Gauss-Legendre nodes per panel.
NODES = 8
#: Largest panel width in posterior standard deviations, near an item's mean.
PANEL_SD = 3.0
#: Largest change of a log density across a panel (its tails are resolved as its core).
SLOPE_STEP = 8.0
#: A density is resolved where it is above ``exp(-DEPTH)`` times its value at its mean.
DEPTH = 45.0
#: Expected number of items above ``x_low`` aimed at (normal approximation).
EXPECTED_ABOVE = 70.0
#: Largest bound accepted on the probability mass left below ``x_low``.
LEFT_OUT = 1e-18
_FLOOR = 1e-30
#: Largest expected number of items above ``x_high`` (see :func:`_x_high`).
TOP_LEFT = 1e-10
#: Geometric panels toward an end of the support where a density is singular.
_GRADED = 60
#: Items (times k) of the highest means handed to the product tree as a block when the
#: deconvolution's guard refuses only items among them (a speed-up, same numbers).
HEAVY = 3
#: Cells of the grid on which the total density ``sum_j f_j`` is tabulated.
_RATE_GRID = 256


@functools.cache
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes ``u`` and weights ``w`` on [0, 1], and the matrix ``S[t, s]`` with
    ``sum_s S[t, s] g(u_s) = integral_0^{u_t} g`` for polynomials of degree < n."""
    x, w = np.polynomial.legendre.leggauss(n)
    u, w = (x + 1.0) / 2.0, w / 2.0
    # Lagrange basis through the nodes, in the Legendre basis, integrated from -1.
    vander = np.polynomial.legendre.legvander(x, n - 1)  # (t, degree)
    coef = np.linalg.inv(vander)  # column s: coefficients of the basis polynomial s
    s = np.empty((n, n))
    for j in range(n):
        anti = np.polynomial.legendre.legint(coef[:, j], lbnd=-1.0)
        s[:, j] = np.polynomial.legendre.legval(x, anti) / 2.0
    return u, w, s


def _expected_above(x: float, mean: np.ndarray, sd: np.ndarray) -> float:
    return float(special.ndtr((mean - x) / sd).sum())


def _x_low(mean: np.ndarray, sd: np.ndarray, alpha: np.ndarray, beta: np.ndarray,
           k: int) -> float:
    """Lower end of the range: the mass below it is bounded by :data:`LEFT_OUT`."""
    n = mean.size
    if n <= k or _expected_above(0.0, mean, sd) < EXPECTED_ABOVE:
        return 0.0
    lo, hi = 0.0, 1.0
    for _ in range(40):  # bisection on the normal approximation
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if _expected_above(mid, mean, sd) >= EXPECTED_ABOVE else (lo, mid)
    x = lo
    while x > 0.0:
        q = special.betainc(beta, alpha, 1.0 - x)  # exact P(theta_j > x)
        lam, a = float(q.sum()), k - 1
        # Chernoff: P(S <= a) <= exp(-lam) (e lam / a)^a for a < lam.
        if lam > a and (-lam + a + (a * np.log(lam / a) if a > 0 else 0.0)) < np.log(LEFT_OUT):
            return x
        x = max(0.0, x - 0.1)
    return 0.0


def _x_high(mean: np.ndarray, sd: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> float:
    """Upper end of the range: for every item, the others' expected number above
    ``x_high`` is at most ``TOP_LEFT`` (exact check).

    Densities with ``beta < 1`` are singular at 1; stopping short of 1 and counting the
    mass above as rank 1 avoids integrating the singularity (and ``1 - x`` rounding to
    0 in float64 near it).
    """
    hi = float((mean + 12.0 * sd).max())
    if hi < 1.0:
        return hi
    for digits in range(2, 16):
        x = 1.0 - 10.0 ** -digits
        q = special.betainc(beta, alpha, 1.0 - x)
        if float(q.sum() - q.max()) <= TOP_LEFT:  # every item's tail error <= TOP_LEFT
            return x
    return 1.0


def _log_density(x: np.ndarray | float, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Unnormalised log Beta density (``-inf`` outside (0, 1))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num((alpha - 1.0) * np.log(x) + (beta - 1.0) * np.log1p(-x),
                             nan=-np.inf)


def _windows(alpha: np.ndarray, beta: np.ndarray, mean: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Where each density is above ``exp(-DEPTH)`` times its value at the mean."""
    top = _log_density(mean, alpha, beta) - DEPTH
    am1, bm1 = alpha - 1.0, beta - 1.0
    ends = []
    for outer in (0.0, 1.0):
        a, b = np.full_like(mean, outer), mean.copy()  # a: below the threshold
        for _ in range(50):
            mid = (a + b) / 2.0  # may round to 0 or 1 next to an end: log is -inf there
            with np.errstate(divide="ignore", invalid="ignore"):
                log_f = (np.where(am1 == 0.0, 0.0, am1 * np.log(mid))
                         + np.where(bm1 == 0.0, 0.0, bm1 * np.log1p(-mid)))
            above = log_f > top
            a, b = np.where(above, a, mid), np.where(above, mid, b)
        ends.append(a)
    return ends[0], ends[1]


def _slope(x: float | np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``|d log f / dx|`` at ``x``."""
    if np.ndim(x) == 0 and 0.0 < x < 1.0:  # finite: no NaN to replace
        return np.abs((alpha - 1.0) / x - (beta - 1.0) / (1.0 - x))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num(np.abs((alpha - 1.0) / x - (beta - 1.0) / (1.0 - x)),
                             nan=np.inf)


def _breakpoints(mean: np.ndarray, sd: np.ndarray, lo: float, hi: float,
                 alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Panel edges on ``[lo, hi]`` (see the module docstring) and ``1 - edge``, kept
    apart because geometric panels toward 1 are closer to it than float64 resolves."""
    span = hi - lo
    sharp = PANEL_SD * sd < span
    al, be, w0 = alpha[sharp], beta[sharp], PANEL_SD * sd[sharp]
    left, right = _windows(al, be, mean[sharp])
    keep = (right > lo) & (left < hi)
    al, be, w0, left, right = al[keep], be[keep], w0[keep], left[keep], right[keep]
    entry = np.minimum(w0, SLOPE_STEP / np.maximum(_slope(np.clip(left, 1e-300, None), al, be),
                                                   1e-300))
    cap = span / 4.0
    floor = float(w0.min()) / 8.0 if w0.size else span / 1e4
    # sum_j f_j(x) (how fast the expected number of items above x changes) on a grid,
    # its maximum over each cell and its neighbours taken as the rate in the cell.
    grid = np.linspace(lo, hi, _RATE_GRID + 1)
    with np.errstate(over="ignore"):  # a density with alpha or beta < 1 at an end: inf
        rate = np.exp(_log_density(grid[:, None], alpha, beta) - special.betaln(alpha, beta)
                      ).sum(axis=1)
    rate = np.maximum(rate[:-1], rate[1:])
    rate = np.maximum.reduce([rate, np.roll(rate, 1), np.roll(rate, -1)])

    def crossing(x: float) -> float:
        """``C / sum_j f_j(x)``: the expected number of items above ``x`` changes by
        ``SLOPE_STEP`` at most across a panel (the Poisson-binomial's own scale)."""
        cell = min(_RATE_GRID - 1, int((x - lo) / span * _RATE_GRID))
        r = float(rate[cell])
        return SLOPE_STEP / r if r > 0 else cap

    def allowed(x: float) -> float:
        if not al.size:
            return max(floor, min(cap, crossing(x)))
        inside = (left <= x) & (x <= right)
        local = np.minimum(w0, SLOPE_STEP / np.maximum(_slope(x, al, be), 1e-300))
        ahead = np.where(left > x, left - x + entry, np.inf)
        return float(max(floor, min(cap, crossing(x), np.min(np.where(inside, local, ahead)))))

    edges = [lo]
    x = lo
    while x < hi:
        w = allowed(x)
        w = min(w, allowed(min(hi, x + w)))
        x = min(hi, x + w)
        if hi - x < 0.25 * w:
            x = hi
        edges.append(x)
    e = np.asarray(edges)
    # Geometric grading toward an end of the support where a density is not smooth.
    if lo == 0.0 and float(alpha.min()) < 2.0:
        first = e[1]
        e = np.concatenate([[0.0], first * 2.0 ** -np.arange(_GRADED, 0, -1), e[1:]])
    d = 1.0 - e
    if hi == 1.0 and float(beta.min()) < 2.0:
        last = 1.0 - e[-2]
        tail = last * 2.0 ** -np.arange(1, _GRADED + 1)
        e = np.concatenate([e[:-1], 1.0 - tail, [1.0]])
        d = np.concatenate([d[:-1], tail, [0.0]])
    return e, d


def _nodes(edges: np.ndarray, gaps: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(P, NODES)`` nodes, ``1 - node`` and weights, and ``(P,)`` widths of the panels
    (``gaps`` is ``1 - edges``, exact near 1)."""
    u, w, _ = _gauss_legendre(NODES)
    width = np.where(gaps[:-1] < 0.5, gaps[:-1] - gaps[1:], np.diff(edges))
    x = edges[:-1, None] + width[:, None] * u
    y = gaps[:-1, None] - width[:, None] * u
    return x, y, width[:, None] * w, width


def _cdfs(alpha: np.ndarray, beta: np.ndarray, dens: np.ndarray, width: np.ndarray,
          lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """``(n, P, NODES)`` ``P(theta <= x)`` and ``P(theta > x)`` at the nodes, from the
    densities ``dens`` at the nodes (spectral integration on each panel)."""
    _, w, s = _gauss_legendre(NODES)
    n, p, m = dens.shape
    flat = dens.reshape(n * p, m)
    # (einsum with a path: a (N, 8) x (8, 8) product is 3x slower through BLAS)
    below = np.einsum("is,ts->it", flat, s, optimize=True).reshape(n, p, m) * width[:, None]
    above = np.einsum("is,ts->it", flat, w[None, :] - s, optimize=True).reshape(n, p, m)
    above *= width[:, None]
    total = (flat @ w).reshape(n, p) * width  # panel integrals
    start = special.betainc(alpha, beta, lo) if lo > 0.0 else np.zeros(n)
    end = special.betainc(beta, alpha, 1.0 - hi) if hi < 1.0 else np.zeros(n)
    cum_lo = start[:, None] + np.cumsum(total, axis=1) - total  # F at each panel start
    cum_hi = end[:, None] + np.cumsum(total[:, ::-1], axis=1)[:, ::-1] - total
    below += cum_lo[:, :, None]
    above += cum_hi[:, :, None]
    return below, above


def thompson_marginals(alpha: np.ndarray, beta: np.ndarray, k: int) -> np.ndarray:
    """``(n, k)`` ``P(item i at rank r)`` of a top-``k`` slate by sampled Beta values.

    Args:
        alpha: ``(n,)`` Beta posterior parameters (> 0).
        beta: ``(n,)`` Beta posterior parameters (> 0).
        k: Slate size (clipped to ``n``).
    """
    return marginals_and_regime(alpha, beta, k)[0]


def marginals_and_regime(alpha: np.ndarray, beta: np.ndarray, k: int
                         ) -> tuple[np.ndarray, bool]:
    """:func:`thompson_marginals`, and whether a density singular at an end of (0, 1)
    (``alpha < 1`` at 0, ``beta < 1`` at 1) was integrated up to that end, where no
    tolerance is claimed.

    A singular end outside the integrated range ``[x_low, x_high]`` does not count:
    there the density is smooth, the mass below ``x_low`` is bounded by
    :data:`LEFT_OUT` and the mass above ``x_high`` is counted at rank 1 exactly as for
    any other posterior. Measured on the main job's posteriors (``seed=2``: an arriving
    item with ``alpha = 0.96``, ``x_low = 0.72``, ``min beta = 1.75``): 1e-5 relative
    against a grid 2-3x finer, within :data:`TOLERANCE_REL_STEEP`.
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    n = alpha.size
    k = min(k, n)
    if n == 0 or k == 0:
        return np.zeros((n, k)), False
    total = alpha + beta
    mean = alpha / total
    sd = np.sqrt(alpha * beta / (total * total * (total + 1.0)))
    lo = _x_low(mean, sd, alpha, beta, k)
    hi = _x_high(mean, sd, alpha, beta)
    singular = bool((lo == 0.0 and float(alpha.min()) < 1.0)
                    or (hi == 1.0 and float(beta.min()) < 1.0))
    edges, gaps = _breakpoints(mean, sd, lo, hi, alpha, beta)
    x, y, wx, width = _nodes(edges, gaps)
    with np.errstate(divide="ignore"):
        log_x, log_1mx = np.log(x), np.log(y)
    norm = special.betaln(alpha, beta)
    log_f = ((alpha - 1.0)[:, None, None] * log_x + (beta - 1.0)[:, None, None] * log_1mx
             - norm[:, None, None])
    dens = np.exp(log_f, out=log_f)
    below, above = _cdfs(alpha, beta, dens, width, lo, hi)
    scale = below + above  # 1 up to the quadrature error of each density
    below /= scale
    above /= scale
    dens *= wx
    # The items the deconvolution's guard may refuse are those whose own draw is often
    # above the others' (their q_i passes 1/2 where few items are above): the top means.
    heavy = np.zeros(n, dtype=bool)
    heavy[np.argsort(-mean, kind="stable")[:HEAVY * k]] = True
    out = rank_integrals(above.reshape(1, n, -1), dens.reshape(1, n, -1), k,
                         p=below.reshape(1, n, -1), heavy=heavy)[0]
    # Above x_high all other items are below x with probability >= 1 - TOP_LEFT: the
    # mass of item i there is rank 1 (error <= TOP_LEFT * that mass).
    if hi < 1.0:
        out[:, 0] += special.betainc(beta, alpha, 1.0 - hi)
    out /= out.sum(axis=0, keepdims=True)
    return np.maximum(out, _FLOOR), singular


__all__ = ["TOLERANCE_ABS", "TOLERANCE_REL", "TOLERANCE_REL_STEEP", "marginals_and_regime",
           "thompson_marginals"]
