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

On a personal world the picks are drawn by rejection: an item proposed uniformly from
the candidates is accepted with probability ``relevance(u, i)^s`` (at most 1: relevance
is a click probability), which is an exact draw of the distribution above at the cost
of a few relevances per pick instead of a whole row. A pick still open after as many
proposals as a quarter of the catalogue (relevances near 0 everywhere) is drawn from its
user's whole row, which leaves the distribution exact.

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
from loopsim.simulator.errors import ContractError
from loopsim.simulator.loop.user_sampler import GuidedSearch

#: Upper bound on the (sessions × candidates) relevance block drawn at once.
_BLOCK = 1 << 20
#: Uniform proposals per open pick and round of the rejection sampler.
_PROPOSALS = 16


def _weights(relevance: np.ndarray, sharpness: float) -> np.ndarray:
    """Choice weights ``relevance ** sharpness`` (unnormalized), per row."""
    rel = np.maximum(np.asarray(relevance, dtype=np.float64), 0.0)
    return rel if sharpness == 1.0 else rel**sharpness


def organic_items(truth: GroundTruth, users: np.ndarray, candidates: np.ndarray,
                  rng: np.random.Generator, sharpness: float = 1.0) -> np.ndarray:
    """``(B,)`` one item per user, drawn with probability ``relevance ** sharpness``.

    A global world shares one distribution (a cumulative sum and a binary search per
    draw); a personal one is sampled by rejection (:func:`rejection_picks`).
    """
    if users.size == 0:
        return np.zeros(0, dtype=np.int64)
    if truth.is_global:
        weights = _weights(truth.relevance(users[:1], candidates)[0], sharpness)
        cum = np.cumsum(weights)
        pick = np.searchsorted(cum, rng.random(users.size) * cum[-1], side="right")
        return candidates[np.minimum(pick, candidates.size - 1)]
    return rejection_picks(truth, users, candidates, rng, sharpness)


def rejection_picks(truth: GroundTruth, users: np.ndarray, candidates: np.ndarray,
                    rng: np.random.Generator, sharpness: float = 1.0) -> np.ndarray:
    """``(B,)`` exact draws of ``relevance(u, i) ** sharpness`` (normalized per user).

    Rounds of ``_PROPOSALS`` uniform candidates per open pick, each accepted with
    probability ``relevance ** sharpness`` (<= 1), the first accepted one kept: the
    standard rejection sampler against the uniform envelope, exact whatever the number
    of rounds. After ``candidates.size // 4`` proposals (or at once for catalogues of
    fewer than ``4 * _PROPOSALS`` items) the picks still open are drawn from their
    whole rows (:func:`row_picks`).

    Raises:
        ContractError: The world returned a relevance above 1 for a proposal.
    """
    n = candidates.size
    out = np.empty(users.size, dtype=np.int64)
    todo = np.arange(users.size)
    spent = 0
    while todo.size and spent + _PROPOSALS <= n // 4:
        proposals = candidates[rng.integers(0, n, size=(todo.size, _PROPOSALS))]
        weights = _weights(truth.relevance_of_slates(users[todo], proposals), sharpness)
        if weights.size and weights.max() > 1.0:
            row, col = np.unravel_index(int(np.argmax(weights)), weights.shape)
            raise ContractError(
                f"organic picks: relevance ** sharpness == {float(weights[row, col])!r} > 1 for "
                f"user {int(users[todo][row])}, item {int(proposals[row, col])} of "
                f"{type(truth).__name__}; relevance is a click probability in [0, 1]")
        accepted = rng.random(weights.shape) < weights
        hit = accepted.any(axis=1)
        first = accepted.argmax(axis=1)
        out[todo[hit]] = proposals[hit, first[hit]]
        todo = todo[~hit]
        spent += _PROPOSALS
    if todo.size:
        out[todo] = row_picks(truth, users[todo], candidates, rng, sharpness)
    return out


def row_picks(truth: GroundTruth, users: np.ndarray, candidates: np.ndarray,
              rng: np.random.Generator, sharpness: float = 1.0) -> np.ndarray:
    """``(B,)`` the same draws as :func:`rejection_picks` from the users' whole rows of
    relevances (``(B, n)`` in blocks that bound memory): a cumulative sum per row."""
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


__all__ = ["OrganicChoice", "organic_feedback", "organic_items", "rejection_picks", "row_picks"]
