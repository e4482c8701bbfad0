"""Catalogue changes in the loop: item arrivals (Poisson) and expiries (lifetimes).

Both run in the catalogue phase, before the sessions of the same time.
"""

from __future__ import annotations

import numpy as np
import simpy
from loopsim.simulator.contract.world import HasArrivalSchedule, World
from loopsim.simulator.loop.catalogue import Catalogue
from loopsim.simulator.loop.clock import CATALOGUE, At, Process
from loopsim.simulator.loop.timing import NullTimer, PhaseTimer


def item_arrivals(env: simpy.Environment, world: World, catalogue: Catalogue,
                  rng: np.random.Generator, horizon: float, slate_size: int,
                  timer: PhaseTimer | NullTimer) -> Process:
    """New items: a Poisson stream of ``world.item_arrival_rate`` per day.

    A world with an ``item_arrival_exponent`` ``alpha`` (:class:`HasArrivalSchedule`)
    grows its pool as ``rate * t ** alpha`` instead (an inhomogeneous Poisson process:
    the arrivals of rate ``rate`` in operational time ``s`` happen at ``t = s ** (1 /
    alpha)``); ``alpha = 1`` is the plain stream, draw for draw.
    """
    rate = float(world.item_arrival_rate)
    if rate <= 0:
        return
    alpha = (float(world.item_arrival_exponent)
             if isinstance(world, HasArrivalSchedule) else 1.0)
    s = 0.0
    while True:
        s += float(rng.exponential(1.0 / rate))
        t = s if alpha == 1.0 else s ** (1.0 / alpha)
        if t > horizon:
            return
        yield At(env, t - env.now, CATALOGUE)
        timer.start()
        ids = world.add_items(1, rng)
        catalogue.add(ids, env.now)
        timer.lap("catalogue")
        if world.item_lifetime is not None:
            schedule_expiry(env, catalogue, ids, float(world.item_lifetime), None, horizon,
                            slate_size)


def schedule_expiry(env: simpy.Environment, catalogue: Catalogue, ids: np.ndarray,
                    lifetime: float, rng: np.random.Generator | None, horizon: float,
                    slate_size: int) -> None:
    """Start an expiry process per item of ``ids`` that expires before the horizon.

    Items present at time 0 (given ``rng``) are of every age: their remaining life is
    uniform over the lifetime, drawn from ``rng``; new items (``rng=None``) live the
    whole ``lifetime``.
    """
    if rng is not None:
        remaining = lifetime * (1.0 - rng.random(ids.size))
    else:
        remaining = np.full(ids.size, lifetime)
    for item, life in zip(ids, remaining, strict=True):
        if env.now + life <= horizon:
            env.process(expire(env, catalogue, int(item), float(life), slate_size))


def expire(env: simpy.Environment, catalogue: Catalogue, item: int, after: float,
           slate_size: int) -> Process:
    """Remove ``item`` after ``after`` days, unless fewer than k items would remain."""
    yield At(env, after, CATALOGUE)
    if catalogue.candidates.size > slate_size:
        catalogue.remove(np.array([item]))


__all__ = ["expire", "item_arrivals", "schedule_expiry"]
