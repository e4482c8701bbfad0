"""The world's data shift in the loop (:mod:`loopsim.simulator.world.shift`).

The shift is checked against the run once; a process advances it at its change times
(catalogue phase), after which the engine re-reads the users' session rates; a seasonal
shift scales the expected number of sessions of each tick.
"""

from __future__ import annotations

import simpy
from loopsim.simulator.contract.world import ShiftingWorld, World
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.loop.clock import CATALOGUE, At, Process
from loopsim.simulator.loop.config import SimulationConfig
from loopsim.simulator.loop.user_sampler import UserSampler
from loopsim.simulator.world.shift import DataShift


def active_shift(world: World, config: SimulationConfig) -> DataShift | None:
    """The world's active data shift, checked against the run (``None``: no shift)."""
    if not isinstance(world, ShiftingWorld):
        return None
    shift = world.data_shift
    shift.validate(config.horizon)  # also when inactive: a negative share is wrong
    if not shift.active:
        return None
    if config.tick == 0 and (shift.has_cohort or shift.seasonal):
        raise ConfigError("`tick == 0` (one event per session) does not support a "
                          "changing session rate (world.shift cohort or seasonality): "
                          "use tick > 0, e.g. tick=0.05.")
    return shift


def shifting(env: simpy.Environment, world: ShiftingWorld, shift: DataShift,
             users: UserSampler, horizon: float) -> Process:
    """Advance the world's shift at its change times (catalogue phase).

    When the users' session rates change, ``users`` re-reads them from the world.
    """
    for when in shift.change_times(horizon):
        yield At(env, when - env.now, CATALOGUE)
        if world.advance(env.now):
            users.reset(world.activity())


def expected_sessions(shift: DataShift | None, total_rate: float, t0: float,
                      t1: float) -> float:
    """Expected sessions in ``(t0, t1]``: the total rate times the (seasonal) time."""
    if shift is None or not shift.seasonal:
        return total_rate * (t1 - t0)
    return total_rate * shift.season_integral(t0, t1)


__all__ = ["active_shift", "expected_sessions", "shifting"]
