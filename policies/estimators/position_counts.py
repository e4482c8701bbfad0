"""Sufficient statistics per (item, rank): impressions and clicks, grown as ids appear."""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.loop.catalogue import grown


class PositionCounts:
    """``impressions[i, r]`` and ``clicks[i, r]`` (rank ``r + 1``) over the whole log."""

    def __init__(self) -> None:
        self.impressions = np.zeros((0, 0))
        self.clicks = np.zeros((0, 0))
        self.version = 0

    @property
    def n_ranks(self) -> int:
        """Deepest rank seen so far."""
        return int(self.impressions.shape[1])

    def add(self, feedback: Feedback) -> None:
        """Count a feedback batch."""
        if len(feedback) == 0:
            return
        rank = feedback.rank.astype(np.int64) - 1
        n, k = int(feedback.item.max()) + 1, int(rank.max()) + 1
        if k > self.n_ranks:
            pad = ((0, 0), (0, k - self.n_ranks))
            self.impressions, self.clicks = np.pad(self.impressions, pad), np.pad(self.clicks, pad)
        self.impressions, self.clicks = grown(self.impressions, n), grown(self.clicks, n)
        flat = feedback.item * self.n_ranks + rank
        size = self.impressions.size
        self.impressions += np.bincount(flat, minlength=size).reshape(self.impressions.shape)
        self.clicks += np.bincount(flat[feedback.click], minlength=size).reshape(
            self.clicks.shape)
        self.version += 1

    def rows(self, table: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``table[items]`` with zero rows for ids never seen."""
        out = np.zeros((items.shape[0], table.shape[1]))
        known = items < table.shape[0]
        out[known] = table[items[known]]
        return out


__all__ = ["PositionCounts"]
