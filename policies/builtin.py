"""The uniform random policy: the no-loop baseline (it learns nothing and scores nothing)."""

from __future__ import annotations

from loopsim.policies.selectors import uniform_slates
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.contract.policy import EXACT


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

    def propensity_kind(self) -> str:
        """``"exact"``: the logged propensities are the exact marginals (or 1, deterministic)."""
        return EXACT

    def __repr__(self) -> str:
        return "Random()"


__all__ = ["Random"]
