"""The contract of an estimator: what a composed policy believes about items.

:class:`Estimator` is required of every estimator a :class:`~loopsim.policies.ComposedPolicy`
composes; :class:`HasPosterior` is its optional hook (a Beta posterior, which the bandit
selectors need). :mod:`.registry` lists every optional hook with its meaning.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from loopsim.simulator.contract.batches import Feedback


@runtime_checkable
class HasPosterior(Protocol):
    """Optional estimator hook: a Beta posterior of each item's CTR.

    Thompson sampling draws from it; UCB bounds it. ``ctr`` (clicks over impressions),
    ``coec`` and ``ips`` (rank-1 units) have it.
    """

    def posterior(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(alpha, beta)``, each ``(I,)``: the Beta posterior of each item's CTR."""
        ...


@runtime_checkable
class Estimator(Protocol):
    """What a policy believes about items.

    Attributes:
        personalized: ``True`` when scores depend on the user (use ``user_scores``).
        version: Changes whenever the scores may have changed (after an update), so
            selectors can cache a global ranking per version.
    """

    @property
    def personalized(self) -> bool:
        """Whether scores depend on the user."""
        ...

    @property
    def version(self) -> int:
        """Changes whenever the scores may have changed."""
        ...

    def update(self, feedback: Feedback) -> None:
        """Learn from logged feedback (may be empty)."""
        ...

    def scores(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` population-level score of each item id; higher is better."""
        ...

    def user_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` score of each item for each user (personalized estimators)."""
        ...

__all__ = ["Estimator", "HasPosterior"]
