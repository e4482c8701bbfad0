"""Thompson sampling's slates: the top ``k`` of independent Beta draws, drawing little.

A Thompson slate serves the ``k`` largest of ``theta_j ~ Beta(alpha_j, beta_j)`` over
every candidate. Drawing all ``n`` values per session (two gamma variates each, ~100 ns)
was most of a Thompson run once its propensities were computed only when read. Most
candidates almost never reach the top ``k``, so this draws them lazily and exactly:

* A threshold ``x`` is chosen once per posterior (model version or candidate set) so
  that about :data:`EXPECTED_ABOVE` values lie above it (normal approximation), and
  ``q_j = P(theta_j > x)`` is computed exactly (``betainc``).
* The *head*, the candidates with ``q_j >`` :data:`HEAD_Q`, is drawn in full from
  ``Beta(alpha_j, beta_j)``.
* Every other candidate (the *tail*) gets one uniform ``U`` per session and is drawn by
  inversion, ``theta = 1 - I^{-1}_U(beta_j, alpha_j)`` (so ``1 - theta ~ Beta(beta_j,
  alpha_j)``: accurate where ``U`` is tiny), which exceeds ``x`` exactly when
  ``U < q_j``. The inverse CDF (~1 us) is evaluated only where ``U < q_j``: about
  :data:`EXPECTED_ABOVE` minus the head's share per session.
* The ``k`` largest of the head and of the tail values above ``x`` are the slate when at
  least ``k`` values exceed ``x`` (every other value is below ``x``). A session with
  fewer (rare: a few percent at most) evaluates its whole tail from the same uniforms.

Each value has exactly its Beta law (inversion of the CDF), independently across
candidates and sessions, so the slates follow the same law as drawing every value, and
the exact marginals of :mod:`~loopsim.policies.selectors.thompson_marginals` describe
them. The random draws differ from drawing every value (``python -m
benchmarks.thompson_draws`` prints the cost of both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from loopsim.policies.selectors.topk import top_k_rows, top_k_sparse_rows, true_positions
from scipy import special

#: Expected number of values above the threshold ``x`` aimed at (normal approximation).
EXPECTED_ABOVE = 25.0
#: Candidates whose ``P(theta > x)`` exceeds this are drawn in full (the head).
HEAD_Q = 0.1


@dataclass(frozen=True)
class DrawPlan:
    """What :func:`draw_top_k` needs of one posterior, computed once per posterior.

    Attributes:
        head: ``(h,)`` positions (in the candidates) of the candidates drawn in full.
        tail: ``(t,)`` positions of the others.
        alpha, beta: ``(n,)`` the posterior's parameters.
        q_tail: ``(t,)`` ``P(theta > x)`` of the tail.
        x: The threshold.
    """

    head: np.ndarray
    tail: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    q_tail: np.ndarray
    x: float


def _threshold(mean: np.ndarray, sd: np.ndarray, target: float) -> float:
    """``x`` with about ``target`` values above it (normal approximation, bisection)."""
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        above = special.ndtr((mean - mid) / sd).sum()
        if above > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def draw_plan(alpha: np.ndarray, beta: np.ndarray, k: int) -> DrawPlan:
    """The head, the tail and the threshold of a posterior (see the module doc)."""
    alpha = np.asarray(alpha, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    n = alpha.size
    total = alpha + beta
    mean = alpha / total
    sd = np.sqrt(alpha * beta / (total * total * (total + 1.0)))
    x = _threshold(mean, sd, max(EXPECTED_ABOVE, 2.5 * k)) if n > 2 * k else 0.0
    q = special.betainc(beta, alpha, 1.0 - x) if x > 0.0 else np.ones(n)
    in_head = q > HEAD_Q
    head, tail = np.flatnonzero(in_head), np.flatnonzero(~in_head)
    return DrawPlan(head, tail, alpha, beta, q[tail], x)


def _tail_values(plan: DrawPlan, cols: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``theta`` of tail candidates ``plan.tail[cols]`` from their uniforms ``u``."""
    j = plan.tail[cols]
    return 1.0 - special.betaincinv(plan.beta[j], plan.alpha[j], u)


def draw_top_k(rng: np.random.Generator, plan: DrawPlan, sessions: int, k: int
               ) -> np.ndarray:
    """``(sessions, k)`` positions (in the candidates) of each session's ``k`` largest
    Beta draws, best first."""
    n_head, n_tail = plan.head.size, plan.tail.size
    head = rng.beta(plan.alpha[plan.head], plan.beta[plan.head], size=(sessions, n_head))
    if n_tail == 0:
        return plan.head[top_k_rows(head, k)]
    u = rng.random((sessions, n_tail))
    rows, cols = true_positions(u < plan.q_tail)
    out = top_k_sparse_rows(sessions, k, rows, plan.tail[cols],  # short rows: redone below
                            _tail_values(plan, cols, u[rows, cols]), plan.head, head)
    counts = np.bincount(rows, minlength=sessions)
    short = np.flatnonzero((head > plan.x).sum(axis=1) + counts < k)
    for s in short:  # fewer than k values above x: the whole tail of that session
        full = np.concatenate([head[s], _tail_values(plan, np.arange(n_tail), u[s])])
        order = top_k_rows(full[None, :], k)[0]
        out[s] = np.concatenate([plan.head, plan.tail])[order]
    return out


__all__ = ["EXPECTED_ABOVE", "HEAD_Q", "DrawPlan", "draw_plan", "draw_top_k"]
