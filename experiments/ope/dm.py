"""The direct method's model: a position-based click model fitted on the log by EM.

``q(a, k) = theta_a * e_k``: an item's attractiveness times the examination of rank
``k`` (``e_1 = 1``), fitted to the click and impression counts of every (item, rank)
by the expectation-maximization of the position-based model
(:mod:`loopsim.policies.estimators.pbm_em`, shared with the policies' learned curve). It ignores
the user: on a personalized world it estimates the population's click model, which is
the direct method's bias there. Items never logged get the mean attractiveness
(``prior_strength`` pseudo-impressions pull every item toward it).
"""

from __future__ import annotations

import numpy as np
from loopsim.policies.estimators.pbm_em import pbm_em, pbm_start


class PositionBasedDM:
    """Counts ``(item, rank)`` clicks and impressions, then fits ``theta`` and ``e`` by EM.

    Args:
        k: Ranks per session.
        iterations: EM iterations.
        prior_strength: Pseudo-impressions at the mean attractiveness, per item.
    """

    def __init__(self, k: int, iterations: int = 50, prior_strength: float = 1.0) -> None:
        self.k = k
        self.iterations = iterations
        self.prior_strength = prior_strength
        self.clicks = np.zeros((0, k))
        self.views = np.zeros((0, k))
        self.theta = np.zeros(0)
        self.examination = np.ones(k)

    def add(self, items: np.ndarray, click: np.ndarray) -> None:
        """Count a block of ``(S, k)`` logged items and clicks."""
        n = int(items.max()) + 1 if items.size else 0
        if n > self.clicks.shape[0]:
            grow = n - self.clicks.shape[0]
            self.clicks = np.vstack([self.clicks, np.zeros((grow, self.k))])
            self.views = np.vstack([self.views, np.zeros((grow, self.k))])
        flat = items * self.k + np.arange(self.k)
        size = self.clicks.size
        self.views += np.bincount(flat.ravel(), minlength=size).reshape(self.clicks.shape)
        self.clicks += np.bincount(flat.ravel(), weights=np.asarray(click, float).ravel(),
                                   minlength=size).reshape(self.clicks.shape)

    def fit(self) -> PositionBasedDM:
        """Run EM from ``theta`` = CTR and ``e`` = CTR by rank over CTR at rank 1; returns self."""
        fit = pbm_em(self.clicks, self.views, pbm_start(self.clicks, self.views),
                     self.iterations, self.prior_strength)
        self.theta, self.examination, self._mean = fit.theta, fit.examination, fit.mean
        return self

    def predict(self, items: np.ndarray) -> np.ndarray:
        """``(S, k)`` expected clicks ``theta[items] * e[rank]`` of items at their ranks."""
        known = items < self.theta.size
        theta = np.where(known, self.theta[np.where(known, items, 0)], self._mean)
        return theta * self.examination[None, : items.shape[1]]


__all__ = ["PositionBasedDM"]
