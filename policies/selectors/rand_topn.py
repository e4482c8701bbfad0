"""RandTop-N and RandPair: randomize the head of the greedy ranking, exact propensities.

* RandTop-N (Joachims et al. 2017; Wang et al. 2018, "Position bias estimation for
  unbiased learning to rank in personal search"): the greedy top ``n`` is shuffled
  uniformly. With ``n >= k`` the slate is the first ``k`` of the shuffle (each top-n
  item at each rank with probability ``1/n``); with ``n < k`` ranks ``1..n`` hold the
  shuffled top ``n`` (``1/n``) and ranks ``n+1..k`` the greedy items (propensity 1).
* RandPair (Joachims et al. 2017, swap intervention): the greedy top item is swapped
  with a uniformly chosen rank ``r`` in ``1..k`` (``r = 1``: no swap). The item at rank
  1 has propensity ``1/k``; at rank ``r > 1`` the swapped-down top item has ``1/k`` and
  the greedy item that stayed ``(k-1)/k``.
"""

from __future__ import annotations

import numpy as np
from loopsim.policies.selectors.ranked import TopList
from loopsim.policies.selectors.topk import sample_rows_without_replacement
from loopsim.simulator.contract.batches import SlateRequest, Slates
from loopsim.simulator.contract.estimator import Estimator
from loopsim.simulator.contract.policy import EXACT
from loopsim.simulator.params.component_schema import PositiveInt


class RandTopNSelector:
    """Shuffle the greedy top ``n`` uniformly for every session.

    Args:
        n: How many of the greedy head are shuffled (clipped to the candidates).
    """

    def __init__(self, n: PositiveInt = 20) -> None:
        self.n = n
        self._top = TopList()

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """RandTop-N slates with exact propensities."""
        n = min(int(self.n), request.candidates.size)
        k, b, rng = request.k, request.batch_size, request.rng
        top = self._top.get(request, estimator, max(n, k))
        if n >= k:
            idx = sample_rows_without_replacement(rng, n, b, k)
            props = np.full((b, k), 1.0 / n, dtype=np.float32)
        else:
            idx = np.broadcast_to(np.arange(k), (b, k)).copy()
            idx[:, :n] = np.argsort(rng.random((b, n)), axis=1)
            props = np.ones((b, k), dtype=np.float32)
            props[:, :n] = 1.0 / n
        return Slates(np.take_along_axis(top, idx, axis=1), props)

    def propensity_kind(self) -> str:
        """``"exact"``: the logged propensities are the exact marginals (or 1, deterministic)."""
        return EXACT

    def __repr__(self) -> str:
        return f"RandTopNSelector(n={self.n})"


class RandPairSelector:
    """Swap the greedy top item with a uniformly chosen rank in ``1..k``."""

    def __init__(self) -> None:
        self._top = TopList()

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """RandPair slates with exact propensities."""
        k, b = request.k, request.batch_size
        slate = self._top.get(request, estimator, k).copy()
        swap = request.rng.integers(0, k, size=b)
        rows = np.arange(b)
        first = slate[:, 0].copy()
        slate[:, 0] = slate[rows, swap]
        slate[rows, swap] = first
        props = np.full((b, k), (k - 1) / k if k > 1 else 1.0, dtype=np.float32)
        props[:, 0] = 1.0 / k
        props[rows, swap] = 1.0 / k
        return Slates(slate, props)

    def propensity_kind(self) -> str:
        """``"exact"``: the logged propensities are the exact marginals (or 1, deterministic)."""
        return EXACT

    def __repr__(self) -> str:
        return "RandPairSelector()"


__all__ = ["RandPairSelector", "RandTopNSelector"]
