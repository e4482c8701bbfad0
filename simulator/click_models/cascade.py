"""The cascade click model."""

from __future__ import annotations

import numpy as np
from loopsim.simulator.params.component_schema import Probability


class CascadeModel:
    """Scan top-down; click with the relevance; after a click go on with a probability.

    The user examines rank 1, clicks it with probability ``relevance``; after a click
    they continue to the next rank with probability ``continue_after_click`` (0: the
    classic cascade, one click at most), after a skip they always continue.

    Args:
        continue_after_click: Probability of examining the next rank after a click.
    """

    def __init__(self, continue_after_click: Probability = 0.0) -> None:
        self.continue_after_click = continue_after_click

    def _c(self) -> float:
        return float(self.continue_after_click)

    def examination(self, k: int) -> None:
        """Examination depends on earlier clicks: no fixed curve."""
        return None

    def sample(
        self, relevance: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Simulate the scan for every session at once (a loop over ranks, not sessions)."""
        c = self._c()
        u_click = rng.random(relevance.shape)
        u_continue = rng.random(relevance.shape)
        clicks = np.zeros(relevance.shape, dtype=bool)
        examining = np.ones(relevance.shape[0], dtype=bool)
        for r in range(relevance.shape[1]):
            clicks[:, r] = examining & (u_click[:, r] < relevance[:, r])
            examining &= ~clicks[:, r] | (u_continue[:, r] < c)
        return clicks, clicks.astype(np.float32)

    def expected_clicks(self, relevance: np.ndarray) -> np.ndarray:
        """``sum_r P(examine r) rel_r`` with ``P(examine r+1) = P(examine r)(1 - rel_r(1-c))``."""
        c = self._c()
        survive = 1.0 - relevance * (1.0 - c)
        reach = np.ones_like(relevance, dtype=np.float64)
        reach[:, 1:] = np.cumprod(survive[:, :-1], axis=1)
        return np.sum(reach * relevance, axis=1)

    def best_expected_clicks(self, top_relevance: np.ndarray) -> np.ndarray:
        """Expected clicks depend only on the set of items, not their order."""
        return self.expected_clicks(top_relevance)

    def __repr__(self) -> str:
        return f"CascadeModel(continue_after_click={self.continue_after_click})"
