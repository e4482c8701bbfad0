"""Fast exact inverse-CDF lookup for drawing users by activity (a guide table).

``np.searchsorted(cum, draws, side="right")`` costs a binary search with cache misses
per draw (~250-370 ns at 10^5-10^6 users). A guide table (Chen & Asau 1974) maps each
of ``m`` equal slices of ``[0, total)`` to the first index whose cumulative value
exceeds the slice's start; a draw then starts there and steps forward over the few
boundaries inside its slice. The result is *identical* to ``searchsorted`` (the steps
check the exact inequality both ways), at ~30-40 ns per draw.
"""

from __future__ import annotations

import math

import numpy as np
from loopsim.simulator.contract.world import World
from loopsim.simulator.errors import ConfigError

#: Below this many entries, plain ``searchsorted`` is as fast (fixed costs dominate).
MIN_GUIDED = 4096


class GuidedSearch:
    """``searchsorted(cum, draws, side="right")`` for a fixed non-decreasing ``cum``.

    Args:
        cum: ``(n,)`` non-decreasing cumulative sums (e.g. of user activity rates).
    """

    def __init__(self, cum: np.ndarray) -> None:
        self.cum = cum
        self._guide: np.ndarray | None = None  # built on the first large draw

    def _table(self) -> np.ndarray:
        table = self._guide
        if table is None:
            n = self.cum.shape[0]
            total = float(self.cum[-1])
            starts = np.arange(n, dtype=np.float64) * (total / n)
            table = self._guide = np.searchsorted(self.cum, starts, side="right")
        return table

    def __call__(self, draws: np.ndarray) -> np.ndarray:
        """``(d,)`` int64: for each draw, the first index ``i`` with ``cum[i] > draw``."""
        cum = self.cum
        n = cum.shape[0]
        total = float(cum[-1]) if n else 0.0
        if n < MIN_GUIDED or total <= 0 or draws.shape[0] < 64:
            return np.searchsorted(cum, draws, side="right").astype(np.int64)
        slot = np.clip((draws * (n / total)).astype(np.int64), 0, n - 1)
        idx = self._table()[slot].astype(np.int64)
        # Forward over boundaries inside the slice: cum[idx] <= draw means too early.
        act = np.flatnonzero(cum[np.minimum(idx, n - 1)] <= draws)
        act = act[idx[act] < n]
        while act.size:
            idx[act] += 1
            act = act[idx[act] < n]
            act = act[cum[idx[act]] <= draws[act]]
        # Backward, for a slice start rounded above its draw: cum[idx-1] > draw.
        act = np.flatnonzero(idx > 0)
        act = act[cum[idx[act] - 1] > draws[act]]
        while act.size:
            idx[act] -= 1
            act = act[idx[act] > 0]
            act = act[cum[idx[act] - 1] > draws[act]]
        return idx


class UserSampler:
    """Users drawn in proportion to their session rates (the world's ``activity()``).

    Built from the world at the start of a run; :meth:`refresh` re-reads the rates after
    a data shift changes them.

    Args:
        rates: ``(n_users,)`` sessions per day of each user.
    """

    def __init__(self, rates: np.ndarray) -> None:
        #: Sessions per day of all users together.
        self.total_rate = 0.0
        self.cum_rates = np.zeros(0)
        self.search = GuidedSearch(self.cum_rates)
        self.reset(rates)

    def reset(self, rates: np.ndarray) -> None:
        """Draw by ``rates`` from now on (at the start, and after a data shift)."""
        rates = np.asarray(rates, dtype=np.float64)
        total = float(rates.sum())
        if not math.isfinite(total):
            raise ConfigError(
                f"the world's session rate is {total} per day (world.activity() "
                "has non-finite values): give finite sessions_per_user_per_day."
            )
        self.total_rate = total
        self.cum_rates = np.cumsum(rates)
        self.search = GuidedSearch(self.cum_rates)

    @classmethod
    def of(cls, world: World) -> UserSampler:
        """The sampler of ``world``'s current session rates."""
        return cls(world.activity())

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` users drawn in proportion to their session rates (one uniform each)."""
        draws = rng.random(n) * self.total_rate
        users = self.search(draws)  # == np.searchsorted(cum_rates, draws, side="right")
        return np.minimum(users, self.cum_rates.shape[0] - 1).astype(np.int64)


__all__ = ["GuidedSearch", "MIN_GUIDED", "UserSampler"]
