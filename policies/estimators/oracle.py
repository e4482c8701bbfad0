"""The oracle estimator: the world's true relevance (a baseline, not a learner)."""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.contract.world import GroundTruth
from loopsim.simulator.errors import ConfigError


class TrueRelevance:
    """Scores items by the world's true relevance (per user) and true value (global).

    Receives the truth through ``use_ground_truth`` before the run; learns nothing.
    """

    def __init__(self) -> None:
        self._truth: GroundTruth | None = None

    def use_ground_truth(self, truth: GroundTruth) -> None:
        """Keep a reference to the world's truth."""
        self._truth = truth

    @property
    def truth(self) -> GroundTruth:
        """The truth; fails clearly when the engine did not hand it over."""
        if self._truth is None:
            raise ConfigError(
                "The oracle has no ground truth: it must run inside simulator.Simulation, "
                "which calls use_ground_truth(world) before the first request."
            )
        return self._truth

    @property
    def personalized(self) -> bool:
        """Personal exactly when the world is."""
        return not self.truth.is_global

    @property
    def version(self) -> int:
        """The world's version: scores change only when the world does."""
        return self.truth.version

    def update(self, feedback: Feedback) -> None:
        """The oracle learns nothing."""

    def scores(self, items: np.ndarray) -> np.ndarray:
        """True value of each item."""
        return self.truth.true_value(items)

    def user_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """True relevance of each item for each user."""
        return self.truth.relevance(users, items)

    def pair_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(B, N)`` true relevance of ``items[b, j]`` for ``users[b]`` (a pool per user)."""
        return np.asarray(self.truth.relevance_of_slates(users, items), dtype=np.float64)

    def __repr__(self) -> str:
        return "TrueRelevance()"


class TrueValue(TrueRelevance):
    """The global oracle: every item scored by its true population value, for everyone.

    A non-personalized upper bound (the best one score per item can do), e.g. the
    retrieval of the truly best items of the catalogue.
    """

    personalized = False  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "TrueValue()"
