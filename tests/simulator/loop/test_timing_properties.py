"""Property: over the whole timing space, a run completes or is refused before it starts.

Hypothesis draws the engine's timing (tick, snapshots, retraining, feedback delay,
training latency, start-up period, horizon; zero, tiny, huge, equal and non-finite
values), tiny, empty and quiet worlds, and catalogue changes (arrivals, lifetimes).
Every run must either complete or raise :class:`ConfigError` from ``run()`` before the
loop starts (a failure inside the loop is returned as ``status == "failed"``, which
fails the property). Reproduction it guards: ``snapshot_interval=0.01`` or ``tick=2``
crashed on a snapshot before the first served batch.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopsim.policies import ComposedPolicy, Random
from loopsim.policies.estimators import BetaCTR, ClickCount
from loopsim.policies.selectors import Greedy, SoftmaxSelector
from loopsim.simulator import (
    ConfigError,
    PositionBasedModel,
    Simulation,
    SimulationConfig,
    SyntheticWorld,
)

#: Durations in days: zero, tiny, ordinary and longer than the horizon.
DAYS = st.one_of(st.sampled_from([0.0, 0.01, 0.05, 0.25, 0.5, 1.0, 2.0, 3.0]),
                 st.floats(min_value=1e-3, max_value=4.0))
#: Values a user may mistype into any timing key.
BAD = st.sampled_from([-1.0, math.inf, math.nan, 1e-12, 0.0])
TIMING_KEYS = ("horizon", "tick", "feedback_delay", "retrain_interval", "train_latency",
               "snapshot_interval", "startup_days")
POLICIES = st.sampled_from([lambda: ComposedPolicy(ClickCount(), Greedy()),
                            lambda: ComposedPolicy(BetaCTR(), Greedy()), Random,
                            lambda: ComposedPolicy(BetaCTR(), SoftmaxSelector())])


@st.composite
def worlds(draw: st.DrawFn) -> SyntheticWorld:
    """Tiny, empty (fewer items than a slate) and quiet (almost no session) worlds, with
    or without arrivals and lifetimes."""
    return SyntheticWorld(
        n_users=draw(st.integers(1, 30)),
        n_items=draw(st.integers(1, 12)),
        sessions_per_user_per_day=draw(st.sampled_from([1e-4, 0.05, 1.0, 4.0])),
        n_factors=draw(st.integers(1, 3)),
        item_arrival_rate=draw(st.sampled_from([0.0, 0.0, 0.5, 3.0, 20.0, math.inf])),
        item_lifetime=draw(st.sampled_from([None, None, 0.05, 0.5, 2.0, math.inf])),
    )


@st.composite
def timings(draw: st.DrawFn) -> dict[str, Any]:
    """Every timing key of :class:`SimulationConfig`; now and then one of them is bad."""
    horizon = draw(st.one_of(st.floats(min_value=1e-3, max_value=3.0),
                             st.sampled_from([1e-6, 1.0, 3.0])))
    snapshot = draw(st.one_of(st.floats(min_value=0.01, max_value=1.0).map(lambda u: u * horizon),
                              st.sampled_from([horizon, horizon, 0.01, 1.0])))
    timing = {
        "horizon": horizon,
        "tick": draw(DAYS),
        "slate_size": draw(st.integers(1, 6)),
        "feedback_delay": draw(DAYS),
        "retrain_interval": draw(DAYS),
        "train_latency": draw(DAYS),
        "snapshot_interval": snapshot,
        "startup_days": draw(DAYS),
        "quality_sessions_per_day": draw(st.sampled_from([0.0, 1.0, 1000.0])),
        "progress": False,
    }
    if draw(st.integers(0, 4)) == 0:
        timing[draw(st.sampled_from(TIMING_KEYS))] = draw(BAD)
    return timing


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), timing=timings(), policy=POLICIES, seed=st.integers(0, 3))
def test_every_run_completes_or_is_refused_before_it_starts(
    world: SyntheticWorld, timing: dict[str, Any], policy: Any, seed: int
) -> None:
    sim = Simulation(world, PositionBasedModel(eta=1.0), policy(), SimulationConfig(**timing),
                     seed=seed)
    try:
        result = sim.run()
    except ConfigError:
        assert not hasattr(sim, "env"), "refused after the loop started"
        return
    assert result.status == "completed", result.summary.get("error")
    t = result.metrics["t"]
    assert t.len() > 0 and t.max() == timing["horizon"]
