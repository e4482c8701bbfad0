"""Bandit selectors over an estimator's Beta posterior: Thompson sampling and UCB.

Both need an estimator with ``posterior(items) -> (alpha, beta)``: ``ctr`` (clicks
over impressions) or, position-aware, ``coec`` / ``ips`` (evidence in rank-1 units:
clicks against *expected examinations*, so a skipped item at rank 9 counts as little
as it was likely to be seen; Lagree et al. 2016, "Multiple-play bandits in the
position-based model").

* Thompson sampling (Thompson 1933; Chapelle & Li 2011): per session, draw
  ``theta_i ~ Beta(alpha_i, beta_i)`` for every candidate and serve the ``k`` largest
  (the values that cannot matter are drawn lazily, by inversion, and exactly:
  :mod:`~loopsim.policies.selectors.thompson_draws`).
  Its marginal propensities ``P(item i at rank r)``, once per model version, are either
  (``propensities``):

  - ``exact`` (the default): a one-dimensional integral per item and rank, computed by
    quadrature to ``|error| <= 1e-6 p + 1e-15``
    (:func:`~loopsim.policies.selectors.thompson_marginals.thompson_marginals`); about
    0.07 s of CPU per table over a 30-day default-world run (1,000 to 1,150
    candidates, k = 10; a table per model version and per item arrival), against the
    Monte Carlo's 0.02 s (``python -m benchmarks.thompson_marginals``);
  - ``monte_carlo``: estimated from ``propensity_draws`` extra posterior slates ``M``
    (the served slate counts as one more draw, so the logged value is
    ``(count_{i,r} + 1) / (M + 1)``, never below ``1 / (M + 1)``: an item whose true
    marginal is far below that is logged far too likely, which biases IPS; standard
    error ``sqrt(p (1 - p) / M)``). The run declares its propensities
    ``"approximate (Monte Carlo, M=...)"`` and ``loopsim-ope`` refuses its log.

  Exact marginals are computed only when something reads them (a run that writes an
  impression log, or a policy part that reads ``Feedback.propensity``:
  :attr:`~loopsim.simulator.contract.batches.SlateRequest.propensities`); otherwise the
  slates carry NaN (randomized, not computed) and the run's numbers are the same.
* UCB (Auer et al. 2002, UCB1 on the posterior mean): serve the ``k`` largest
  ``mean_i + exploration * sqrt(2 ln N / n_i)`` with ``n_i = alpha_i + beta_i`` and
  ``N = sum_i n_i``; deterministic given the log (ties broken with the rng).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from loopsim.policies.selectors.thompson_draws import DrawPlan, draw_plan, draw_top_k
from loopsim.policies.selectors.thompson_marginals import marginals_and_regime
from loopsim.policies.selectors.ties import RankedHead, ranked_head
from loopsim.policies.selectors.topk import SCORE_BLOCK, top_k_rows
from loopsim.policies.selectors.unlogged import not_computed, randomized
from loopsim.simulator.contract.batches import SlateRequest, Slates
from loopsim.simulator.contract.estimator import Estimator, HasPosterior
from loopsim.simulator.contract.policy import EXACT
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.component_schema import NonNegative, PositiveInt


def _check_posterior(estimator: Estimator, selector: str) -> None:
    if not isinstance(estimator, HasPosterior) or estimator.personalized:
        raise ConfigError(
            f"policy.selector {selector} needs an estimator with a Beta posterior; "
            f"`policy.estimator` is {type(estimator).__name__}, which has none. Use "
            "policy/estimator=coec (position-aware), ips or ctr."
        )


class ThompsonSelector:
    """Per-session Thompson sampling, with exact or Monte-Carlo marginal propensities.

    Args:
        propensity_draws: Slates ``M`` drawn from the posterior once per model version
            to estimate the marginals ``P(item at rank)`` (>= 1; ``monte_carlo`` only).
        propensities: ``exact`` (quadrature, to 1e-6 relative; the default) or
            ``monte_carlo`` (estimated, approximate: refused by ``loopsim-ope``).
    """

    def __init__(self, propensity_draws: PositiveInt = 200,
                 propensities: Literal["monte_carlo", "exact"] = "exact") -> None:
        self.propensity_draws = propensity_draws
        self.propensities = propensities
        self._table: tuple[int, np.ndarray, np.ndarray] | None = None
        self._plan: tuple[int, np.ndarray, int, DrawPlan] | None = None
        self._singular = False

    def propensity_kind(self) -> str:
        """``"exact"``, or ``"approximate (...)"``: Monte Carlo, or a quadrature that
        integrated a posterior with ``alpha`` or ``beta`` below 1 up to its singular end
        (0 or 1), where no tolerance is claimed."""
        if self.propensities != "exact":
            return f"approximate (Monte Carlo, M={int(self.propensity_draws)})"
        if self._singular:
            return ("approximate (quadrature; a posterior with alpha or beta < 1 was "
                    "integrated up to its singular end)")
        return EXACT

    def _marginals(self, request: SlateRequest, estimator: Estimator,
                   alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """``(n, k)`` logged ``P(candidate at rank)``, once per model version."""
        cands, k = request.candidates, request.k
        t = self._table
        if t is None or t[0] != estimator.version or t[1] is not cands or t[2].shape[1] != k:
            if self.propensities == "exact":
                table, singular = marginals_and_regime(alpha, beta, k)
                self._singular |= singular
            else:
                table = self._monte_carlo(request, alpha, beta)
            self._table = t = (estimator.version, cands, table)
        return t[2]

    def _monte_carlo(self, request: SlateRequest, alpha: np.ndarray,
                     beta: np.ndarray) -> np.ndarray:
        """``(count + 1) / (M + 1)`` over ``M`` posterior slates."""
        cands, k = request.candidates, request.k
        m = int(self.propensity_draws)
        counts = np.zeros((cands.size, k))
        block = max(1, SCORE_BLOCK // max(1, cands.size))
        for start in range(0, m, block):
            rows = min(m, start + block) - start
            theta = request.rng.beta(alpha, beta, size=(rows, cands.size))
            idx = top_k_rows(theta, k)
            np.add.at(counts, (idx, np.broadcast_to(np.arange(k), idx.shape)), 1.0)
        return (counts + 1.0) / (m + 1.0)

    def check_estimator(self, estimator: Estimator) -> None:
        """Refuse an estimator without a posterior
        (:class:`~loopsim.policies.base.HasPosterior`)."""
        _check_posterior(estimator, "thompson")

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """The ``k`` best sampled values for each session, with their marginals."""
        cands = request.candidates
        alpha, beta = estimator.posterior(cands)  # type: ignore[attr-defined]
        # Monte Carlo draws from the policy's stream: computed whether or not anything
        # reads the values, so that a run's slates never depend on it.
        wanted = request.propensities or self.propensities != "exact"
        table = self._marginals(request, estimator, alpha, beta) if wanted else None
        b = request.batch_size
        plan = self._plan
        if (plan is None or plan[0] != estimator.version or plan[1] is not cands
                or plan[2] != request.k):
            self._plan = plan = (estimator.version, cands, request.k,
                                 draw_plan(alpha, beta, request.k))
        idx = np.empty((b, request.k), dtype=np.int64)
        block = max(1, SCORE_BLOCK // max(1, cands.size))
        for start in range(0, b, block):
            rows = min(b, start + block) - start
            idx[start : start + rows] = draw_top_k(request.rng, plan[3], rows, request.k)
        if table is None:
            return Slates(cands[idx], not_computed(b, request.k))
        return Slates(cands[idx], randomized(table[idx, np.arange(request.k)]))

    def __repr__(self) -> str:
        return (f"ThompsonSelector(propensity_draws={self.propensity_draws}, "
                f"propensities={self.propensities!r})")


class UCBSelector:
    """Greedy by an upper confidence bound on the posterior mean.

    Args:
        exploration: Weight of the confidence term (>= 0; 0 is greedy by the mean).
    """

    def __init__(self, exploration: NonNegative = 1.0) -> None:
        self.exploration = exploration
        self._cache: tuple[int, np.ndarray, int, RankedHead] | None = None

    def check_estimator(self, estimator: Estimator) -> None:
        """Refuse an estimator without a posterior
        (:class:`~loopsim.policies.base.HasPosterior`)."""
        _check_posterior(estimator, "ucb")

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """One UCB ranking per estimator version (ties drawn per session)."""
        c = float(self.exploration)
        cands, cache = request.candidates, self._cache
        if (cache is None or cache[0] != estimator.version or cache[1] is not cands
                or cache[2] != request.k):
            alpha, beta = estimator.posterior(cands)  # type: ignore[attr-defined]
            n = alpha + beta
            bonus = np.sqrt(2.0 * np.log(max(n.sum(), np.e)) / n)
            head = ranked_head(alpha / n + c * bonus, cands, request.k)
            self._cache = cache = (estimator.version, cands, request.k, head)
        return Slates(cache[3].draw(request.batch_size, request.rng))

    def propensity_kind(self) -> str:
        """``"exact"``: the logged propensities are the exact marginals (or 1, deterministic)."""
        return EXACT

    def __repr__(self) -> str:
        return f"UCBSelector(exploration={self.exploration})"


__all__ = ["ThompsonSelector", "UCBSelector"]
