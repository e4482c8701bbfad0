"""Composition of built-in policies: an estimator (belief about items) under a selector.

* An :class:`Estimator` learns from feedback and scores items, globally
  (``scores(items)``) or per user (``user_scores(users, items)``).
* A :class:`Selector` turns scores into slates (greedy, randomized, sampled...).
* :class:`ComposedPolicy` joins the two into a :class:`~loopsim.simulator.RankingPolicy`.

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

import numpy as np
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.contract.estimator import Estimator
from loopsim.simulator.contract.selector import ChecksEstimator, Selector

__all__ = ["ComposedPolicy"]


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
