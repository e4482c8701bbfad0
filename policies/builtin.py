"""The baseline policies: popularity, CTR, uniform random and the oracle."""

from __future__ import annotations

from loopsim.policies.base import ComposedPolicy
from loopsim.policies.estimators import BetaCTR, ClickCount, TrueRelevance
from loopsim.policies.selectors import Greedy, uniform_slates
from loopsim.simulator.contract import Feedback, SlateRequest, Slates


class Popularity(ComposedPolicy):
    """Greedy by cumulative clicks: the degenerate feedback loop in its purest form.

    Args:
        organic: Count organic consumption as well as clicks on served slates.
    """

    def __init__(self, organic: bool = True) -> None:
        super().__init__(ClickCount(organic), Greedy())


class CTR(ComposedPolicy):
    """Greedy by click-through rate with a Beta prior (position bias left uncorrected).

    Args:
        prior_mean: Prior CTR of an unseen item; ``None``: the log's pooled CTR
            (empirical Bayes).
        prior_strength: Weight of the prior, in pseudo-impressions; ``None``: estimated
            by the method of moments.
    """

    def __init__(self, prior_mean: float | None = None,
                 prior_strength: float | None = None) -> None:
        super().__init__(BetaCTR(prior_mean, prior_strength), Greedy())


class Oracle(ComposedPolicy):
    """Greedy by true relevance (per user when the world is personal): the upper bound."""

    def __init__(self) -> None:
        super().__init__(TrueRelevance(), Greedy())


class Random:
    """Uniform random slates for every session; learns nothing (the no-loop baseline)."""

    def rank(self, request: SlateRequest) -> Slates:
        """Uniform random ordered k-subsets of the candidates."""
        return uniform_slates(request)

    def update(self, feedback: Feedback) -> None:
        """Nothing to learn."""

    def __repr__(self) -> str:
        return "Random()"


__all__ = ["CTR", "Oracle", "Popularity", "Random"]
