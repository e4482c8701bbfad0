"""The baseline policies: popularity, CTR, uniform random and the oracle."""

from __future__ import annotations

from loopsim.policies.base import ComposedPolicy
from loopsim.policies.estimators import BetaCTR, ClickCount, TrueRelevance
from loopsim.policies.selectors import Greedy, uniform_slates
from loopsim.simulator.contract import Feedback, SlateRequest, Slates


class Popularity(ComposedPolicy):
    """Greedy by cumulative clicks: the degenerate feedback loop in its purest form."""

    def __init__(self) -> None:
        super().__init__(ClickCount(), Greedy())


class CTR(ComposedPolicy):
    """Greedy by click-through rate with a Beta prior (position bias left uncorrected).

    Args:
        prior_mean: Prior CTR of an unseen item.
        prior_strength: Weight of the prior, in pseudo-impressions.
    """

    def __init__(self, prior_mean: float = 0.05, prior_strength: float = 20.0) -> None:
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
