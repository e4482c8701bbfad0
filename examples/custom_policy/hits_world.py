"""A custom world living outside loopsim's packages: a few hits among many misses."""

from __future__ import annotations

import numpy as np
from loopsim.simulator import Feedback
from loopsim.simulator.params.component_schema import PositiveInt, Probability


class HitsWorld:
    """Everyone agrees on quality: a share ``hit_share`` of items are hits, the rest misses.

    Args:
        n_users: Number of users.
        n_items: Items at time 0.
        hit_share: Share of items (initial and arriving) that are hits.
        hit_relevance: Click probability of a hit, once examined.
        miss_relevance: Click probability of a miss, once examined.
        item_arrival_rate: New items per day (Poisson).
        seed: Fix the world (items) while the run's seed varies; ``None``: from the run.
    """

    item_lifetime = None  # items stay for ever

    def __init__(self, n_users: PositiveInt = 1000, n_items: PositiveInt = 200,
                 hit_share: Probability = 0.05, hit_relevance: Probability = 0.6,
                 miss_relevance: Probability = 0.1, item_arrival_rate: float = 0.0,
                 seed: int | None = None) -> None:
        self.n_users, self.n_initial_items = n_users, n_items  # only store parameters
        self.hit_share, self.hit_relevance = hit_share, hit_relevance
        self.miss_relevance, self.item_arrival_rate, self.seed = (
            miss_relevance, item_arrival_rate, seed)
        self._quality = np.zeros(0)
        self._version = 0

    def reset(self, rng: np.random.Generator) -> None:
        """Draw the initial items."""
        self._quality = np.zeros(0)
        self._version = 0
        self.add_items(self.n_initial_items, rng)

    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` new items (hit or miss) and return their ids."""
        hit = rng.random(n) < self.hit_share
        new = np.where(hit, self.hit_relevance, self.miss_relevance)
        start = self._quality.size
        self._quality = np.concatenate([self._quality, new])
        self._version += 1
        return np.arange(start, self._quality.size, dtype=np.int64)

    @property
    def n_items(self) -> int:
        """Item ids created so far."""
        return int(self._quality.size)

    @property
    def version(self) -> int:
        """Changes when items arrive (relevance never drifts here)."""
        return self._version

    @property
    def is_global(self) -> bool:
        """Relevance does not depend on the user."""
        return True

    def activity(self) -> np.ndarray:
        """One session per user per day."""
        return np.ones(self.n_users)

    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` click probabilities: the item's quality for every user."""
        return np.broadcast_to(self._quality[items], (users.size, items.size)).copy()

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` relevance of each served item."""
        return self._quality[slates]

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """The true ranking: quality."""
        return self._quality[items]

    def observe(self, feedback: Feedback) -> None:
        """Tastes are fixed: nothing to do."""
