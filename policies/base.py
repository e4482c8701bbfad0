"""Composition of built-in policies: an estimator (belief about items) under a selector.

* An :class:`Estimator` learns from feedback and scores items, globally
  (``scores(items)``) or per user (``user_scores(users, items)``).
* A :class:`Selector` turns scores into slates (greedy, randomized, sampled...).
* :class:`ComposedPolicy` joins the two into a :class:`~simulator.RankingPolicy`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from loopsim.simulator.contract import Feedback, GroundTruth, SlateRequest, Slates


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


@runtime_checkable
class Selector(Protocol):
    """Turns an estimator's scores into slates."""

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """Return the slates for ``request`` given the estimator's current scores."""
        ...


class ComposedPolicy:
    """A ranking policy made of an estimator and a selector.

    Args:
        estimator: What is believed about items.
        selector: How slates are drawn from the beliefs.
    """

    def __init__(self, estimator: Estimator, selector: Selector) -> None:
        self.estimator = estimator
        self.selector = selector

    def rank(self, request: SlateRequest) -> Slates:
        """Slates from the selector over the estimator's current scores."""
        return self.selector.select(request, self.estimator)

    def update(self, feedback: Feedback) -> None:
        """Pass logged feedback to the estimator."""
        self.estimator.update(feedback)

    def item_scores(self, items: np.ndarray) -> np.ndarray:
        """The estimator's population-level scores (for ranking-recovery metrics)."""
        return self.estimator.scores(items)

    def use_policy_stream(self, rng: np.random.Generator) -> None:
        """Hand a child of the run's policy stream to an estimator that draws outside
        ``rank`` (mf's initial factors); other estimators ignore it."""
        hook = getattr(self.estimator, "use_policy_stream", None)
        if hook is not None:
            hook(rng)

    def use_ground_truth(self, truth: GroundTruth) -> None:
        """Hand the truth to an oracle estimator; other estimators ignore it."""
        hook = getattr(self.estimator, "use_ground_truth", None)
        if hook is not None:
            hook(truth)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(estimator={self.estimator!r}, selector={self.selector!r})"
