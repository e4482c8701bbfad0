"""Organic sessions in the loop (an open world): users who find items by themselves.

``world.organic`` organic sessions per recommended session: each user picks an item by
their own relevance (:class:`~loopsim.simulator.world.organic_choice.OrganicChoice`); the
rows are logged and reach training like served ones. With ``tick > 0`` they are drawn
with each tick's sessions (:mod:`.serving`); with ``tick == 0`` :func:`organic_process`
batches them every ``ORGANIC_STEP`` days.
"""

from __future__ import annotations

import numpy as np
import simpy
from loopsim.simulator.loop.clock import SERVE, At, Process, grid
from loopsim.simulator.loop.state import RunState
from loopsim.simulator.world.organic_choice import organic_feedback

#: Days between organic batches when ``tick == 0`` (sessions served one by one).
ORGANIC_STEP = 0.01


def organic_process(env: simpy.Environment, state: RunState) -> Process:
    """Organic sessions when ``tick == 0``: batched every ``ORGANIC_STEP`` days."""
    previous = 0.0
    for when in grid(ORGANIC_STEP, state.config.horizon):
        yield At(env, when - env.now, SERVE)
        organic_between(state, previous, when)
        previous = when


def organic_between(state: RunState, start: float, end: float) -> None:
    """Organic sessions of ``(start, end]``: ``world.organic`` times each user's rate."""
    state.timer.start()
    rng = state.streams.organic
    n = int(rng.poisson(state.organic_rate * state.users.total_rate * (end - start)))
    if n:
        users = state.users.draw(rng, n)
        times = np.sort(start + (end - start) * rng.random(n))
        serve_organic(state, end, times, users)
    state.timer.lap("organic")


def serve_organic(state: RunState, t: float, times: np.ndarray, users: np.ndarray) -> None:
    """Organic sessions at ``t``: each user picks an item by their own relevance; logged.

    The rows reach the training log after ``feedback_delay``, like served ones.
    """
    items = state.organic_choice.draw(state.world, users, state.catalogue.candidates,
                                      state.streams.organic)
    state.recorder.record_organic(items)
    feedback = organic_feedback(times, users, items)
    state.queue.push(t + state.config.feedback_delay, feedback)
    if state.impression_log is not None:
        state.impression_log.append(feedback)


__all__ = ["ORGANIC_STEP", "organic_between", "organic_process", "serve_organic"]
