"""Catalogue changes in the loop: item arrivals (Poisson) and expiries (lifetimes).

Both run in the catalogue phase, before the sessions of the same time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import simpy
from loopsim.simulator.loop.clock import CATALOGUE, At, Process

if TYPE_CHECKING:
    from loopsim.simulator.loop.simulation import Simulation


def item_arrivals(env: simpy.Environment, sim: Simulation) -> Process:
    """New items: a Poisson stream of ``world.item_arrival_rate`` per day."""
    rate = float(sim.world.item_arrival_rate)
    if rate <= 0:
        return
    rng = sim.streams.catalogue
    t = 0.0
    while True:
        t += float(rng.exponential(1.0 / rate))
        if t > sim.config.horizon:
            return
        yield At(env, t - env.now, CATALOGUE)
        sim.timer.start()
        ids = sim.world.add_items(1, rng)
        sim.catalogue.add(ids, env.now)
        sim.timer.lap("catalogue")
        if sim.world.item_lifetime is not None:
            schedule_expiry(env, sim, ids, initial=False)


def schedule_expiry(env: simpy.Environment, sim: Simulation, ids: np.ndarray,
                    initial: bool) -> None:
    """Start an expiry process per item of ``ids`` that expires before the horizon.

    Items present at time 0 (``initial``) are of every age: their remaining life is
    uniform over the lifetime; new items live the whole ``world.item_lifetime``.
    """
    lifetime = float(sim.world.item_lifetime)  # type: ignore[arg-type]
    if initial:
        remaining = lifetime * (1.0 - sim.streams.catalogue.random(ids.size))
    else:
        remaining = np.full(ids.size, lifetime)
    for item, life in zip(ids, remaining, strict=True):
        if env.now + life <= sim.config.horizon:
            env.process(expire(env, sim, int(item), float(life)))


def expire(env: simpy.Environment, sim: Simulation, item: int, after: float) -> Process:
    """Remove ``item`` after ``after`` days, unless fewer than k items would remain."""
    yield At(env, after, CATALOGUE)
    if sim.catalogue.candidates.size > sim.config.slate_size:
        sim.catalogue.remove(np.array([item]))


__all__ = ["expire", "item_arrivals", "schedule_expiry"]
