"""Softmax (Plackett-Luce) sampling at a temperature, with exact per-rank marginals.

Slates are drawn by the Gumbel-top-k trick: ``argsort(score / T + Gumbel)`` is a
Plackett-Luce draw with weights ``w_i = exp(score_i / T)``. For a global score the keys
are computed only where they can reach the top ``k``, with the same slates
(:mod:`~loopsim.policies.selectors.gumbel_draws`).

Propensities are the exact marginals ``P(item i at rank r)``, from the exponential-race
form of Plackett-Luce: with independent ``T_j ~ Exp(w_j)`` the order of the ``T_j`` is
the PL order, so

    P(i at rank r) = integral_0^inf  w_i exp(-w_i t)  PB_{-i}(r - 1; t)  dt

where ``PB_{-i}(m; t)`` is the Poisson-binomial probability that exactly ``m`` of the
other items have ``T_j < t`` (each with probability ``1 - exp(-w_j t)``). ``PB_{-i}``
for every ``i`` comes from leave-one-out products of the per-item generating
polynomials truncated to degree ``k - 1``, by a balanced product tree
(:mod:`loopsim.policies.selectors.poisson_binomial`: ``O(n Q k^2)`` in ``2 log2 n`` vectorized
steps, no division, numerically stable), and the integral from the trapezoid rule in
``log t`` on ``Q`` nodes spaced 0.2 apart (the integrand vanishes exponentially at
both ends in ``log t``, where the trapezoid rule converges exponentially fast). Each
rank's column is then renormalised to sum to 1 (the quadrature error, < 1e-10 against
enumeration in the tests, is spread proportionally), and values are floored at
``1e-30`` so that they stay in (0, 1] in float32. Logits are floored at ``max - 30``
(see :func:`floored`) before sampling and before computing the marginals, so the two
always describe the same law and the time range stays bounded.

Cost: ``O(n Q k)`` (Q ~ 100-250), once per estimator version (or candidate set) for
a global estimator (``python -m benchmarks.softmax_marginals`` prints it against the
product tree alone); once per distinct user of a batch for a personalized one. Only
when something reads them (an impression log, or a policy part that reads
``Feedback.propensity``: :attr:`~loopsim.simulator.contract.batches.SlateRequest.propensities`);
otherwise the slates carry NaN (randomized, not computed) and the draws are the same.
"""

from __future__ import annotations

import numpy as np
from loopsim.policies.selectors.gumbel_draws import GumbelPlan, gumbel_plan, gumbel_top_k
from loopsim.policies.selectors.poisson_binomial import BLOCK, rank_integrals
from loopsim.policies.selectors.topk import SCORE_BLOCK, top_k_rows
from loopsim.policies.selectors.unlogged import not_computed, randomized
from loopsim.simulator.contract.batches import SlateRequest, Slates
from loopsim.simulator.contract.estimator import Estimator
from loopsim.simulator.contract.policy import EXACT
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.component_schema import Positive

#: Largest ``|score| / temperature`` allowed: beyond it float64 rounds the logits in
#: steps above ``2**-12``, coarse against the unit-scale Gumbel noise, so sampling would
#: no longer follow the law whose marginals are logged.
MAX_LOGIT = 2.0**40
_STEP = 0.2
_FLOOR = 1e-30
#: Logits are floored at ``max - _SPAN``: it bounds the integration range in log t.
_SPAN = 30.0


def floored(logits: np.ndarray) -> np.ndarray:
    """Logits floored at ``row max - 30`` (the law that is sampled and whose marginals
    are returned: an item ``e^30 ~ 1e13`` times less likely than the best stays that
    unlikely instead of underflowing)."""
    return np.maximum(logits, logits.max(axis=-1, keepdims=True) - _SPAN)


def _grid(w: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """``(R, Q)`` log-spaced integration times per row and the log step."""
    total = w.sum(axis=1)
    ordered = -np.sort(-w, axis=1)
    ref = ordered[:, min(k, w.shape[1] - 1)]
    lo = np.log(1e-5 / total)
    hi = np.log(60.0 / np.maximum(ref, 1e-300))
    q = int(np.clip(np.ceil((hi - lo).max() / _STEP), 64, 4000)) + 1
    u = np.linspace(0.0, 1.0, q)
    log_t = lo[:, None] + (hi - lo)[:, None] * u[None, :]
    return np.exp(log_t), (hi - lo) / (q - 1)


def plackett_luce_marginals(logits: np.ndarray, k: int) -> np.ndarray:
    """``(R, n, k)`` exact ``P(item at rank r)`` of each row's Plackett-Luce law.

    Args:
        logits: ``(R, n)`` log-weights (``score / temperature``).
        k: Number of ranks.
    """
    logits = floored(np.atleast_2d(np.asarray(logits, dtype=np.float64)))
    r, n = logits.shape
    k = min(k, n)
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    t, step = _grid(w, k)
    trap = np.ones(t.shape[1])
    trap[[0, -1]] = 0.5
    out = np.empty((r, n, k))
    rows = max(1, BLOCK // (n * t.shape[1]))
    for start in range(0, r, rows):
        s = slice(start, start + rows)
        wt = w[s, :, None] * t[s, None, :]
        stay = np.exp(-wt)  # P(T_j > t), exact where it is tiny
        density = w[s, :, None] * stay * t[s, None, :] * trap
        out[s] = rank_integrals(-np.expm1(-wt), density, k, p=stay) * step[s, None, None]
    out /= out.sum(axis=1, keepdims=True)
    return np.maximum(out, _FLOOR)


def check_temperature(temperature: float, scale: float = 1.0) -> float:
    """Return the temperature, or raise :class:`ConfigError` if float64 cannot sample it.

    Args:
        temperature: ``policy.selector.temperature`` (its range, > 0, is declared on the
            constructor and checked before the run:
            :mod:`loopsim.simulator.params.component_schema`).
        scale: The largest ``|score|`` it divides (1: the scale of click rates, checked
            before the run; the engine's scores are checked again as they come).
    """
    t = float(temperature)
    if t > 0 and scale / t > MAX_LOGIT:
        raise ConfigError(
            f"`policy.selector.temperature == {temperature!r}` is too small for float64 against "
            f"scores of magnitude {scale:.3g}: the logits score / temperature reach "
            f"{scale / t:.3g}, where rounding swallows the sampling noise (the first item "
            "would always win while the logged propensities say otherwise). Use "
            f"policy.selector.temperature >= {scale / MAX_LOGIT:.3g}."
        )
    return t


def _logits(scores: np.ndarray, temp: float) -> np.ndarray:
    """``floored(scores / temp)``, after checking float64 can sample them."""
    scale = float(np.abs(scores).max(initial=0.0))
    if scale / temp > MAX_LOGIT:
        check_temperature(temp, scale)
    return floored(scores / temp)


class SoftmaxSelector:
    """Plackett-Luce slates with weights ``exp(score / temperature)``.

    Args:
        temperature: > 0, in the units of the estimator's scores (CTRs are ~0.01-0.3,
            so 0.01-0.1 is a useful range); large is uniform, small is greedy.
    """

    def __init__(self, temperature: Positive = 0.05) -> None:
        check_temperature(temperature)
        self.temperature = temperature
        self._cache: tuple[int, np.ndarray, int, GumbelPlan] | None = None
        self._table: np.ndarray | None = None

    def _global(self, request: SlateRequest, estimator: Estimator, temp: float,
                marginals: bool) -> tuple[GumbelPlan, np.ndarray | None]:
        """The global logits prepared for drawing and, when ``marginals``, their table
        (both cached per estimator version, candidate set and ``k``; the table only once
        asked for)."""
        c = self._cache
        cands, k = request.candidates, request.k
        if c is None or c[0] != estimator.version or c[1] is not cands or c[2] != k:
            logits = _logits(estimator.scores(cands), temp)
            self._cache = c = (estimator.version, cands, k, gumbel_plan(logits, k))
            self._table = None
        if marginals and self._table is None:
            self._table = plackett_luce_marginals(c[3].logits[None, :], k)[0]
        return c[3], self._table

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """Sampled slates with their exact marginal propensities (NaN, not computed,
        when the request asks for none: :attr:`SlateRequest.propensities`)."""
        temp = float(self.temperature)
        cands, k, b, rng = request.candidates, request.k, request.batch_size, request.rng
        wanted = request.propensities
        items = np.empty((b, k), dtype=np.int64)
        props = np.empty((b, k), dtype=np.float32) if wanted else not_computed(b, k)
        block = max(1, SCORE_BLOCK // max(1, cands.size))
        for start in range(0, b, block):
            stop = min(b, start + block)
            marg: np.ndarray | None = None
            if estimator.personalized:
                # Marginals once per distinct user of the block.
                users, inverse = np.unique(request.users[start:stop], return_inverse=True)
                unique = _logits(estimator.user_scores(users, cands), temp)
                logits = unique[inverse]
                if wanted:
                    marg = plackett_luce_marginals(unique, k)[inverse]
                idx = top_k_rows(logits + rng.gumbel(size=logits.shape), k)
            else:
                plan, table = self._global(request, estimator, temp, wanted)
                marg = None if table is None else table[None]
                # the same slates as adding Gumbel noise to every logit, taking the
                # logarithms only where a key can reach the top k (gumbel_draws)
                idx = gumbel_top_k(rng, plan, stop - start, k)
            items[start:stop] = cands[idx]
            if marg is not None:
                rows = np.arange(stop - start)[:, None] if estimator.personalized else 0
                props[start:stop] = randomized(marg[rows, idx, np.arange(k)])
        return Slates(items, props)

    def propensity_kind(self) -> str:
        """``"exact"``: the logged propensities are the exact marginals (or 1, deterministic)."""
        return EXACT

    def __repr__(self) -> str:
        return f"SoftmaxSelector(temperature={self.temperature})"


__all__ = ["MAX_LOGIT", "SoftmaxSelector", "check_temperature", "plackett_luce_marginals"]
