"""What the engine needs from a world: the population, the catalogue's items and the truth."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from loopsim.simulator.contract import Feedback


@runtime_checkable
class World(Protocol):
    """A world: users, items and the ground truth the metrics are computed against.

    Like policies, a world's constructor only stores parameters; :meth:`reset` draws
    the initial users and items from the world's own random stream. The world is shown
    to metrics only; policies never see it (oracle baselines receive it through
    :class:`~simulator.contract.UsesGroundTruth`).

    Attributes:
        seed: Optional fixed seed of the world (users, items, item arrivals); ``None``
            derives it from the run's seed.
        n_users: Number of users.
        n_initial_items: Number of items at time 0.
        item_arrival_rate: Expected new items per day (Poisson), 0 for none.
        item_lifetime: Days an item stays available, ``None`` for ever.
    """

    seed: int | None
    n_users: int
    n_initial_items: int
    item_arrival_rate: float
    item_lifetime: float | None

    def reset(self, rng: np.random.Generator) -> None:
        """Draw the initial users and items."""
        ...

    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` new items from ``rng`` and return their new ids (consecutive)."""
        ...

    @property
    def n_items(self) -> int:
        """Number of item ids created so far (available or not)."""
        ...

    def activity(self) -> np.ndarray:
        """``(n_users,)`` expected sessions per day of each user."""
        ...

    @property
    def is_global(self) -> bool:
        """True when relevance does not depend on the user."""
        ...

    @property
    def version(self) -> int:
        """Changes whenever relevance may have changed."""
        ...

    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` click probability of each item once examined by each user."""
        ...

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` relevance of ``slates[b, r]`` for ``users[b]``."""
        ...

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` population-level value whose order is the true ranking."""
        ...

    def observe(self, feedback: Feedback) -> None:
        """React to served feedback (preference drift, social signals); may do nothing."""
        ...
