"""Reward counts: an item's score is the sum of its rewards (downloads, conversions)."""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.loop.catalogue import grown


class RewardCount:
    """Cumulative reward per item: popularity by downloads rather than by clicks."""

    personalized = False

    def __init__(self) -> None:
        self._reward = np.zeros(0, dtype=np.float64)
        self._version = 0

    @property
    def version(self) -> int:
        """Bumped at every update that adds reward."""
        return self._version

    def update(self, feedback: Feedback) -> None:
        """Add the batch's rewards."""
        if len(feedback) == 0:
            return
        got = feedback.reward != 0
        if not got.any():
            return
        self._reward = grown(self._reward, int(feedback.item.max()) + 1)
        np.add.at(self._reward, feedback.item[got], feedback.reward[got].astype(np.float64))
        self._version += 1

    def scores(self, items: np.ndarray) -> np.ndarray:
        """Cumulative reward of each item (0 for items never rewarded)."""
        out = np.zeros(items.shape[0], dtype=np.float64)
        known = items < self._reward.shape[0]
        out[known] = self._reward[items[known]]
        return out

    def __repr__(self) -> str:
        return "RewardCount()"


__all__ = ["RewardCount"]
