"""Metric snapshots of the loop and the run's final item table.

Every ``snapshot_interval`` days (the last phase of that time) :func:`snapshots` records
the served metrics, the policy's own ``policy_metrics()``, and for pipelines the pool and
stage metrics; at the end :func:`item_table` builds the per-item table of
``items.parquet``.
"""

from __future__ import annotations

import math

import numpy as np
import simpy
from loopsim.simulator.errors import LoopsimError
from loopsim.simulator.loop.clock import SNAPSHOT, At, Process, grid
from loopsim.simulator.loop.deployment import Deployment
from loopsim.simulator.loop.state import RunState


def snapshots(env: simpy.Environment, state: RunState, deployment: Deployment) -> Process:
    """Every ``snapshot_interval``: metrics on a read-only view of the counters.

    The item-side metrics (concentration, rank recovery, rank error) and the user-side
    ones (homogenization, user entropy) are deferred: nothing reads them during the
    run, so the snapshots are computed together when the rows are read
    (:meth:`~loopsim.simulator.loop.state.MetricRows.resolve`, the same values;
    :mod:`loopsim.simulator.metrics.item_batch`, :mod:`~loopsim.simulator.metrics.user_batches`).
    """
    defer(state)
    for when in grid(state.config.snapshot_interval, state.config.horizon):
        yield At(env, when - env.now, SNAPSHOT)
        snapshot(state, deployment, env.now)


def defer(state: RunState) -> None:
    """Defer the item-side metrics of ``state``'s snapshots to :meth:`MetricRows.resolve`."""
    state.recorder.deferred = True
    state.metrics.resolver = state.recorder.resolve


def snapshot(state: RunState, deployment: Deployment, t: float) -> None:
    """Append the metrics of time ``t`` to ``state.metrics`` (rows and sliced rows)."""
    state.timer.start()
    recorder = state.recorder
    candidates = state.catalogue.candidates
    sliced = recorder.slices is not None
    arrival = state.catalogue.arrival_times() if sliced else None
    values = recorder.snapshot(candidates, deployment.scores(candidates, t), t, arrival)
    values.update(deployment.policy_metrics(t))
    if state.pools is not None:
        values.update(state.pools.snapshot(candidates))
        values.update(deployment.stage_metrics(t))
    start = len(state.metrics.rows)
    state.metrics.rows.extend((t, name, value) for name, value in values.items())
    if recorder.last_deferred:
        state.metrics.defer(start, recorder.last_deferred)
    if sliced:
        state.metrics.slice_rows.extend((t, *row) for row in recorder.slice_rows)
    state.timer.lap("metrics")


def item_table(state: RunState, deployment: Deployment) -> dict[str, np.ndarray]:
    """Per item: truth, exposure, clicks, reward, organic picks, score, arrival, state."""
    catalogue, recorder = state.catalogue, state.recorder
    n = catalogue.n_total
    ids = np.arange(n, dtype=np.int64)
    recorder.ensure_capacity(n)
    try:
        scores = deployment.scores(ids, state.env.now)
    except LoopsimError:
        scores = None
    return {
        "item": ids,
        "true_value": state.world.true_value(ids),
        "exposure": recorder.exposure[:n].copy(),
        "clicks": recorder.clicks[:n].copy(),
        "reward": recorder.reward[:n].copy(),
        "organic": recorder.organic[:n].copy(),
        "policy_score": scores if scores is not None else np.full(n, math.nan),
        "arrival_time": catalogue.arrival_times(),
        "available": catalogue.available.copy(),
    }


def progress(env: simpy.Environment, state: RunState) -> Process:
    """Advance the progress bar every 1% of the horizon (after the metrics)."""
    step = state.config.horizon / 100
    for when in grid(step, state.config.horizon):
        yield At(env, when - env.now, SNAPSHOT)
        state.progress.update(env.now, state.recorder.impressions)


__all__ = ["defer", "item_table", "progress", "snapshot", "snapshots"]
