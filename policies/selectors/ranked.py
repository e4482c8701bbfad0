"""The greedy top ``m`` of an estimator, global (ranked once per version) or per user."""

from __future__ import annotations

import numpy as np
from loopsim.policies.selectors.greedy import HeadCache, personal_top_k
from loopsim.simulator.contract.batches import SlateRequest
from loopsim.simulator.contract.estimator import Estimator


class TopList:
    """``(B, m)`` best-first candidate ids, ties broken per session (per user)."""

    def __init__(self) -> None:
        self._head = HeadCache()

    def get(self, request: SlateRequest, estimator: Estimator, m: int) -> np.ndarray:
        """The top ``m`` (clipped to the candidates) of each session, best first."""
        if not estimator.personalized:
            head = self._head.get(estimator, request.candidates, m)
            return head.draw(request.batch_size, request.rng)
        return personal_top_k(request, estimator, m)


__all__ = ["TopList"]
