"""Uniformly random slates, for the start-up period before the policy serves."""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.batches import SlateRequest, Slates


def random_slates(request: SlateRequest) -> Slates:
    """Uniform random ordered ``k``-subsets of the candidates, one per session.

    Draws from ``request.rng`` (the policy's stream): one ``(B, n)`` block of uniforms
    sorted per row. Propensities are the exact ``1 / n`` of any item at any rank.

    Args:
        request: The batch to serve.
    """
    n, k, b = request.candidates.size, request.k, request.batch_size
    keys = request.rng.random((b, n))
    idx = np.argpartition(keys, k - 1, axis=1)[:, :k] if k < n else np.argsort(keys, axis=1)
    propensities = np.broadcast_to(np.float32(1.0 / n), (b, k))
    return Slates(request.candidates[idx].astype(np.int64), propensities)


__all__ = ["random_slates"]
