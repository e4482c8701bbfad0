"""Sessions in the loop: arrivals, and the serving of each batch.

:func:`sessions` draws Poisson arrivals per user and serves them per ``tick`` as one
batch (or each as its own event when ``tick == 0``); :func:`serve` ranks, validates,
samples clicks, counts, and queues the feedback of one batch.
"""

from __future__ import annotations

import numpy as np
import simpy
from loopsim.simulator.click_models.sampling import sample_feedback
from loopsim.simulator.contract.batches import Feedback, SlateRequest
from loopsim.simulator.loop.clock import SERVE, At, Process, grid
from loopsim.simulator.loop.deployment import Deployment
from loopsim.simulator.loop.organic_sessions import organic_between, serve_organic
from loopsim.simulator.loop.shift_schedule import expected_sessions
from loopsim.simulator.loop.slate_checks import validate_slates
from loopsim.simulator.loop.startup import random_slates
from loopsim.simulator.loop.state import RunState
from loopsim.simulator.loop.training import Trainer
from loopsim.simulator.metrics.batch_counts import count_batch
from loopsim.simulator.monitoring.monitor import Monitor

#: Users drawn at a time when sessions are served one by one (``tick == 0``).
DRAW_BLOCK = 4096


def sessions(env: simpy.Environment, state: RunState, deployment: Deployment,
             trainer: Trainer, monitor: Monitor | None) -> Process:
    """Session arrivals: Poisson per user, served per tick (or one by one)."""
    users_of = state.users
    if users_of.total_rate <= 0:
        return
    rng = state.streams.arrivals
    config = state.config
    if config.tick > 0:
        previous = 0.0
        for when in grid(config.tick, config.horizon):
            yield At(env, when - env.now, SERVE)
            state.timer.start()
            expected = expected_sessions(state.shift, users_of.total_rate, previous, when)
            n = int(rng.poisson(expected))
            users = users_of.draw(rng, n)
            times = np.sort(previous + (when - previous) * rng.random(n))
            state.timer.lap("arrivals")
            if state.organic_rate > 0:
                organic_between(state, previous, when)
            previous = when
            if n:
                serve(state, deployment, trainer, monitor, env.now, times, users)
        return
    t = 0.0
    while True:
        gaps = rng.exponential(1.0 / users_of.total_rate, DRAW_BLOCK)
        users = users_of.draw(rng, DRAW_BLOCK)
        for gap, user in zip(gaps, users, strict=True):
            t += gap
            if t > config.horizon:
                return
            yield At(env, t - env.now, SERVE)
            serve(state, deployment, trainer, monitor, env.now, np.array([t]),
                  np.array([user], dtype=np.int64))


def serve(state: RunState, deployment: Deployment, trainer: Trainer, monitor: Monitor | None,
          t: float, times: np.ndarray, users: np.ndarray) -> None:
    """Rank, validate, sample clicks, count, and queue the feedback of one batch."""
    config, timer = state.config, state.timer
    start_up = t < config.startup_days
    if start_up and config.cold_start == "organic":
        serve_organic(state, t, times, users)  # no recommender yet
        trainer.after_serving()
        return
    timer.start()
    candidates = state.catalogue.candidates
    users.flags.writeable = False  # the policy reads them; the log keeps them
    # Propensity values are computed only when something reads them: the impression
    # log, or a part of the policy (Hooks.reads_propensities).
    wanted = state.impression_log is not None or deployment.hooks.reads_propensities
    request = SlateRequest(t, users, candidates, config.slate_size, state.streams.policy,
                           propensities=wanted)
    slates = random_slates(request) if start_up else deployment.rank(request)
    slates = validate_slates(slates, request, state.catalogue.available, deployment.name)
    timer.lap("serving")
    relevance = state.world.relevance_of_slates(users, slates.items)
    clicks, rewards = sample_feedback(
        state.click_model, deployment.hooks.conversion, users, slates.items, relevance,
        state.streams.clicks,
    )
    timer.lap("clicks")
    # Counted once: the recorder adds the per-item totals, and training gets them with
    # the feedback (a count-based estimator then reads no column of the log).
    counts = count_batch(slates, clicks, int(candidates[-1]) + 1 if candidates.size else 0)
    state.recorder.record(users, slates, clicks, relevance, candidates, rewards, t, counts)
    if state.pools is not None and t >= config.startup_days:
        pools = deployment.last_pools()
        if pools is not None:
            state.pools.record(users, pools, relevance, candidates)
    timer.lap("metrics")
    feedback = Feedback.from_slates(times, users, slates, clicks, rewards, counts.totals)
    timer.lap("logging")
    state.world.observe(feedback)
    timer.lap("world")
    state.queue.push(t + config.feedback_delay, feedback)
    if state.impression_log is not None:
        state.impression_log.append(feedback)
    if monitor is not None:
        monitor.observe(t, users, slates.items, clicks, deployment.version)
    timer.lap("logging")
    trainer.after_serving()


__all__ = ["DRAW_BLOCK", "serve", "sessions"]
