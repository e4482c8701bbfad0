"""Count-based estimators: click counts (popularity) and CTR with a Beta prior."""

from __future__ import annotations

import numpy as np
from loopsim.policies.estimators.prior import empirical_beta_prior
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.loop.catalogue import grown
from loopsim.simulator.params.component_schema import OpenUnit, Positive


def served_only(feedback: Feedback) -> Feedback:
    """The rows served by the policy (organic rows dropped; no copy when there are none)."""
    if len(feedback) == 0 or not feedback.source.any():
        return feedback
    return feedback.select(feedback.recommended)


class ItemCounters:
    """Per-item impression and click counts, grown as new item ids appear."""

    def __init__(self) -> None:
        self.impressions = np.zeros(0, dtype=np.float64)
        self.clicks = np.zeros(0, dtype=np.float64)
        self.version = 0

    def add(self, feedback: Feedback, organic: bool = False,
            organic_impressions: bool = False) -> None:
        """Count the impressions and clicks of a feedback batch.

        Organic rows count as clicks only when ``organic`` is true, and as impressions
        only when ``organic_impressions`` is true as well (a clicked impression at an
        assumed examination of 1: :class:`BetaCTR`'s ``learn_from_organic``). They are
        few, so they are counted apart and taken off rather than masked out of every
        column. The counts come from :meth:`Feedback.item_totals` (the engine's own per
        batch, summed; no column of the log is read when it has them all), so the
        counters may be longer than the largest id seen (zeros beyond).
        """
        if len(feedback) == 0:
            return
        totals = feedback.item_totals()
        n = totals.size
        self.impressions = grown(self.impressions, n)
        self.clicks = grown(self.clicks, n)
        self.impressions[:n] += totals.rows
        self.clicks[:n] += totals.clicks
        found = totals.organic
        if found is not None:
            if not (organic and organic_impressions):
                self.impressions[:n] -= found
            if not organic:
                self.clicks[:n] -= found  # organic rows are logged as clicked
        self.version += 1

    def of(self, counts: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``counts[items]``, with 0 for ids never seen."""
        out = np.zeros(items.shape[0], dtype=np.float64)
        known = items < counts.shape[0]
        out[known] = counts[items[known]]
        return out


class ClickCount:
    """Popularity: an item's score is its number of clicks so far.

    Args:
        organic: Count organic consumption (items users found on their own) as well as
            clicks on served slates, as a production popularity list counts every play.
    """

    personalized = False

    def __init__(self, organic: bool = True) -> None:
        self.organic = organic
        self._counts = ItemCounters()

    @property
    def version(self) -> int:
        """Bumped at every non-empty update."""
        return self._counts.version

    def update(self, feedback: Feedback) -> None:
        """Add the batch's clicks (and organic consumption, when ``organic``)."""
        self._counts.add(feedback, organic=bool(self.organic))

    def scores(self, items: np.ndarray) -> np.ndarray:
        """Cumulative clicks of each item."""
        return self._counts.of(self._counts.clicks, items)

    def __repr__(self) -> str:
        return f"ClickCount(organic={self.organic})"


class BetaCTR:
    """Click-through rate with a Beta prior: ``(clicks + a) / (impressions + a + b)``.

    Organic rows (items users found on their own: no slate, no rank) are skipped by
    default. With ``learn_from_organic`` each counts as one clicked impression at an
    assumed examination of 1 (the user looked at the item, by definition), so rates
    stay in [0, 1] and the posterior stays a Beta. Organic rows are positives only
    (nobody logs the items a user saw elsewhere and passed over): learning from them
    pulls each item toward what users seek on their own, not toward its CTR on a
    slate, which is why it is a choice and off by default (docs/cold_start.md).

    Args:
        prior_mean: Prior CTR ``a / (a + b)`` given to unseen items, in (0, 1); ``None``
            (default): the pooled CTR of the log (empirical Bayes,
            :mod:`~loopsim.policies.estimators.prior`).
        prior_strength: Pseudo-impressions ``a + b`` of the prior, > 0; ``None``
            (default): estimated by the method of moments.
        learn_from_organic: Count organic rows as clicked impressions (above).
    """

    personalized = False

    def __init__(self, prior_mean: OpenUnit | None = None,
                 prior_strength: Positive | None = None,
                 learn_from_organic: bool = False) -> None:
        self.prior_mean = prior_mean
        self.prior_strength = prior_strength
        self.learn_from_organic = learn_from_organic
        self._counts = ItemCounters()
        self._prior: tuple[int, float, float] | None = None

    @property
    def version(self) -> int:
        """Bumped at every non-empty update."""
        return self._counts.version

    def update(self, feedback: Feedback) -> None:
        """Add the batch's impressions and clicks (and organic rows, when learning from them)."""
        learn = bool(self.learn_from_organic)
        self._counts.add(feedback, organic=learn, organic_impressions=learn)

    def prior(self) -> tuple[float, float]:
        """``(mean, strength)`` of the prior in use (estimated once per version)."""
        p = self._prior
        if p is None or p[0] != self.version:
            c = self._counts
            mean, strength = empirical_beta_prior(c.clicks, c.impressions, self.prior_mean,
                                                  self.prior_strength)
            self._prior = p = (self.version, mean, strength)
        return p[1], p[2]

    def policy_metrics(self) -> dict[str, float]:
        """The prior in use (``prior_mean``, ``prior_strength``)."""
        mean, strength = self.prior()
        return {"prior_mean": mean, "prior_strength": strength}

    def scores(self, items: np.ndarray) -> np.ndarray:
        """Posterior mean CTR of each item."""
        mean, strength = self.prior()
        clicks = self._counts.of(self._counts.clicks, items)
        views = self._counts.of(self._counts.impressions, items)
        return (clicks + mean * strength) / (views + strength)

    def posterior(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Beta posterior ``(alpha, beta)`` of each item's CTR (for Thompson sampling, UCB)."""
        mean, strength = self.prior()
        clicks = self._counts.of(self._counts.clicks, items)
        views = self._counts.of(self._counts.impressions, items)
        return clicks + mean * strength, views - clicks + (1.0 - mean) * strength

    def __repr__(self) -> str:
        return (f"BetaCTR(prior_mean={self.prior_mean}, prior_strength={self.prior_strength}, "
                f"learn_from_organic={self.learn_from_organic})")
