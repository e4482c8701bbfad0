"""The organic channel: users who find items on their own (search, browsing, links).

A world is *open* when its users also consume outside the recommender. Following
RecoGym's organic sessions (Rohde et al. 2018: users view products by their own
preferences between bandit sessions), each user has organic sessions at
``world.organic`` times their recommended session rate (a Poisson stream from the
``organic`` random stream, independent of the policy). In an organic session the user
picks one available item by their own relevance (RecoGym draws its organic views from
the user's own latent affinity, ``softmax(Gamma omega + mu_organic)`` in
``recogym/envs/reco_env_v1.py``)::

    P(item i | user u) = relevance(u, i)^s / sum_j relevance(u, j)^s

with ``s = world.organic_sharpness``. ``s = 1`` is *browsing* under the world's own
click model: a user who examines available items in a uniformly random order and
consumes the first one they click (each with its relevance) ends on item ``i`` with
probability proportional to ``relevance(u, i)``. No new parameter, and no oracle: the
best item of 1,000 is found about twice as often as an average one. ``s > 1`` models a
search that finds better items; ``s = 0`` uniform discovery.

It is logged as a feedback row with ``source == ORGANIC``, ``rank == 0``,
``click == True``, ``reward == 1`` and ``propensity == 1``, so a policy can learn from
it (popularity, mf) or ignore it (estimators of click-through rates by rank). Organic
rows are never impressions: exposure, regret and every served-quality metric count the
recommended slates only; organic consumption has its own counters
(``gini_organic``, ``organic_window``; docs/metrics.md).
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.batches import ORGANIC, Feedback
from loopsim.simulator.contract.constant_columns import constant
from loopsim.simulator.contract.world import GroundTruth
from loopsim.simulator.loop.user_sampler import GuidedSearch

#: Upper bound on the (sessions × candidates) relevance block drawn at once.
_BLOCK = 1 << 20


def _weights(relevance: np.ndarray, sharpness: float) -> np.ndarray:
    """Choice weights ``relevance ** sharpness`` (unnormalized), per row."""
    rel = np.maximum(np.asarray(relevance, dtype=np.float64), 0.0)
    return rel if sharpness == 1.0 else rel**sharpness


def organic_items(truth: GroundTruth, users: np.ndarray, candidates: np.ndarray,
                  rng: np.random.Generator, sharpness: float = 1.0) -> np.ndarray:
    """``(B,)`` one item per user, drawn with probability ``relevance ** sharpness``.

    A global world shares one distribution (a cumulative sum and a binary search per
    draw); a personal one scores ``(B, n)`` relevances in blocks.
    """
    if users.size == 0:
        return np.zeros(0, dtype=np.int64)
    if truth.is_global:
        weights = _weights(truth.relevance(users[:1], candidates)[0], sharpness)
        cum = np.cumsum(weights)
        pick = np.searchsorted(cum, rng.random(users.size) * cum[-1], side="right")
        return candidates[np.minimum(pick, candidates.size - 1)]
    out = np.empty(users.size, dtype=np.int64)
    block = max(1, _BLOCK // max(1, candidates.size))
    for start in range(0, users.size, block):
        rel = truth.relevance(users[start : start + block], candidates)
        cum = np.cumsum(_weights(rel, sharpness), axis=1)
        u = rng.random(cum.shape[0])[:, None] * cum[:, -1:]
        pick = np.minimum((cum <= u).sum(axis=1), candidates.size - 1)
        out[start : start + block] = candidates[pick]
    return out


class OrganicChoice:
    """:func:`organic_items` with the global world's cumulative weights kept per
    (candidates, world version), searched through a guide table
    (:class:`~loopsim.simulator.loop.user_sampler.GuidedSearch`: the same picks as a binary
    search, at a fraction of its cost) between catalogue changes.

    Args:
        sharpness: ``world.organic_sharpness``.
    """

    def __init__(self, sharpness: float = 1.0) -> None:
        self.sharpness = sharpness
        self._cache: tuple[np.ndarray, int, GuidedSearch] | None = None

    def draw(self, truth: GroundTruth, users: np.ndarray, candidates: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
        """``(B,)`` one organic pick per user (see :func:`organic_items`)."""
        if not truth.is_global or users.size == 0:
            return organic_items(truth, users, candidates, rng, self.sharpness)
        c = self._cache
        if c is None or c[0] is not candidates or c[1] != truth.version:
            weights = _weights(truth.relevance(users[:1], candidates)[0], self.sharpness)
            self._cache = c = (candidates, truth.version, GuidedSearch(np.cumsum(weights)))
        search = c[2]
        pick = search(rng.random(users.size) * search.cum[-1])
        return candidates[np.minimum(pick, candidates.size - 1)]


def organic_feedback(times: np.ndarray, users: np.ndarray, items: np.ndarray) -> Feedback:
    """Organic rows: ``source == ORGANIC``, ``rank == 0``, clicked, propensity 1.

    The constant columns are read-only views (:mod:`~loopsim.simulator.contract.constant_columns`).
    """
    n = items.shape[0]
    return Feedback(
        t=np.asarray(times, dtype=np.float64),
        user=np.asarray(users, dtype=np.int64),
        item=np.asarray(items, dtype=np.int64),
        rank=constant(0, np.int16, n),
        click=constant(True, np.bool_, n),
        reward=constant(1.0, np.float32, n),
        propensity=constant(1.0, np.float32, n),
        source=constant(ORGANIC, np.int8, n),
    )


__all__ = ["OrganicChoice", "organic_feedback", "organic_items"]
