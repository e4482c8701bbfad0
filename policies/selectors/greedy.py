"""The greedy selector: the k best-scored candidates, ties broken per session."""

from __future__ import annotations

import numpy as np
from loopsim.policies.selectors.ties import RankedHead, ranked_head, top_k_rows_random_ties
from loopsim.policies.selectors.topk import SCORE_BLOCK
from loopsim.simulator.contract.batches import SlateRequest, Slates
from loopsim.simulator.contract.estimator import Estimator
from loopsim.simulator.contract.policy import EXACT


class HeadCache:
    """The :class:`RankedHead` of a global estimator, kept per (version, candidates, m)."""

    def __init__(self) -> None:
        self._cache: tuple[int, np.ndarray, int, RankedHead] | None = None

    def get(self, estimator: Estimator, candidates: np.ndarray, m: int) -> RankedHead:
        """The head of the ``m`` best candidates under the estimator's current scores."""
        version, m = estimator.version, min(m, candidates.size)
        c = self._cache
        if c is None or c[0] != version or c[1] is not candidates or c[2] != m:
            head = ranked_head(estimator.scores(candidates), candidates, m)
            self._cache = c = (version, candidates, m, head)
        return c[3]


class Greedy:
    """Serve the ``k`` highest-scored candidates, best first.

    A global estimator is ranked once per (estimator version, catalogue); the slate is
    shared by every session (a broadcast view) unless scores tie, in which case only the
    tied runs are drawn per session from the policy's rng. A personalized estimator is
    ranked per user, in blocks that bound memory, ties broken per user.
    """

    def __init__(self) -> None:
        self._head = HeadCache()

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """Greedy slates for the request."""
        if not estimator.personalized:
            head = self._head.get(estimator, request.candidates, request.k)
            # Drawn from the candidates without repeats: correct by construction.
            return Slates.by_construction(head.draw(request.batch_size, request.rng),
                                          fixed_columns=head.fixed.size)
        return Slates(personal_top_k(request, estimator, request.k))

    def propensity_kind(self) -> str:
        """``"exact"``: the logged propensities are the exact marginals (or 1, deterministic)."""
        return EXACT

    def __repr__(self) -> str:
        return "Greedy()"


def personal_top_k(request: SlateRequest, estimator: Estimator, m: int) -> np.ndarray:
    """``(B, m)`` each user's best ``m`` candidates by ``estimator.user_scores``."""
    candidates, users = request.candidates, request.users
    m = min(m, candidates.size)
    block = max(1, SCORE_BLOCK // max(1, candidates.size))
    out = np.empty((users.shape[0], m), dtype=np.int64)
    for start in range(0, users.shape[0], block):
        scores = estimator.user_scores(users[start : start + block], candidates)
        out[start : start + block] = candidates[top_k_rows_random_ties(scores, m, request.rng)]
    return out
