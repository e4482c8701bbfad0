"""The ranker of a pipeline over retrieved pools: any estimator under any selector.

A shared pool (a global retrieval stage) is handed to the ranker as the catalogue of
its request, so global selectors keep ranking once per model version. Per-session pools
are ranked through :class:`PoolScores`: a personalized view of the ranker's estimator
whose "users" are the rows of the batch and whose "items" are pool positions, so that
every selector, written for one candidate array, ranks each row's own pool; positions
are then mapped back to item ids.
"""

from __future__ import annotations

import numpy as np
from loopsim.policies.composed import ComposedPolicy
from loopsim.policies.pipeline.stage_checks import stage_error
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.contract.estimator import Estimator
from loopsim.simulator.contract.retrieval import Pool
from loopsim.simulator.errors import ConfigError, PolicyContractError

__all__ = ["PoolRanker", "PoolScores", "pool_scores"]


def pool_scores(estimator: Estimator, users: np.ndarray, pools: np.ndarray) -> np.ndarray:
    """``(B, n)`` the estimator's score of ``pools[b, j]`` for ``users[b]``.

    Uses the estimator's ``pair_scores`` when it has one (mf, the oracle), the global
    ``scores`` gathered for a global estimator, else ``user_scores`` over each block's
    union of pools.
    """
    pair = getattr(estimator, "pair_scores", None)
    if pair is not None:
        return np.asarray(pair(users, pools), dtype=np.float64)
    if not estimator.personalized:
        ids, inverse = np.unique(pools, return_inverse=True)
        return np.asarray(estimator.scores(ids), dtype=np.float64)[inverse].reshape(pools.shape)
    out = np.empty(pools.shape, dtype=np.float64)
    block = 256
    for s in range(0, users.shape[0], block):
        ids, inverse = np.unique(pools[s: s + block], return_inverse=True)
        scores = estimator.user_scores(users[s: s + block], ids)
        rows = np.arange(min(block, users.shape[0] - s))[:, None]
        out[s: s + block] = scores[rows, inverse.reshape(-1, pools.shape[1])]
    return out


class PoolScores:
    """A personalized estimator over pool positions: ``user_scores(rows, positions)``.

    Built for one batch; ``version`` is new for every batch so selectors never reuse a
    ranking of another batch's pools.
    """

    personalized = True

    def __init__(self, scores: np.ndarray, version: int) -> None:
        self._scores = scores
        self.version = version

    def update(self, feedback: Feedback) -> None:
        """Never trained (the pipeline trains the ranker's own estimator)."""

    def scores(self, items: np.ndarray) -> np.ndarray:
        """Mean score of each position over the batch (selectors of a global estimator)."""
        return self._scores[:, items].mean(axis=0)

    def user_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` scores of the pool positions ``items`` for the batch rows ``users``."""
        return self._scores[users][:, items]


def _outside(stage_items: np.ndarray, pool: np.ndarray, request: SlateRequest,
             ranker: ComposedPolicy) -> PolicyContractError:
    row = int(np.flatnonzero(~stage_items.all(axis=1))[0]) if stage_items.ndim == 2 else 0
    return PolicyContractError(
        f"pipeline stage `ranker` ({ranker!r}) at t={request.t:.4f} days returned items "
        f"outside the retrieved pool in row {row} (user {int(request.users[row])}); "
        f"the pool holds {pool.shape[-1]} candidates. Fix: the ranker must pick from "
        "request.candidates only (the pool), e.g. index request.candidates with its scores.")


class PoolRanker:
    """Ranks retrieved pools with a :class:`ComposedPolicy` (the pipeline's second stage)."""

    def __init__(self, ranker: ComposedPolicy) -> None:
        self.ranker = ranker
        self._batches = 0
        self._positions: np.ndarray | None = None
        self._shared: tuple[np.ndarray, np.ndarray] | None = None

    def rank(self, request: SlateRequest, pool: Pool) -> Slates:
        """Slates of ``request.k`` items, each from its session's pool."""
        if pool.shared:
            return self._rank_shared(request, pool.items[0])
        return self._rank_rows(request, pool.items)

    def _rank_shared(self, request: SlateRequest, row: np.ndarray) -> Slates:
        cached = self._shared
        if cached is None or cached[0] is not row:
            sorted_row = np.sort(row)
            sorted_row.flags.writeable = False
            self._shared = cached = (row, sorted_row)
        sub = SlateRequest(request.t, request.users, cached[1], request.k, request.rng,
                           propensities=request.propensities)
        slates = self.ranker.rank(sub)
        items = np.asarray(slates.items)
        rows = items[:1] if slates.is_shared else items
        inside = np.isin(rows, cached[1])
        if not inside.all():
            raise _outside(inside, cached[1], request, self.ranker)
        return slates

    def _rank_rows(self, request: SlateRequest, pools: np.ndarray) -> Slates:
        b, n = pools.shape
        if self._positions is None or self._positions.size != n:
            self._positions = np.arange(n, dtype=np.int64)
            self._positions.flags.writeable = False
        self._batches += 1
        view = PoolScores(pool_scores(self.ranker.estimator, request.users, pools),
                          self._batches)
        sub = SlateRequest(request.t, np.arange(b, dtype=np.int64), self._positions,
                           request.k, request.rng, propensities=request.propensities)
        try:
            slates = self.ranker.selector.select(sub, view)
        except (AttributeError, ConfigError) as exc:
            raise stage_error(
                "ranker", f"the selector {self.ranker.selector!r} cannot rank per-session "
                f"pools ({exc}).", "use a score-based selector (greedy, epsilon-greedy, "
                "rand_topn, softmax) or a global retrieval stage (one shared pool).") from exc
        pos = np.asarray(slates.items)
        inside = (pos >= 0) & (pos < n)
        if not inside.all():
            raise _outside(inside, pools, request, self.ranker)
        items = np.take_along_axis(pools, np.broadcast_to(pos, (b, pos.shape[1])), axis=1)
        return Slates(items, slates.propensities)
