"""Epsilon-greedy slots, with exact per-rank propensities.

The slate is filled rank by rank. At each rank, with probability ``epsilon`` the slot
*explores*: a candidate drawn uniformly among those not already in the slate; otherwise
it *exploits*: the best greedy item not already in the slate. ``epsilon = 0`` is the
greedy selector (same slates, same random stream); ``epsilon = 1`` is uniform random.

Exact propensities. Let ``g_0, g_1, ...`` be the greedy order. Before rank ``r`` (0-based)
the slate holds ``r`` items: ``g_0 .. g_{j-1}`` (the *pointer* ``j`` is the first greedy
item not in the slate) and ``c = r - j`` items beyond ``g_j``. Exploration draws
uniformly, so given ``j`` those ``c`` items are a uniform ``c``-subset of the
``m = n - j - 1`` items beyond ``g_j``: the pointer alone is a Markov chain. Hence

    P(g_i at rank r) = sum_j P(j) [ (1 - eps) 1{i = j}
                                    + eps / (n - r) * P(g_i not in slate | j) ]

with ``P(g_i not in slate | j) = 0, 1, 1 - c/m`` for ``i < j, i = j, i > j``. The chain
moves when ``g_j`` is placed (exploited, or drawn by exploration with probability
``1/(n - r)``): the pointer skips the run of ``L`` following items already in the slate,
``P(L >= l) = prod_{t<l} (c - t) / (m - t)``. The table costs ``O(k^3)`` once per
``(n, k, epsilon)``; items beyond the greedy top ``k`` share one value per rank.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from loopsim.policies.selectors.greedy import Greedy
from loopsim.simulator.contract.batches import SlateRequest, Slates
from loopsim.simulator.contract.estimator import Estimator
from loopsim.simulator.contract.policy import EXACT
from loopsim.simulator.params.component_schema import Probability


@lru_cache(maxsize=64)
def epsilon_greedy_table(n: int, k: int, epsilon: float) -> np.ndarray:
    """``(k + 1, k)`` exact ``P(item at rank r)`` by greedy position.

    Row ``i < k`` is the ``i``-th greedy item (0-based); row ``k`` is any item beyond
    the greedy top ``k`` (all such items are exchangeable). Column ``r`` is rank ``r+1``.

    Args:
        n: Number of candidates.
        k: Slate size (``k <= n``).
        epsilon: Exploration probability per slot.
    """
    eps = float(epsilon)
    table = np.zeros((k + 1, k))
    w = np.zeros(k + 1)
    w[0] = 1.0
    for r in range(k):
        nxt = np.zeros(k + 1)
        draw = eps / (n - r)
        for j in np.flatnonzero(w > 0):
            p = w[j]
            c, m = r - j, n - j - 1
            free = 1.0 - c / m if m > 0 else 0.0
            table[j, r] += p * ((1.0 - eps) + draw)
            table[j + 1 : k, r] += p * draw * free
            table[k, r] += p * draw * free
            # g_j placed: skip the run of L following items already in the slate.
            place = p * ((1.0 - eps) + draw)
            at_least = 1.0
            for length in range(c + 1):
                more = at_least * (c - length) / (m - length) if length < c else 0.0
                if j + 1 + length <= k:
                    nxt[j + 1 + length] += place * (at_least - more)
                at_least = more
            nxt[j] += p * eps * (n - r - 1) / (n - r)
        w = nxt
    if n == k:
        table[k] = 0.0
    return table


def _draw_excluding(
    rng: np.random.Generator, candidates: np.ndarray, taken: np.ndarray
) -> np.ndarray:
    """One uniform candidate per row of ``taken`` ``(R, r)``, not among that row's ids."""
    out = candidates[rng.integers(0, candidates.size, size=taken.shape[0])]
    bad = np.flatnonzero((taken == out[:, None]).any(axis=1))
    while bad.size:
        out[bad] = candidates[rng.integers(0, candidates.size, size=bad.size)]
        bad = bad[(taken[bad] == out[bad, None]).any(axis=1)]
    return out


class EpsilonGreedySelector:
    """Per slot: explore a uniform unused candidate with probability ``epsilon``, else greedy.

    Args:
        epsilon: Exploration probability per slot, in [0, 1].
    """

    def __init__(self, epsilon: Probability = 0.1) -> None:
        self.epsilon = epsilon
        self._greedy = Greedy()

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """Epsilon-greedy slates with exact propensities (``None`` when ``epsilon == 0``)."""
        eps = float(self.epsilon)
        greedy = self._greedy.select(request, estimator)
        if eps == 0.0:
            return greedy
        top = greedy.items
        b, k = top.shape
        rng = request.rng
        explore = rng.random((b, k)) < eps
        slate = np.empty((b, k), dtype=np.int64)
        used = np.zeros((b, k), dtype=bool)
        rows = np.arange(b)
        for r in range(k):
            item = top[rows, np.argmax(~used, axis=1)]
            ex = np.flatnonzero(explore[:, r])
            if ex.size:
                item[ex] = _draw_excluding(rng, request.candidates, slate[ex, :r])
            slate[:, r] = item
            used |= top == item[:, None]
        match = slate[:, :, None] == top[:, None, :]
        position = np.where(match.any(axis=2), match.argmax(axis=2), k)
        table = epsilon_greedy_table(int(request.candidates.size), k, eps)
        propensities = table[position, np.arange(k)].astype(np.float32)
        return Slates(slate, propensities)

    def propensity_kind(self) -> str:
        """``"exact"``: the logged propensities are the exact marginals (or 1, deterministic)."""
        return EXACT

    def __repr__(self) -> str:
        return f"EpsilonGreedySelector(epsilon={self.epsilon})"


__all__ = ["EpsilonGreedySelector", "epsilon_greedy_table"]
