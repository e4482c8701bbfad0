"""Position-debiased CTR: clicks over expected examinations (COEC) and inverse propensity.

Both use the relative examination ``theta(r) = e(r) / e(1)`` of an
:class:`~policies.estimators.examination.ExaminationCurve` and estimate the CTR an item
would have at rank 1, with a Beta prior. The curve is learned from the log by default
(``propensity="learned"``: harvested from randomized rows where the selector
randomizes, else the position-based model fitted by EM); a known curve is an explicit
option (``propensity="known"`` with ``examination_eta`` or ``examination``):

* COEC (Zhang & Jones 2007; Chapelle & Zhang 2009):
  ``(clicks + a) / (sum_impressions theta(rank) + a + b)``;
* IPS (Joachims et al. 2017; Wang et al. 2016):
  ``(sum_clicks 1 / theta(rank) + a) / (impressions + a + b)``.

Statistics are kept per (item, rank), so a learned curve that improves re-weights the
whole log at no cost: IPS's propensity of a logged click is the examination of its
logged rank under the *newest* curve, ``theta(rank)`` floored at
:data:`~policies.estimators.examination.EXAM_FLOOR`, refitted at every retrain; the
selector's logged ``propensity`` (the probability of the placement) is not part of
this weight, since the estimand is the item's rank-1 CTR, not a policy's value.
Organic rows (no rank) are skipped by default; with
``learn_from_organic`` each counts as one click and one examination in rank-1 units
(a clicked impression at an assumed examination of 1, as
:class:`~policies.estimators.counts.BetaCTR` does). The prior is empirical Bayes by
default (:mod:`~policies.estimators.prior`), pooled in rank-1 units through the curve
(organic evidence included when learned).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from loopsim.policies.estimators.counts import served_only
from loopsim.policies.estimators.examination import ExaminationCurve
from loopsim.policies.estimators.position_counts import PositionCounts
from loopsim.policies.estimators.prior import empirical_beta_prior
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.loop.catalogue import grown
from loopsim.simulator.params.component_schema import (
    NonNegative,
    OpenUnit,
    Positive,
    PositiveInt,
    Probability,
)


class _Debiased:
    personalized = False

    def __init__(self, prior_mean: OpenUnit | None = None,
                 prior_strength: Positive | None = None,
                 propensity: Literal["learned", "em", "known", "estimated"] = "learned",
                 examination_eta: NonNegative = 1.0,
                 examination: Sequence[Probability] | None = None,
                 em_iterations: PositiveInt = 5,
                 learn_from_organic: bool = False) -> None:
        self.prior_mean = prior_mean
        self.prior_strength = prior_strength
        self.learn_from_organic = learn_from_organic
        self._organic = np.zeros(0)
        self._curve = ExaminationCurve(propensity, examination_eta, examination, em_iterations)
        self._counts = PositionCounts()
        self._prior_cache: tuple[int, float, float] | None = None

    @property
    def version(self) -> int:
        """Bumped at every non-empty update."""
        return self._counts.version

    def update(self, feedback: Feedback) -> None:
        """Count the served rows per (item, rank) and feed the curve estimate; count the
        organic rows per item when learning from them."""
        served = served_only(feedback)
        if self.learn_from_organic and served is not feedback:
            found = feedback.item[~feedback.recommended]
            self._organic = grown(self._organic, int(found.max()) + 1)
            self._organic += np.bincount(found, minlength=self._organic.shape[0])
            if len(served) == 0:
                self._counts.version += 1
        self._counts.add(served)
        self._curve.update(served)

    def _prior(self) -> tuple[float, float]:
        """``(mean, strength)`` in use: fixed, or empirical Bayes once per version."""
        p = self._prior_cache
        if p is None or p[0] != self.version:
            ids = np.arange(max(self._counts.impressions.shape[0], self._organic.shape[0]),
                            dtype=np.int64)
            s, n = self.evidence(ids) if ids.size else (np.zeros(0), np.zeros(0))
            mean, strength = empirical_beta_prior(s, n, self.prior_mean, self.prior_strength)
            self._prior_cache = p = (self.version, mean, strength)
        return p[1], p[2]

    def evidence(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(successes, trials)`` of each item in rank-1 units (before the prior)."""
        s, n = self.served_evidence(items)
        if self.learn_from_organic and self._organic.size:
            found = np.zeros(items.shape[0])
            known = items < self._organic.shape[0]
            found[known] = self._organic[items[known]]
            s, n = s + found, n + found
        return s, n

    def served_evidence(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(successes, trials)`` of the served rows, in rank-1 units."""
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
        """The prior in use and the estimated examination curve, when estimating."""
        mean, strength = self._prior()
        return {"prior_mean": mean, "prior_strength": strength, **self._curve.policy_metrics()}

    def _theta(self) -> np.ndarray:
        return self._curve.ratios(self._counts.n_ranks)

    def prior(self) -> tuple[float, float]:
        """``(mean, strength)`` of the prior in use."""
        return self._prior()


class ClicksOverExpected(_Debiased):
    """Clicks over expected clicks: ``(clicks + a) / (sum theta(rank) + a + b)``.

    Args:
        prior_mean: Prior rank-1 CTR of an unseen item.
        prior_strength: Pseudo-examinations of the prior.
        propensity: Examination curve: ``"learned"`` (default: harvested from
            randomized rows, else EM), ``"em"``, ``"known"`` or ``"estimated"``
            (harvested only); see :mod:`~policies.estimators.examination`.
        examination_eta: Known curve ``(1/r)**eta`` (``"known"``, when ``examination``
            is not given).
        examination: Explicit known curve by rank, rank 1 first (``"known"``).
        em_iterations: EM iterations per retrain, warm-started (``"learned"``, ``"em"``).
        learn_from_organic: Count organic rows as one click and one rank-1 trial each.
    """

    def served_evidence(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Clicks and expected examinations of each item."""
        c = self._counts
        clicks = c.rows(c.clicks, items).sum(axis=1)
        return clicks, c.rows(c.impressions, items) @ self._theta()

    def __repr__(self) -> str:
        return (f"ClicksOverExpected(prior_mean={self.prior_mean}, "
                f"prior_strength={self.prior_strength}, curve={self._curve!r}, "
                f"learn_from_organic={self.learn_from_organic})")


class InversePropensityCTR(_Debiased):
    """Inverse-propensity CTR: ``(sum clicks / theta(rank) + a) / (impressions + a + b)``.

    Args:
        prior_mean: Prior rank-1 CTR of an unseen item.
        prior_strength: Pseudo-impressions of the prior.
        propensity: Examination curve: ``"learned"`` (default: harvested from
            randomized rows, else EM), ``"em"``, ``"known"`` or ``"estimated"``
            (harvested only); see :mod:`~policies.estimators.examination`.
        examination_eta: Known curve ``(1/r)**eta`` (``"known"``, when ``examination``
            is not given).
        examination: Explicit known curve by rank, rank 1 first (``"known"``).
        em_iterations: EM iterations per retrain, warm-started (``"learned"``, ``"em"``).
        learn_from_organic: Count organic rows as one click and one rank-1 trial each.
    """

    def served_evidence(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inverse-propensity-weighted clicks and impressions of each item."""
        c = self._counts
        weighted = c.rows(c.clicks, items) @ (1.0 / self._theta())
        return weighted, c.rows(c.impressions, items).sum(axis=1)

    def __repr__(self) -> str:
        return (f"InversePropensityCTR(prior_mean={self.prior_mean}, "
                f"prior_strength={self.prior_strength}, curve={self._curve!r}, "
                f"learn_from_organic={self.learn_from_organic})")


__all__ = ["ClicksOverExpected", "InversePropensityCTR"]
