"""The greedy selector: the k best-scored candidates."""

from __future__ import annotations

import numpy as np
from loopsim.policies.base import Estimator
from loopsim.policies.selectors.topk import SCORE_BLOCK, top_k_random_ties, top_k_rows
from loopsim.simulator.contract import SlateRequest, Slates


class Greedy:
    """Serve the ``k`` highest-scored candidates, best first (deterministic given the rng).

    A global estimator is ranked once per (estimator version, catalogue) and the slate
    is shared by every session (a broadcast view); ties are broken at random with the
    policy's rng. A personalized estimator is ranked per user, in blocks that bound
    memory.
    """

    def __init__(self) -> None:
        self._cache: tuple[int, np.ndarray, np.ndarray] | None = None

    def ranking(self, request: SlateRequest, estimator: Estimator) -> np.ndarray:
        """The shared ``(k,)`` slate of a global estimator (cached per version)."""
        version, candidates = estimator.version, request.candidates
        cache = self._cache
        if (cache is None or cache[0] != version or cache[1] is not candidates
                or cache[2].shape[0] != min(request.k, candidates.size)):
            scores = estimator.scores(candidates)
            row = candidates[top_k_random_ties(scores, request.k, request.rng)]
            row.flags.writeable = False
            self._cache = cache = (version, candidates, row)
        return cache[2]

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """Greedy slates for the request."""
        if not estimator.personalized:
            row = self.ranking(request, estimator)
            return Slates(np.broadcast_to(row, (request.batch_size, row.shape[0])))
        return Slates(personal_top_k(request, estimator))

    def __repr__(self) -> str:
        return "Greedy()"


def personal_top_k(request: SlateRequest, estimator: Estimator) -> np.ndarray:
    """``(B, k)`` each user's best ``k`` candidates by ``estimator.user_scores``."""
    candidates, users = request.candidates, request.users
    block = max(1, SCORE_BLOCK // max(1, candidates.size))
    out = np.empty((users.shape[0], request.k), dtype=np.int64)
    for start in range(0, users.shape[0], block):
        scores = estimator.user_scores(users[start : start + block], candidates)
        out[start : start + block] = candidates[top_k_rows(scores, request.k)]
    return out
