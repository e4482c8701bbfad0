"""Deferred item-side snapshot metrics equal the metrics computed at each snapshot."""

from __future__ import annotations

import math

import numpy as np
import pytest
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.loop import snapshots
from loopsim.simulator.loop.state import MetricRows
from loopsim.simulator.world.chaney import ChaneyWorld

from tests.builtins import make_policy


def _run(policy: str, eager: bool, monkeypatch: pytest.MonkeyPatch, **world: float):
    if eager:
        monkeypatch.setattr(snapshots, "defer", lambda state: None)
    chaney = world.pop("chaney", False)
    made = (ChaneyWorld(n_users=60, n_items=80) if chaney
            else SyntheticWorld(n_users=200, n_items=50, **world))
    sim = Simulation(made, PositionBasedModel(),
                     make_policy(policy), SimulationConfig(horizon=6.0, progress=False),
                     seed=4)
    result = sim.run()
    monkeypatch.undo()
    return result


@pytest.mark.parametrize(("policy", "world"), [
    ("popularity", {"organic": 0.0, "item_arrival_rate": 0.0}),
    ("ctr", {}),
    ("random", {"organic": 0.0}),
    ("popularity", {"chaney": True}),  # homogenization_nn: similar-user pairs
])
def test_deferred_equals_eager(policy: str, world: dict, monkeypatch: pytest.MonkeyPatch
                               ) -> None:
    deferred = _run(policy, False, monkeypatch, **dict(world))
    eager = _run(policy, True, monkeypatch, **dict(world))
    assert deferred.metrics.equals(eager.metrics)
    assert not deferred.metrics["value"].is_nan().all()
    names = set(deferred.metrics["metric"].to_list())
    assert {"gini_exposure", "tau_popularity", "entropy_reward", "homogenization",
            "user_entropy_window"} <= names


def test_rows_keep_their_order_and_are_filled_in() -> None:
    rows = MetricRows()
    rows.rows.extend([(1.0, "a", 0.5), (1.0, "b", math.nan), (1.0, "c", 2.0)])
    rows.defer(0, ("b",))
    rows.rows.extend([(2.0, "a", 0.25), (2.0, "b", math.nan)])
    rows.defer(3, ("b",))
    rows.resolver = lambda: [{"b": 7.0}, {"b": 8.0}]
    rows.resolve()
    assert rows.rows == [(1.0, "a", 0.5), (1.0, "b", 7.0), (1.0, "c", 2.0),
                         (2.0, "a", 0.25), (2.0, "b", 8.0)]
    assert rows.pending == []
    rows.resolve()  # nothing pending: a no-op
    assert np.isclose(rows.rows[4][2], 8.0)


def test_deferred_in_several_batches_equals_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``_DEFER_MAX`` entries the kept snapshots are computed early: the same rows."""
    from loopsim.simulator.metrics import recorder

    monkeypatch.setattr(recorder, "_DEFER_MAX", 120)  # 50 items x 4 vectors: every snapshot
    early = _run("ctr", False, monkeypatch)
    eager = _run("ctr", True, monkeypatch)
    assert early.metrics.equals(eager.metrics)
