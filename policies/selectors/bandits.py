"""Bandit selectors over an estimator's Beta posterior: Thompson sampling and UCB.

Both need an estimator with ``posterior(items) -> (alpha, beta)``: ``ctr`` (clicks
over impressions) or, position-aware, ``coec`` / ``ips`` (evidence in rank-1 units:
clicks against *expected examinations*, so a skipped item at rank 9 counts as little
as it was likely to be seen; Lagree et al. 2016, "Multiple-play bandits in the
position-based model").

* Thompson sampling (Thompson 1933; Chapelle & Li 2011): per session, draw
  ``theta_i ~ Beta(alpha_i, beta_i)`` for every candidate and serve the ``k`` largest.
  Its marginal propensities have no closed form, so slates carry ``None``; do not feed
  its log to estimators that need placement propensities.
* UCB (Auer et al. 2002, UCB1 on the posterior mean): serve the ``k`` largest
  ``mean_i + exploration * sqrt(2 ln N / n_i)`` with ``n_i = alpha_i + beta_i`` and
  ``N = sum_i n_i``; deterministic given the log (ties broken with the rng).
"""

from __future__ import annotations

import numpy as np
from loopsim.policies.base import Estimator, HasPosterior
from loopsim.policies.selectors.topk import SCORE_BLOCK, top_k_random_ties, top_k_rows
from loopsim.simulator.contract import SlateRequest, Slates
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.schema import NonNegative


def _check_posterior(estimator: Estimator, selector: str) -> None:
    if not isinstance(estimator, HasPosterior) or estimator.personalized:
        raise ConfigError(
            f"policy.selector {selector} needs an estimator with a Beta posterior; "
            f"`policy.estimator` is {type(estimator).__name__}, which has none. Use "
            "policy/estimator=coec (position-aware), ips or ctr."
        )


class ThompsonSelector:
    """Per-session Thompson sampling from the estimator's Beta posterior."""

    def check_estimator(self, estimator: Estimator) -> None:
        """Refuse an estimator without a posterior (:class:`~policies.base.HasPosterior`)."""
        _check_posterior(estimator, "thompson")

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """The ``k`` best sampled values for each session."""
        cands = request.candidates
        alpha, beta = estimator.posterior(cands)  # type: ignore[attr-defined]
        b = request.batch_size
        items = np.empty((b, request.k), dtype=np.int64)
        block = max(1, SCORE_BLOCK // max(1, cands.size))
        for start in range(0, b, block):
            rows = min(b, start + block) - start
            theta = request.rng.beta(alpha, beta, size=(rows, cands.size))
            items[start : start + rows] = cands[top_k_rows(theta, request.k)]
        return Slates(items)

    def __repr__(self) -> str:
        return "ThompsonSelector()"


class UCBSelector:
    """Greedy by an upper confidence bound on the posterior mean.

    Args:
        exploration: Weight of the confidence term (>= 0; 0 is greedy by the mean).
    """

    def __init__(self, exploration: NonNegative = 1.0) -> None:
        self.exploration = exploration
        self._cache: tuple[int, np.ndarray, np.ndarray] | None = None

    def check_estimator(self, estimator: Estimator) -> None:
        """Refuse an estimator without a posterior (:class:`~policies.base.HasPosterior`)."""
        _check_posterior(estimator, "ucb")

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """One shared UCB slate per estimator version."""
        c = float(self.exploration)
        cands, cache = request.candidates, self._cache
        if cache is None or cache[0] != estimator.version or cache[1] is not cands:
            alpha, beta = estimator.posterior(cands)  # type: ignore[attr-defined]
            n = alpha + beta
            bonus = np.sqrt(2.0 * np.log(max(n.sum(), np.e)) / n)
            row = cands[top_k_random_ties(alpha / n + c * bonus, request.k, request.rng)]
            self._cache = cache = (estimator.version, cands, row)
        return Slates(np.broadcast_to(cache[2], (request.batch_size, cache[2].shape[0])))

    def __repr__(self) -> str:
        return f"UCBSelector(exploration={self.exploration})"


__all__ = ["ThompsonSelector", "UCBSelector"]
