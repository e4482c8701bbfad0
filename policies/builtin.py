"""The uniform random policy: the no-loop baseline (it learns nothing and scores nothing)."""

from __future__ import annotations

from loopsim.policies.selectors import uniform_slates
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates


class Random:
    """Uniform random slates for every session; learns nothing (the no-loop baseline).

    Not an estimator under a selector: it has no beliefs, so no ``item_scores`` (its
    ``tau_scores`` is absent, not the score of a dummy estimator).
    """

    def rank(self, request: SlateRequest) -> Slates:
        """Uniform random ordered k-subsets of the candidates."""
        return uniform_slates(request)

    def update(self, feedback: Feedback) -> None:
        """Nothing to learn."""

    def __repr__(self) -> str:
        return "Random()"


__all__ = ["Random"]
