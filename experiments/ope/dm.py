"""The direct method's model: a position-based click model fitted on the log by EM.

``q(a, k) = theta_a * e_k``: an item's attractiveness times the examination of rank
``k`` (``e_1 = 1``), fitted to the click and impression counts of every (item, rank)
by the expectation-maximization of the position-based model (Chuklin, Markov and de
Rijke 2015, section 4.2; Wang et al. 2018's regression EM without features). It ignores
the user: on a personalized world it estimates the population's click model, which is
the direct method's bias there. Items never logged get the mean attractiveness
(``prior_strength`` pseudo-impressions pull every item toward it).
"""

from __future__ import annotations

import numpy as np


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
        c, v = self.clicks, self.views
        total = v.sum()
        mean = c.sum() / total if total > 0 else 0.0
        theta = np.clip((c.sum(1) + mean) / (v.sum(1) + 1.0), 1e-6, 1 - 1e-6)
        # Start from CTR(k) / CTR(1), shrunk below 1: e = 1 everywhere is a fixed point of EM.
        ctr = c.sum(0) / np.maximum(v.sum(0), 1.0)
        e = 0.9 * np.clip(ctr / ctr[0] if ctr[0] > 0 else np.ones(self.k), 0.01, 1.0)
        for _ in range(self.iterations):
            p = np.clip(theta[:, None] * e[None, :], 0.0, 1 - 1e-9)
            miss = v - c
            post_r = theta[:, None] * (1 - e[None, :]) / (1 - p)   # P(R=1 | no click)
            post_e = e[None, :] * (1 - theta[:, None]) / (1 - p)   # P(E=1 | no click)
            prior = self.prior_strength
            mean = float(theta @ v.sum(1) / total) if total > 0 else mean
            theta = (c.sum(1) + (miss * post_r).sum(1) + prior * mean) / (v.sum(1) + prior)
            seen = v.sum(0) > 0
            e_new = (c.sum(0) + (miss * post_e).sum(0)) / np.where(seen, v.sum(0), 1.0)
            e = np.where(seen, e_new, e)
            if e[0] > 0:
                theta = np.clip(theta * e[0], 0.0, 1.0)
                e = e / e[0]
            theta = np.clip(theta, 1e-9, 1 - 1e-9)
        self.theta, self.examination, self._mean = theta, e, float(mean)
        return self

    def predict(self, items: np.ndarray) -> np.ndarray:
        """``(S, k)`` expected clicks ``theta[items] * e[rank]`` of items at their ranks."""
        known = items < self.theta.size
        theta = np.where(known, self.theta[np.where(known, items, 0)], self._mean)
        return theta * self.examination[None, : items.shape[1]]


__all__ = ["PositionBasedDM"]
