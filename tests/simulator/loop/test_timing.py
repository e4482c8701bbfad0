"""Phase timers: off by default, and the split adds up to the wall time when on."""

from __future__ import annotations

import pytest
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.loop.timing import PHASES, NullTimer, PhaseTimer, split

from tests.builtins import make_policy


def _sim(timing: bool) -> Simulation:
    world = SyntheticWorld(n_users=300, n_items=60)
    return Simulation(world, PositionBasedModel(), make_policy("ctr"), SimulationConfig(horizon=3.0,
                      progress=False), seed=2, timing=timing)


def test_timing_is_off_by_default_and_does_not_change_results() -> None:
    plain = _sim(False).run()
    timed = _sim(True).run()
    assert "time_split" not in plain.summary
    assert plain.metrics.equals(timed.metrics)
    assert plain.items.equals(timed.items)


def test_split_covers_every_phase_and_adds_up_to_the_wall_time() -> None:
    result = _sim(True).run()
    s = result.summary["time_split"]
    assert set(PHASES) | {"simpy_overhead"} == set(s)
    assert all(v >= 0 for v in s.values())
    assert s["serving"] > 0 and s["clicks"] > 0 and s["metrics"] > 0
    assert sum(s.values()) == pytest.approx(result.summary["wall_time_s"], rel=1e-6)


def test_phase_timer_accumulates_and_null_timer_records_nothing() -> None:
    t = PhaseTimer()
    t.start()
    t.lap("serving")
    t.lap("serving")
    assert t.totals()["serving"] >= 0 and t.enabled
    assert NullTimer().totals() == {} and not NullTimer.enabled
    assert split({"a": 1.0, "b": 0.5}, 2.0) == {"a": 1.0, "b": 0.5, "simpy_overhead": 0.5}
    assert split({"a": 3.0}, 2.0)["simpy_overhead"] == 0.0
