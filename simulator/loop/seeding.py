"""Seeding: one root ``SeedSequence`` per run, split into one stream per component.

Every random draw in a run comes from one of these generators, never from the global
``numpy.random`` or ``random`` state. Streams are named, so adding a component later
does not shift the others.

* ``world`` and ``catalogue`` come from ``world_seed`` when it is given (replay the same
  world under many seeds), else from the run's seed;
* ``arrivals``, ``clicks``, ``policy``, ``metrics``, ``organic`` and ``monitor`` always come
  from the run's seed.

Arrivals and the world never depend on the policy, so two policies run at the same seed
meet the same users at the same times (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Stable spawn keys of the run-level streams. Never renumber: it would change results.
RUN_STREAMS: dict[str, int] = {"arrivals": 1, "clicks": 2, "policy": 3, "metrics": 4,
                               "organic": 5, "monitor": 6}
#: Stable spawn key of the pipeline stage metrics' sampling stream (made on demand).
POOL_METRICS_STREAM = 7
#: Stable spawn keys of the world-level streams.
WORLD_STREAMS: dict[str, int] = {"world": 1, "catalogue": 2}


def _child(entropy: int, key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(key,))))


@dataclass(frozen=True)
class Streams:
    """The random generators of one run, one per component.

    Attributes:
        world: Draws the initial users and items (the truth).
        catalogue: Draws item arrival times and the attributes of new items.
        arrivals: Draws session arrival times and which users arrive.
        clicks: Draws click (and conversion) outcomes.
        policy: Handed to the policy in every :class:`~loopsim.simulator.SlateRequest`.
        metrics: Draws samples used only by metrics (never affects the simulation).
        organic: Draws organic sessions (who, when, which item): never the policy's,
            so every policy meets the same organic traffic.
        monitor: Draws the monitor's samples (its guard may change the simulation).
    """

    world: np.random.Generator
    catalogue: np.random.Generator
    arrivals: np.random.Generator
    clicks: np.random.Generator
    policy: np.random.Generator
    metrics: np.random.Generator
    organic: np.random.Generator
    monitor: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int, world_seed: int | None = None) -> Streams:
        """Build the streams of a run from its ``seed`` and an optional fixed ``world_seed``."""
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            from loopsim.simulator.errors import ConfigError

            raise ConfigError(f"`seed == {seed!r}`: must be a non-negative integer.")
        world_entropy = int(seed) if world_seed is None else int(world_seed)
        # The world streams live in their own key space (offset 1000) so that a fixed
        # world_seed equal to some run seed does not alias that run's arrival stream.
        world = {name: _child(world_entropy, 1000 + key) for name, key in WORLD_STREAMS.items()}
        run = {name: _child(int(seed), key) for name, key in RUN_STREAMS.items()}
        return cls(**world, **run)


def pool_metrics_stream(seed: int) -> np.random.Generator:
    """The sampling stream of the per-stage metrics of a pipeline (apart from the others)."""
    return _child(int(seed), POOL_METRICS_STREAM)
