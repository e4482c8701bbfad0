"""Metric snapshots of the loop and the run's final item table.

Every ``snapshot_interval`` days (the last phase of that time) the engine records the
served metrics, the policy's own ``policy_metrics()``, and for pipelines the pool and
stage metrics; at the end it builds the per-item table of ``items.parquet``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import simpy
from loopsim.simulator.loop.clock import SNAPSHOT, At, Process, grid
from loopsim.simulator.errors import LoopsimError
from loopsim.simulator.loop.policy_calls import policy_metrics_values

if TYPE_CHECKING:
    from loopsim.simulator.loop.simulation import Simulation


def snapshots(env: simpy.Environment, sim: Simulation) -> Process:
    """Every ``snapshot_interval``: metrics on a read-only view of the counters."""
    for when in grid(sim.config.snapshot_interval, sim.config.horizon):
        yield At(env, when - env.now, SNAPSHOT)
        snapshot(sim, env.now)


def snapshot(sim: Simulation, t: float) -> None:
    """Record the metrics of time ``t`` in ``sim.rows`` (and ``sim.slice_rows``)."""
    sim.timer.start()
    candidates = sim.catalogue.candidates
    sliced = sim.recorder.slices is not None
    arrival = sim.catalogue.arrival_times() if sliced else None
    values = sim.recorder.snapshot(candidates, sim._scores(candidates, t), t, arrival)
    values.update(policy_metrics(sim, t))
    if sim.pools is not None:
        values.update(sim.pools.snapshot(candidates))
        stage = sim._call("stage_metrics", t, lambda _: sim.policy.stage_metrics(), None)
        values.update({name: float(v) for name, v in (stage or {}).items()})
    sim.rows.extend((t, name, value) for name, value in values.items())
    if sliced:
        sim.slice_rows.extend((t, *row) for row in sim.recorder.slice_rows)
    sim.timer.lap("metrics")


def policy_metrics(sim: Simulation, t: float) -> dict[str, float]:
    """``policy_metrics()`` of the policy and its parts (ReportsMetrics), as ``policy_*``."""
    out: dict[str, float] = {}
    for part in sim.hooks.reporters:
        extra = sim._call("policy_metrics", t, lambda _, p=part: p.policy_metrics(), None)
        out.update(policy_metrics_values(sim.policy_name, t, extra))
    return out


def item_table(sim: Simulation) -> dict[str, np.ndarray]:
    """Per item: truth, exposure, clicks, reward, organic picks, score, arrival, state."""
    n = sim.catalogue.n_total
    ids = np.arange(n, dtype=np.int64)
    sim.recorder.ensure_capacity(n)
    try:
        scores = sim._scores(ids, sim.env.now)
    except LoopsimError:
        scores = None
    return {
        "item": ids,
        "true_value": sim.world.true_value(ids),
        "exposure": sim.recorder.exposure[:n].copy(),
        "clicks": sim.recorder.clicks[:n].copy(),
        "reward": sim.recorder.reward[:n].copy(),
        "organic": sim.recorder.organic[:n].copy(),
        "policy_score": scores if scores is not None else np.full(n, math.nan),
        "arrival_time": sim.catalogue.arrival_times(),
        "available": sim.catalogue.available.copy(),
    }


__all__ = ["item_table", "policy_metrics", "snapshot", "snapshots"]
