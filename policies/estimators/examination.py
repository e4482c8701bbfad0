"""The examination curve ``e(r) / e(1)`` that position-debiasing estimators divide by.

The click model's curve never reaches a policy unless the policy's own config gives it:

* ``propensity="known"``: the curve of the policy config, ``examination`` (an explicit
  list by rank, rank 1 first) or else ``(1 / r) ** examination_eta``;
* ``propensity="estimated"``: estimated from the randomized part of the traffic (rows
  logged with propensity < 1) by a ratio estimator on a common support, in the spirit
  of intervention harvesting (Agarwal et al. 2019, WSDM; Joachims et al. 2017 for the
  swap-based ratio). For each rank ``r`` and each item ``i`` shown at both rank 1 and
  rank ``r`` by randomized placements, ``W[i, r] = sum click / propensity`` has
  expectation ``T e(r) rel_i`` whenever item ``i`` could land at rank ``r`` throughout,
  so ``sum_i W[i, r] / sum_i W[i, 1]`` estimates ``e(r) / e(1)``. It is exact in
  expectation for uniform shuffles, epsilon-greedy and softmax (every item can land
  everywhere); for RandTop-N and RandPair it is exact while the ranking the randomization
  starts from stays the same (supports that move over time add some bias). Until a rank
  has randomized clicks its ratio is unknown: 1 (no correction) is used and NaN reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from loopsim.simulator.catalogue import grown
from loopsim.simulator.contract import Feedback
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.schema import NonNegative, Positive

PROPENSITY_MODES = ("known", "estimated")


class ExaminationCurve:
    """Relative examination ``e(r) / e(1)`` by rank, known or estimated.

    Args:
        propensity: ``"known"`` (from ``examination`` / ``examination_eta``) or
            ``"estimated"`` (from randomized traffic).
        examination_eta: Known curve ``(1 / r) ** eta`` when no explicit list is given.
        examination: Optional explicit known curve by rank (rank 1 first).
    """

    def __init__(self, propensity: Literal["known", "estimated"] = "known",
                 examination_eta: NonNegative = 1.0,
                 examination: Sequence[Positive] | None = None) -> None:
        self.propensity = propensity
        self.examination_eta = examination_eta
        self.examination = examination
        self._ipw = np.zeros((0, 0))
        self._seen = np.zeros((0, 0), dtype=bool)

    @property
    def estimated(self) -> bool:
        """Whether the curve is estimated from the log (``propensity == "estimated"``)."""
        return self.propensity == "estimated"

    def update(self, feedback: Feedback) -> None:
        """Collect the randomized rows (propensity < 1) of the batch when estimating."""
        if not self.estimated or len(feedback) == 0:
            return
        rand = feedback.propensity < 1.0
        if not rand.any():
            return
        item = feedback.item[rand]
        rank = feedback.rank[rand].astype(np.int64) - 1
        n, k = int(item.max()) + 1, int(rank.max()) + 1
        if k > self._ipw.shape[1]:
            self._ipw = np.pad(self._ipw, ((0, 0), (0, k - self._ipw.shape[1])))
            self._seen = np.pad(self._seen, ((0, 0), (0, k - self._seen.shape[1])))
        self._ipw = grown(self._ipw, n)
        self._seen = grown(self._seen, n)
        weight = feedback.click[rand] / feedback.propensity[rand].astype(np.float64)
        np.add.at(self._ipw, (item, rank), weight)
        self._seen[item, rank] = True

    def estimate(self, k: int) -> np.ndarray:
        """``(k,)`` estimated ``e(r) / e(1)``; NaN where randomized traffic is missing."""
        out = np.full(k, np.nan)
        if self._ipw.shape[1] == 0:
            return out
        m = min(k, self._ipw.shape[1])
        common = self._seen[:, :m] & self._seen[:, :1]
        num = np.where(common, self._ipw[:, :m], 0.0).sum(axis=0)
        den = np.where(common, self._ipw[:, :1], 0.0).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:m] = np.where((den > 0) & (num > 0), num / den, np.nan)
        return out

    def known(self, k: int) -> np.ndarray:
        """``(k,)`` the configured curve relative to rank 1."""
        if self.examination is not None:
            curve = np.asarray(list(self.examination), dtype=np.float64)
            if curve.ndim != 1 or curve.shape[0] < k or np.any(curve[:k] <= 0):
                raise ConfigError(
                    f"`policy.examination == {self.examination!r}`: give at least {k} positive "
                    "values (one per rank, rank 1 first), or null to use examination_eta."
                )
            return curve[:k] / curve[0]
        eta = float(self.examination_eta)
        return (1.0 / np.arange(1, k + 1)) ** eta

    def ratios(self, k: int) -> np.ndarray:
        """``(k,)`` the curve in use: known, or estimated with 1 where unknown."""
        if not self.estimated:
            return self.known(k)
        est = self.estimate(k)
        return np.where(np.isfinite(est), est, 1.0)

    def policy_metrics(self) -> dict[str, float]:
        """``exam_ratio_<r>`` = estimated ``e(r) / e(1)`` for r = 2.. (when estimating)."""
        if not self.estimated or self._ipw.shape[1] < 2:
            return {}
        est = self.estimate(self._ipw.shape[1])
        return {f"exam_ratio_{r + 1}": float(v) for r, v in enumerate(est) if r > 0}

    def __repr__(self) -> str:
        return (f"ExaminationCurve(propensity={self.propensity!r}, "
                f"examination_eta={self.examination_eta}, examination={self.examination})")


__all__ = ["PROPENSITY_MODES", "ExaminationCurve"]
