"""Rank-discounted best choice: each session consumes the one item it values most.

The user model of Chaney, Stewart & Engelhardt (2018): attention decays with rank as
``r ** -exponent``, and the user consumes the item that maximises attention × utility
among the items shown (items already consumed have utility 0 in their world, so they
are never chosen again). The reward is the utility of the consumed item: the world's
``conversion_of_slates`` (the Chaney world's true utility, while the choice sees the
known utility); in a world without one the engine passes ones, so each consumption
counts 1. :meth:`AttentionChoiceModel.sample` alone rewards the relevance.
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator.params.component_schema import NonNegative


class AttentionChoiceModel:
    """Consume ``argmax_r r**-exponent * relevance_r`` when it is positive; reward = relevance.

    Deterministic given the slate and the relevances (it draws no random numbers).

    Args:
        exponent: Attention decay with rank, ``>= 0`` (0: rank does not matter).
    """

    def __init__(self, exponent: NonNegative = 0.8) -> None:
        self.exponent = exponent

    def attention(self, k: int) -> np.ndarray:
        """``(k,)`` attention of ranks ``1..k``."""
        a = float(self.exponent)
        return np.arange(1, k + 1, dtype=np.float64) ** -a

    def examination(self, k: int) -> None:
        """The choice depends on the whole slate: no per-rank examination curve."""
        return None

    def sample(
        self, relevance: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """One consumption per session with a positive best score; reward = its utility."""
        b, k = relevance.shape
        clicks = np.zeros((b, k), dtype=bool)
        rewards = np.zeros((b, k), dtype=np.float32)
        if b == 0 or k == 0:
            return clicks, rewards
        score = relevance * self.attention(k)
        best = np.argmax(score, axis=1)
        rows = np.flatnonzero(score[np.arange(b), best] > 0)
        cols = best[rows]
        clicks[rows, cols] = True
        rewards[rows, cols] = relevance[rows, cols]
        return clicks, rewards

    def sample_conversions(
        self, relevance: np.ndarray, conversion: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """The same choice as :meth:`sample`; the reward is ``conversion`` of the item chosen.

        The engine passes the world's ``conversion_of_slates`` (in the Chaney world, the
        true utility, while the choice sees the known utility) or ones when the world
        has none (each consumption then counts 1).
        """
        clicks, rewards = self.sample(relevance, rng)
        rewards[clicks] = np.asarray(conversion)[clicks]
        return clicks, rewards

    def expected_clicks(self, relevance: np.ndarray) -> np.ndarray:
        """``(B,)`` 1 when some shown item has positive utility, else 0."""
        return (relevance > 0).any(axis=1).astype(np.float64)

    def best_expected_clicks(self, top_relevance: np.ndarray) -> np.ndarray:
        """``(B,)`` 1 when some available item has positive utility, else 0."""
        return self.expected_clicks(top_relevance)

    def __repr__(self) -> str:
        return f"AttentionChoiceModel(exponent={self.exponent})"


__all__ = ["AttentionChoiceModel"]
