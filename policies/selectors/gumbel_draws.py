"""Softmax slates of a global score: the Gumbel-top-k draw, taking logs only where needed.

A Plackett-Luce slate is the top ``k`` of ``key_j = l_j + G_j`` with ``G_j`` standard
Gumbel (:mod:`~loopsim.policies.selectors.softmax`). numpy draws ``G = -log(-log(1 - r))``
from one uniform ``r`` (``Generator.gumbel``); the two logarithms of every candidate in
every session were most of a softmax run. Most candidates never come near the top ``k``,
so this computes their keys only where they can reach it:

* A threshold ``x`` is chosen once per logits row (estimator version, candidate set), so
  that about :data:`EXPECTED_ABOVE` keys per session lie above it.
* Each session draws one uniform ``r`` per candidate, as ``Generator.gumbel`` does, and
  ``key_j > x`` exactly when ``r_j < c_j = 1 - exp(-exp(l_j - x))``, a cut computed once
  per row. The keys are computed only where ``r_j`` is below the cut of a slightly lower
  threshold (a margin for rounding), about :data:`EXPECTED_ABOVE` per session.
* When at least ``k`` computed keys exceed ``x``, the session's top ``k`` are among them
  (every key not computed is below ``x``). A session with fewer (rare) computes all its
  keys from the same uniforms.

The keys are computed by the same formula from the same uniforms as ``Generator.gumbel``,
and the stream advances by one double per candidate either way, so the slates are those
of ``top_k_rows(l + rng.gumbel(size=(b, n)), k)`` (tested); where numpy's ``log`` and the
C library's differ in a last bit (they agree on the machines measured), two keys within
one unit in the last place could swap, with probability of order ``1e-16``. One
difference by design: ``Generator.gumbel`` redraws the uniform ``r = 0`` (probability
``2**-53`` per value), here it is taken as ``2**-53``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from loopsim.policies.selectors.topk import top_k_rows, top_k_sparse_rows, true_positions

#: Expected number of keys above the threshold per session aimed at.
EXPECTED_ABOVE = 25.0
#: The keys are computed above ``x - MARGIN * max(1, |x|)``: far above the rounding of
#: a key (~1e-16 relative), far below the gaps between keys.
MARGIN = 1e-9
#: The smallest positive value of ``Generator.random``.
_SMALLEST = 2.0**-53


@dataclass(frozen=True)
class GumbelPlan:
    """One logits row prepared for :func:`gumbel_top_k`.

    Attributes:
        logits: ``(n,)`` the row.
        x: The threshold (``-inf``: no threshold, every key is computed).
        cut: ``(n,)`` a key is computed where its uniform is below this
            (``P(key_j > x - margin)``).
    """

    logits: np.ndarray
    x: float
    cut: np.ndarray


def _above(logits: np.ndarray, x: float) -> np.ndarray:
    """``P(l_j + G > x)`` for standard Gumbel ``G``."""
    return -np.expm1(-np.exp(np.minimum(logits - x, 700.0)))


def gumbel_plan(logits: np.ndarray, k: int) -> GumbelPlan:
    """The threshold and the cuts of a logits row (see the module doc)."""
    logits = np.asarray(logits, dtype=np.float64)
    n = logits.size
    target = max(EXPECTED_ABOVE, 2.5 * k)
    if n <= 2 * target:
        return GumbelPlan(logits, -np.inf, np.ones(n))
    # sum_j P(l_j + G > x) <= sum_j exp(l_j - x), equal in the limit of large x: where
    # that bound is the target the sum is at most the target (the bracket's top); far
    # below every logit it is n. Newton steps on the exact sum, bisection when a step
    # leaves the bracket. Any x gives the same slates; it only sets how many keys are
    # computed, so a few percent of the target is precise enough.
    top = float(logits.max())
    hi = top + float(np.log(np.exp(logits - top).sum() / target))
    lo = float(logits.min()) - 10.0
    x = hi
    for _ in range(60):
        e = np.exp(np.minimum(logits - x, 700.0))
        excess = float((-np.expm1(-e)).sum()) - target
        if abs(excess) < 0.02 * target:
            break
        if excess > 0.0:
            lo = x
        else:
            hi = x
        slope = float((e * np.exp(-e)).sum())  # minus the derivative in x
        step = x + excess / slope if slope > 0.0 else np.nan
        x = step if lo < step < hi else 0.5 * (lo + hi)
    return GumbelPlan(logits, x, _above(logits, x - MARGIN * max(1.0, abs(x))))


def _keys(logits: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``l - log(-log(1 - r))``: ``Generator.gumbel``'s formula on its uniforms."""
    return logits - np.log(-np.log(1.0 - np.maximum(r, _SMALLEST)))


def gumbel_top_k(rng: np.random.Generator, plan: GumbelPlan, sessions: int, k: int
                 ) -> np.ndarray:
    """``(sessions, k)`` positions of each session's ``k`` largest keys, best first."""
    n = plan.logits.size
    k = min(k, n)
    r = rng.random((sessions, n))
    if not np.isfinite(plan.x):
        return top_k_rows(_keys(plan.logits, r), k)
    rows, cols = true_positions(r < plan.cut)
    keys = _keys(plan.logits[cols], r[rows, cols])
    out = top_k_sparse_rows(sessions, k, rows, cols, keys)
    short = np.flatnonzero(np.bincount(rows[keys > plan.x], minlength=sessions) < k)
    if short.size:  # fewer than k keys above x: every key of those sessions
        out[short] = top_k_rows(_keys(plan.logits, r[short]), k)
    return out


__all__ = ["EXPECTED_ABOVE", "MARGIN", "GumbelPlan", "gumbel_plan", "gumbel_top_k"]
