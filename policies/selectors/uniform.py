"""The uniform random selector: k distinct candidates drawn uniformly for every session."""

from __future__ import annotations

import numpy as np
from loopsim.policies.selectors.topk import sample_rows_without_replacement
from loopsim.simulator.contract.batches import SlateRequest, Slates
from loopsim.simulator.contract.policy import EXACT


def uniform_slates(request: SlateRequest) -> Slates:
    """Uniform random ordered k-subsets of the candidates, with exact propensities.

    The propensity of any item at any rank is ``1 / n`` for ``n`` candidates.
    """
    n = request.candidates.size
    idx = sample_rows_without_replacement(request.rng, n, request.batch_size, request.k)
    propensities = np.broadcast_to(np.float32(1.0 / n), idx.shape)
    return Slates(request.candidates[idx], propensities)


class UniformRandom:
    """Ignores the estimator: uniform random slates (the no-feedback-loop baseline)."""

    def select(self, request: SlateRequest, estimator: object) -> Slates:
        """Uniform random slates for the request."""
        return uniform_slates(request)

    def propensity_kind(self) -> str:
        """``"exact"``: the logged propensities are the exact marginals (or 1, deterministic)."""
        return EXACT

    def __repr__(self) -> str:
        return "UniformRandom()"
