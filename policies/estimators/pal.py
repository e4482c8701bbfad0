"""PAL: a click model with an item effect and a rank effect, served at a default rank.

Guo et al. (2019, RecSys), "PAL: a position-bias aware learning framework for CTR
prediction in live recommender systems": train with the position as a feature, serve
with the position set to a default, so the item effect is learned apart from the
position effect. Here the model is logistic,

    P(click | item i, rank r) = sigmoid(a_i + b_r),   b_1 = 0,

fitted by maximum likelihood on the sufficient statistics per (item, rank) (clicks and
impressions, so the cost does not grow with the log), with a Beta-like prior on each
item: ``prior_strength`` pseudo-impressions at rank 1 with CTR ``prior_mean``. Each
update runs ``newton_steps`` alternating Newton sweeps over the item and rank effects,
warm-started. Items are served by ``sigmoid(a_i + b_default_rank)``.
"""

from __future__ import annotations

import numpy as np
from loopsim.policies.estimators.counts import served_only
from loopsim.policies.estimators.position_counts import PositionCounts
from loopsim.policies.estimators.prior import STRENGTH_FALLBACK, empirical_beta_prior
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.loop.catalogue import grown
from loopsim.simulator.params.component_schema import OpenUnit, Positive, PositiveInt

#: L2 weight that keeps a rank effect finite before its rank has clicks.
_RANK_L2 = 1e-3
_MAX_STEP = 4.0


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class PositionAwareLogistic:
    """Logistic item + rank effects on the log; scores at ``default_rank``.

    Args:
        prior_mean: Prior rank-1 CTR of an item (the item effect's prior); ``None``
            (default): the pooled rank-1 CTR of the log (empirical Bayes).
        prior_strength: Pseudo-impressions of the prior at rank 1; ``None`` (default):
            the method of moments on the rank-1 counts (:mod:`~loopsim.policies.estimators.prior`).
        default_rank: Rank whose effect is used when serving (1-based).
        newton_steps: Alternating Newton sweeps per update.
    """

    personalized = False

    def __init__(self, prior_mean: OpenUnit | None = None,
                 prior_strength: Positive | None = None,
                 default_rank: PositiveInt = 1, newton_steps: PositiveInt = 20) -> None:
        self.prior_mean = prior_mean
        self.prior_strength = prior_strength
        self.default_rank = default_rank
        self.newton_steps = newton_steps
        self._counts = PositionCounts()
        self._item = np.zeros(0)
        self._rank = np.zeros(0)
        self._prior = (0.5, STRENGTH_FALLBACK)

    @property
    def version(self) -> int:
        """Bumped at every non-empty update."""
        return self._counts.version

    def _params(self) -> tuple[float, float, int]:
        c = self._counts
        rank1 = (c.clicks[:, 0], c.impressions[:, 0]) if c.n_ranks else (np.zeros(0),) * 2
        mean, strength = empirical_beta_prior(*rank1, self.prior_mean, self.prior_strength)
        steps = int(self.newton_steps)
        return mean, strength, steps

    def update(self, feedback: Feedback) -> None:
        """Count the served rows per (item, rank) and refit the effects."""
        self._counts.add(served_only(feedback))
        mean, strength, steps = self._params()
        self._prior = (mean, strength)
        clicks, views = self._counts.clicks, self._counts.impressions
        if views.size == 0:
            return
        start = np.log(mean / (1.0 - mean))
        old = self._item.shape[0]
        self._item = grown(self._item, views.shape[0])
        self._item[old:] = start
        self._rank = np.pad(self._rank, (0, views.shape[1] - self._rank.shape[0]))
        for _ in range(steps):
            p = _sigmoid(self._item[:, None] + self._rank[None, :])
            prior_p = _sigmoid(self._item)
            grad = (clicks - views * p).sum(axis=1) + strength * (mean - prior_p)
            hess = (views * p * (1 - p)).sum(axis=1) + strength * prior_p * (1 - prior_p)
            self._item += np.clip(grad / hess, -_MAX_STEP, _MAX_STEP)
            p = _sigmoid(self._item[:, None] + self._rank[None, :])
            grad = (clicks - views * p).sum(axis=0) - _RANK_L2 * self._rank
            hess = (views * p * (1 - p)).sum(axis=0) + _RANK_L2
            step = np.clip(grad / hess, -_MAX_STEP, _MAX_STEP)
            step[0] = 0.0
            self._rank += step

    def policy_metrics(self) -> dict[str, float]:
        """The prior in use (``prior_mean``, ``prior_strength``)."""
        return {"prior_mean": self._prior[0], "prior_strength": self._prior[1]}

    def rank_effects(self) -> np.ndarray:
        """``(k,)`` fitted ``b_r`` (``b_1 = 0``): the learned position effect on the logit."""
        return self._rank.copy()

    def scores(self, items: np.ndarray) -> np.ndarray:
        """``sigmoid(a_i + b_default_rank)``; the prior CTR for items never seen."""
        mean = self._prior[0]
        a = np.full(items.shape[0], np.log(mean / (1.0 - mean)))
        known = items < self._item.shape[0]
        a[known] = self._item[items[known]]
        r = int(self.default_rank) - 1
        b = self._rank[r] if r < self._rank.shape[0] else 0.0
        return _sigmoid(a + b)

    def __repr__(self) -> str:
        return (f"PositionAwareLogistic(prior_mean={self.prior_mean}, "
                f"prior_strength={self.prior_strength}, default_rank={self.default_rank})")


__all__ = ["PositionAwareLogistic"]
