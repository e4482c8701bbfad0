"""Composition of built-in policies: an estimator (belief about items) under a selector.

* An :class:`Estimator` learns from feedback and scores items, globally
  (``scores(items)``) or per user (``user_scores(users, items)``).
* A :class:`Selector` turns scores into slates (greedy, randomized, sampled...).
* :class:`ComposedPolicy` joins the two into a :class:`~simulator.RankingPolicy`.

Optional hooks, each a small runtime-checkable :class:`typing.Protocol` checked once
(when the policy is composed, or when the run starts), never looked up inside the loop:

* :class:`HasPosterior` -- an estimator's Beta posterior, which the bandit selectors
  (Thompson sampling, UCB) need;
* :class:`ChecksEstimator` -- a selector that says, when composed, whether it can work
  over a given estimator (so ``policy=thompson policy/estimator=mf`` fails at start);
* :class:`~loopsim.simulator.contract.policy.ReportsMetrics` (``policy_metrics``) and
  :class:`~loopsim.simulator.contract.policy.UsesGroundTruth` (the oracle) on any part: the
  engine finds them through :meth:`ComposedPolicy.parts`.

Built-in policies are configs, not classes: ``conf/policy/<name>.yaml`` composes an
estimator from ``conf/policy/estimator/`` under a selector from ``conf/policy/selector/``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from loopsim.simulator.contract.policy import Feedback, HasPosterior, SlateRequest, Slates

__all__ = ["ChecksEstimator", "ComposedPolicy", "Estimator", "HasPosterior", "Selector"]


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


@runtime_checkable
class ChecksEstimator(Protocol):
    """Optional selector hook: refuse, when composed, an estimator it cannot work over."""

    def check_estimator(self, estimator: Estimator) -> None:
        """Raise :class:`~loopsim.simulator.errors.ConfigError` naming the fix, or return."""
        ...


class ComposedPolicy:
    """A ranking policy made of an estimator and a selector.

    Both are built by Hydra from their own ``_target_`` (``policy.estimator`` and
    ``policy.selector``), so a user's own estimator or selector plugs in as a built-in
    does. A selector with :class:`ChecksEstimator` checks the estimator here, once.

    Args:
        estimator: What is believed about items.
        selector: How slates are drawn from the beliefs.

    Raises:
        ConfigError: when the selector cannot work over the estimator (e.g. Thompson
            sampling over an estimator without a posterior).
    """

    def __init__(self, estimator: Estimator, selector: Selector) -> None:
        if isinstance(selector, ChecksEstimator):
            selector.check_estimator(estimator)
        self.estimator = estimator
        self.selector = selector

    def parts(self) -> tuple[object, ...]:
        """The estimator and the selector, whose optional hooks the engine checks at start."""
        return (self.estimator, self.selector)

    def rank(self, request: SlateRequest) -> Slates:
        """Slates from the selector over the estimator's current scores."""
        return self.selector.select(request, self.estimator)

    def update(self, feedback: Feedback) -> None:
        """Pass logged feedback to the estimator."""
        self.estimator.update(feedback)

    def item_scores(self, items: np.ndarray) -> np.ndarray:
        """The estimator's population-level scores (for ranking-recovery metrics)."""
        return self.estimator.scores(items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(estimator={self.estimator!r}, selector={self.selector!r})"
