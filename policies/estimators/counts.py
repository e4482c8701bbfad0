"""Count-based estimators: click counts (popularity) and CTR with a Beta prior."""

from __future__ import annotations

import numpy as np
from loopsim.simulator.catalogue import grown
from loopsim.simulator.contract import Feedback
from loopsim.simulator.schema import OpenUnit, Positive


class ItemCounters:
    """Per-item impression and click counts, grown as new item ids appear."""

    def __init__(self) -> None:
        self.impressions = np.zeros(0, dtype=np.float64)
        self.clicks = np.zeros(0, dtype=np.float64)
        self.version = 0

    def add(self, feedback: Feedback) -> None:
        """Count the impressions and clicks of a feedback batch."""
        if len(feedback) == 0:
            return
        n = int(feedback.item.max()) + 1
        self.impressions = grown(self.impressions, n)
        self.clicks = grown(self.clicks, n)
        self.impressions += np.bincount(feedback.item, minlength=self.impressions.shape[0])
        self.clicks += np.bincount(
            feedback.item[feedback.click], minlength=self.clicks.shape[0]
        )
        self.version += 1

    def of(self, counts: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``counts[items]``, with 0 for ids never seen."""
        out = np.zeros(items.shape[0], dtype=np.float64)
        known = items < counts.shape[0]
        out[known] = counts[items[known]]
        return out


class ClickCount:
    """Popularity: an item's score is its number of clicks so far."""

    personalized = False

    def __init__(self) -> None:
        self._counts = ItemCounters()

    @property
    def version(self) -> int:
        """Bumped at every non-empty update."""
        return self._counts.version

    def update(self, feedback: Feedback) -> None:
        """Add the batch's clicks."""
        self._counts.add(feedback)

    def scores(self, items: np.ndarray) -> np.ndarray:
        """Cumulative clicks of each item."""
        return self._counts.of(self._counts.clicks, items)

    def __repr__(self) -> str:
        return "ClickCount()"


class BetaCTR:
    """Click-through rate with a Beta prior: ``(clicks + a) / (impressions + a + b)``.

    Args:
        prior_mean: Prior CTR ``a / (a + b)`` given to unseen items, in (0, 1).
        prior_strength: Pseudo-impressions ``a + b`` of the prior, > 0.
    """

    personalized = False

    def __init__(self, prior_mean: OpenUnit = 0.05, prior_strength: Positive = 20.0) -> None:
        self.prior_mean = prior_mean
        self.prior_strength = prior_strength
        self._counts = ItemCounters()

    @property
    def version(self) -> int:
        """Bumped at every non-empty update."""
        return self._counts.version

    def update(self, feedback: Feedback) -> None:
        """Add the batch's impressions and clicks."""
        self._counts.add(feedback)

    def scores(self, items: np.ndarray) -> np.ndarray:
        """Posterior mean CTR of each item."""
        mean, strength = float(self.prior_mean), float(self.prior_strength)
        clicks = self._counts.of(self._counts.clicks, items)
        views = self._counts.of(self._counts.impressions, items)
        return (clicks + mean * strength) / (views + strength)

    def posterior(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Beta posterior ``(alpha, beta)`` of each item's CTR (for Thompson sampling, UCB)."""
        mean, strength = float(self.prior_mean), float(self.prior_strength)
        clicks = self._counts.of(self._counts.clicks, items)
        views = self._counts.of(self._counts.impressions, items)
        return clicks + mean * strength, views - clicks + (1.0 - mean) * strength

    def __repr__(self) -> str:
        return f"BetaCTR(prior_mean={self.prior_mean}, prior_strength={self.prior_strength})"
