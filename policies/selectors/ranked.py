"""The greedy top ``m`` of an estimator, global (cached per version) or per user."""

from __future__ import annotations

import numpy as np
from loopsim.policies.base import Estimator
from loopsim.policies.selectors.topk import SCORE_BLOCK, top_k_random_ties, top_k_rows
from loopsim.simulator.contract import SlateRequest


class TopList:
    """``(B, m)`` best-first candidate ids; a global estimator is ranked once per version."""

    def __init__(self) -> None:
        self._cache: tuple[int, np.ndarray, int, np.ndarray] | None = None

    def get(self, request: SlateRequest, estimator: Estimator, m: int) -> np.ndarray:
        """The top ``m`` (clipped to the candidates) of each session, best first."""
        candidates = request.candidates
        m = min(m, candidates.size)
        if not estimator.personalized:
            c = self._cache
            if c is None or c[0] != estimator.version or c[1] is not candidates or c[2] != m:
                scores = estimator.scores(candidates)
                row = candidates[top_k_random_ties(scores, m, request.rng)]
                self._cache = c = (estimator.version, candidates, m, row)
            return np.broadcast_to(c[3], (request.batch_size, m))
        block = max(1, SCORE_BLOCK // max(1, candidates.size))
        out = np.empty((request.batch_size, m), dtype=np.int64)
        for start in range(0, request.batch_size, block):
            scores = estimator.user_scores(request.users[start : start + block], candidates)
            out[start : start + block] = candidates[top_k_rows(scores, m)]
        return out


__all__ = ["TopList"]
