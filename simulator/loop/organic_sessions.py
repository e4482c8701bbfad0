"""Organic sessions in the loop (an open world): users who find items by themselves.

``world.organic`` organic sessions per recommended session: each user picks an item by
their own relevance (:class:`~loopsim.simulator.world.organic_choice.OrganicChoice`); the rows are
logged and reach training like served ones. With ``tick > 0`` they are drawn with each
tick's sessions; with ``tick == 0`` a process batches them every ``ORGANIC_STEP`` days.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import simpy
from loopsim.simulator.loop.clock import SERVE, At, Process, grid
from loopsim.simulator.world.organic_choice import organic_feedback

if TYPE_CHECKING:
    from loopsim.simulator.loop.simulation import Simulation

#: Days between organic batches when ``tick == 0`` (sessions served one by one).
ORGANIC_STEP = 0.01


def organic_process(env: simpy.Environment, sim: Simulation) -> Process:
    """Organic sessions when ``tick == 0``: batched every ``ORGANIC_STEP`` days."""
    previous = 0.0
    for when in grid(ORGANIC_STEP, sim.config.horizon):
        yield At(env, when - env.now, SERVE)
        organic_between(sim, previous, when)
        previous = when


def organic_between(sim: Simulation, start: float, end: float) -> None:
    """Organic sessions of ``(start, end]``: ``world.organic`` times each user's rate."""
    sim.timer.start()
    rng = sim.streams.organic
    n = int(rng.poisson(sim.organic_rate * sim.total_rate * (end - start)))
    if n:
        users = sim._draw_users(rng, n)
        times = np.sort(start + (end - start) * rng.random(n))
        serve_organic(sim, end, times, users, train=False)
    sim.timer.lap("organic")


def serve_organic(sim: Simulation, t: float, times: np.ndarray, users: np.ndarray,
                  train: bool) -> None:
    """Organic sessions: each user picks an item by their own relevance; logged.

    Under online learning (``retrain_interval == 0``) the organic rows reach the
    policy with the next served batch's update, unless ``train`` (the organic
    start-up period, when no batch is served).
    """
    items = sim.organic_choice.draw(sim.world, users, sim.catalogue.candidates,
                                    sim.streams.organic)
    sim.recorder.record_organic(items)
    feedback = organic_feedback(times, users, items)
    sim.log.push(t + sim.config.feedback_delay, feedback)
    if sim.impression_log is not None:
        sim.impression_log.append(feedback)
    if train and sim.config.retrain_interval == 0:
        sim._train(sim.env)


__all__ = ["ORGANIC_STEP", "organic_between", "organic_process", "serve_organic"]
