"""The loop's clock: phase priorities at equal times, timed events and time grids.

At equal simulated times, events run in a fixed order of phases: the catalogue
changes, then sessions are served, then training collects the log, then trained models
are deployed, then metrics are recorded.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from itertools import count
from typing import Any

import simpy
from simpy.events import Event

# Phase priorities at equal times (lower runs first; SimPy's own NORMAL is 1).
CATALOGUE, SERVE, TRAIN, DEPLOY, SNAPSHOT = 1, 2, 3, 4, 5
#: Tolerance on simulated times (days).
EPS = 1e-9

#: A SimPy process of the loop.
Process = Generator[Event, Any, None]


class At(Event):
    """An event that fires after ``delay`` days with a given phase priority."""

    def __init__(self, env: simpy.Environment, delay: float, priority: int) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, priority, max(0.0, delay))


def grid(step: float, horizon: float) -> Iterator[float]:
    """Times ``step, 2 step, ...`` up to the horizon, and the horizon itself last."""
    for n in count(1):
        when = n * step
        if when >= horizon - EPS:
            yield horizon
            return
        yield when


__all__ = ["CATALOGUE", "DEPLOY", "EPS", "SERVE", "SNAPSHOT", "TRAIN", "At", "Process", "grid"]
