"""Position-debiased CTR: clicks over expected examinations (COEC) and inverse propensity.

Both use the relative examination ``theta(r) = e(r) / e(1)`` of an
:class:`~policies.estimators.examination.ExaminationCurve` (known or estimated) and
estimate the CTR an item would have at rank 1, with a Beta prior:

* COEC (Zhang & Jones 2007; Chapelle & Zhang 2009):
  ``(clicks + a) / (sum_impressions theta(rank) + a + b)``;
* IPS (Joachims et al. 2017; Wang et al. 2016):
  ``(sum_clicks 1 / theta(rank) + a) / (impressions + a + b)``.

Statistics are kept per (item, rank), so an estimated curve that improves re-weights the
whole log at no cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from loopsim.policies.estimators.examination import ExaminationCurve
from loopsim.policies.estimators.position_counts import PositionCounts
from loopsim.simulator.contract import Feedback
from loopsim.simulator.schema import NonNegative, OpenUnit, Positive, Probability


class _Debiased:
    personalized = False

    def __init__(self, prior_mean: OpenUnit = 0.05, prior_strength: Positive = 20.0,
                 propensity: Literal["known", "estimated"] = "known",
                 examination_eta: NonNegative = 1.0,
                 examination: Sequence[Probability] | None = None) -> None:
        self.prior_mean = prior_mean
        self.prior_strength = prior_strength
        self.curve = ExaminationCurve(propensity, examination_eta, examination)
        self.counts = PositionCounts()

    @property
    def version(self) -> int:
        """Bumped at every non-empty update."""
        return self.counts.version

    def update(self, feedback: Feedback) -> None:
        """Count the batch per (item, rank) and feed the curve estimate."""
        self.counts.add(feedback)
        self.curve.update(feedback)

    def _prior(self) -> tuple[float, float]:
        mean, strength = float(self.prior_mean), float(self.prior_strength)
        return mean, strength

    def evidence(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(successes, trials)`` of each item in rank-1 units (before the prior)."""
        raise NotImplementedError

    def posterior(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Beta posterior ``(alpha, beta)`` of each item's rank-1 CTR."""
        mean, strength = self._prior()
        s, n = self.evidence(items)
        return s + mean * strength, np.maximum(n - s, 0.0) + (1.0 - mean) * strength

    def scores(self, items: np.ndarray) -> np.ndarray:
        """Posterior mean of each item's rank-1 CTR."""
        mean, strength = self._prior()
        s, n = self.evidence(items)
        return (s + mean * strength) / (n + strength)

    def policy_metrics(self) -> dict[str, float]:
        """The estimated examination curve, when estimating."""
        return self.curve.policy_metrics()

    def _theta(self) -> np.ndarray:
        return self.curve.ratios(self.counts.n_ranks)


class ClicksOverExpected(_Debiased):
    """Clicks over expected clicks: ``(clicks + a) / (sum theta(rank) + a + b)``.

    Args:
        prior_mean: Prior rank-1 CTR of an unseen item.
        prior_strength: Pseudo-examinations of the prior.
        propensity: ``"known"`` or ``"estimated"`` examination curve.
        examination_eta: Known curve ``(1/r)**eta`` (when ``examination`` is not given).
        examination: Explicit known curve by rank, rank 1 first.
    """

    def evidence(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Clicks and expected examinations of each item."""
        c = self.counts
        clicks = c.rows(c.clicks, items).sum(axis=1)
        return clicks, c.rows(c.impressions, items) @ self._theta()

    def __repr__(self) -> str:
        return (f"ClicksOverExpected(prior_mean={self.prior_mean}, "
                f"prior_strength={self.prior_strength}, curve={self.curve!r})")


class InversePropensityCTR(_Debiased):
    """Inverse-propensity CTR: ``(sum clicks / theta(rank) + a) / (impressions + a + b)``.

    Args:
        prior_mean: Prior rank-1 CTR of an unseen item.
        prior_strength: Pseudo-impressions of the prior.
        propensity: ``"known"`` or ``"estimated"`` examination curve.
        examination_eta: Known curve ``(1/r)**eta`` (when ``examination`` is not given).
        examination: Explicit known curve by rank, rank 1 first.
    """

    def evidence(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inverse-propensity-weighted clicks and impressions of each item."""
        c = self.counts
        weighted = c.rows(c.clicks, items) @ (1.0 / self._theta())
        return weighted, c.rows(c.impressions, items).sum(axis=1)

    def __repr__(self) -> str:
        return (f"InversePropensityCTR(prior_mean={self.prior_mean}, "
                f"prior_strength={self.prior_strength}, curve={self.curve!r})")


__all__ = ["ClicksOverExpected", "InversePropensityCTR"]
