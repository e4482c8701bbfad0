"""The ideal slate of each session: the best ``k`` true relevances available to its user.

NDCG and regret compare what was served with it (:mod:`.recorder`). A global world has
one ideal slate per (candidates, version); a personal world scores each user once per
(candidates, version) and keeps the table, merging new items in when the world says that
adding items left the old ones' relevance alone (``relevance_version``).
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.world import GroundTruth, HasRelevanceVersion
from loopsim.simulator.loop.catalogue import grown
from loopsim.simulator.metrics.served import top_k_values

#: Upper bound on the (sessions × candidates) relevance block scored at once.
_BLOCK = 1 << 21
#: Upper bound on the (users × k) per-user ideal relevances cached for a personal world.
_USER_CACHE = 1 << 22


class IdealSlates:
    """Each user's best ``k`` true relevances among the candidates, cached while they last.

    Args:
        truth: The world's ground truth.
        k: The slate size (fewer when fewer candidates are available).
    """

    def __init__(self, truth: GroundTruth, k: int) -> None:
        self.truth = truth
        self.k = k
        self._versioned = isinstance(truth, HasRelevanceVersion)
        self._global: tuple[object, int, np.ndarray] | None = None
        self._table: tuple | None = None  # (candidates, version, table, known, rel.)

    def __call__(self, users: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """``(B, k)`` best relevances available to each user, sorted descending."""
        k = min(self.k, candidates.size)
        if self.truth.is_global:
            cache = self._global
            if cache is None or cache[0] is not candidates or cache[1] != self.truth.version:
                row = top_k_values(self.truth.relevance(users[:1], candidates), k)
                self._global = (candidates, self.truth.version, row)
            return np.broadcast_to(self._global[2][0], (users.shape[0], k))
        cached = self._cached_personal(users, candidates, k)
        if cached is not None:
            return cached
        rows = max(1, _BLOCK // max(1, candidates.size))
        return np.concatenate(
            [
                top_k_values(self.truth.relevance(users[s : s + rows], candidates), k)
                for s in range(0, users.shape[0], rows)
            ]
        )

    def _cached_personal(
        self, users: np.ndarray, candidates: np.ndarray, k: int
    ) -> np.ndarray | None:
        """Per-user ideal relevances, kept while the candidates and the world's version last.

        A user's best ``k`` relevances do not change until the catalogue or the truth
        does, so each user is scored once per (candidates, version) instead of once per
        sampled session. New items do not discard the table when the world tells them
        apart from other changes (a ``relevance_version`` that adding items leaves
        alone): the cached users are scored on the new items only, and those scores are
        merged into their best ``k`` (:meth:`_extend`). Expiries and drift
        still discard it. ``None`` (no caching) when the table would exceed
        ``_USER_CACHE`` entries.
        """
        n = int(users.max()) + 1 if users.size else 0
        if n * k > _USER_CACHE:
            return None
        version = self.truth.version
        relevance_version = (self.truth.relevance_version  # type: ignore[attr-defined]
                             if self._versioned else None)
        cache = self._table
        if cache is not None and (cache[0] is not candidates or cache[1] != version):
            cache = self._extend(cache, candidates, version, relevance_version, k)
        if cache is None:
            cache = (candidates, version, np.zeros((0, k)), np.zeros(0, dtype=bool),
                     relevance_version)
        table, known = cache[2], cache[3]
        if table.shape[0] < n:
            table, known = grown(table, n), grown(known, n)
        self._table = (candidates, version, table, known, relevance_version)
        unknown = ~known[users]
        if unknown.any():
            need = np.unique(users[unknown])
            rows = max(1, _BLOCK // max(1, candidates.size))
            for s in range(0, need.size, rows):
                block = need[s : s + rows]
                table[block] = top_k_values(self.truth.relevance(block, candidates), k)
            known[need] = True
        return table[users]

    def _extend(
        self, cache: tuple, candidates: np.ndarray, version: int,
        relevance_version: int | None, k: int,
    ) -> tuple | None:
        """The cached table carried over to ``candidates``, or ``None`` to start afresh.

        It carries over when the relevance of the old items has not changed (same
        ``relevance_version``, known) and ``candidates`` only adds ids after the old ones
        (the catalogue is sorted and new ids are the largest: an expiry breaks this).
        The best ``k`` of all candidates are then the best ``k`` of the cached ``k`` and
        of the new items' relevances.
        """
        old, table, known, old_relevance = cache[0], cache[2], cache[3], cache[4]
        if (relevance_version is None or old_relevance != relevance_version
                or table.shape[1] != k or candidates.size < old.size
                or not np.array_equal(candidates[: old.size], old)):
            return None
        added = candidates[old.size :]
        ids = np.flatnonzero(known)
        if added.size and ids.size:
            rows = max(1, _BLOCK // (k + added.size))
            for s in range(0, ids.size, rows):
                block = ids[s : s + rows]
                fresh = self.truth.relevance(block, added)
                # Only users with a new item above their k-th best change.
                up = (fresh > table[block, -1:]).any(axis=1)
                if up.any():
                    block = block[up]
                    merged = np.concatenate([table[block], fresh[up]], axis=1)
                    table[block] = top_k_values(merged, k)
        return (candidates, version, table, known, relevance_version)
