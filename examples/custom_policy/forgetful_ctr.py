"""A custom estimator living outside loopsim's packages: a CTR that forgets old evidence.

It plugs in under any built-in selector by its ``_target_``, exactly as the built-in
estimators do (``policy/estimator=forgetful_ctr`` with the search path of this folder).
Its constructor's annotations are its schema: ``loopsim`` checks a misspelt or
out-of-range key before the run (``policy.estimator.half_life=0`` fails with the field,
the value and what is allowed). It has a Beta ``posterior``, so Thompson sampling and
UCB accept it.
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator import Feedback
from loopsim.simulator.params.component_schema import OpenUnit, Positive


class ForgetfulCTR:
    """CTR with a Beta prior whose evidence halves every ``half_life`` days.

    Args:
        half_life: Days for an impression's (and a click's) weight to halve, > 0.
        prior_mean: Prior CTR of an unseen item, in (0, 1).
        prior_strength: Pseudo-impressions of the prior, > 0.
    """

    personalized = False  # one score per item for everyone (no user_scores needed)

    def __init__(self, half_life: Positive = 7.0, prior_mean: OpenUnit = 0.05,
                 prior_strength: Positive = 20.0) -> None:
        self.half_life = half_life  # the constructor only stores parameters
        self.prior_mean = prior_mean
        self.prior_strength = prior_strength
        self._views = np.zeros(0)  # state, born empty (check_policy checks this)
        self._clicks = np.zeros(0)
        self._t = 0.0
        self._version = 0

    @property
    def version(self) -> int:
        """Changes whenever the scores may have changed (selectors cache per version)."""
        return self._version

    def update(self, feedback: Feedback) -> None:
        """Fade the evidence to the newest feedback's time, then add the batch."""
        if len(feedback) == 0:
            return
        now = float(feedback.t.max())
        n = max(self._views.size, int(feedback.item.max()) + 1)
        fade = 0.5 ** ((now - self._t) / self.half_life)
        views, clicks = np.zeros(n), np.zeros(n)
        views[: self._views.size] = self._views * fade
        clicks[: self._clicks.size] = self._clicks * fade
        weight = 0.5 ** ((now - feedback.t) / self.half_life)
        np.add.at(views, feedback.item, weight)
        np.add.at(clicks, feedback.item, weight * feedback.click)
        self._views, self._clicks, self._t = views, clicks, now
        self._version += 1

    def _counts(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        known = items < self._views.size
        views, clicks = np.zeros(items.size), np.zeros(items.size)
        views[known], clicks[known] = self._views[items[known]], self._clicks[items[known]]
        return views, clicks

    def posterior(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Beta ``(alpha, beta)`` of each item's CTR (the hook Thompson sampling needs)."""
        views, clicks = self._counts(items)
        a = self.prior_mean * self.prior_strength
        return clicks + a, views - clicks + self.prior_strength - a

    def scores(self, items: np.ndarray) -> np.ndarray:
        """Posterior mean CTR of each item id (0 evidence for ids never seen)."""
        alpha, beta = self.posterior(items)
        return alpha / (alpha + beta)

    def user_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """The same scores for every user (this estimator is not personalized)."""
        return np.broadcast_to(self.scores(items), (users.size, items.size))
