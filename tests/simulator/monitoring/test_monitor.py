"""The monitor sees what a team sees, raises alerts, and its guard rolls models back."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from loopsim.simulator import (
    Feedback,
    PositionBasedModel,
    Simulation,
    SimulationConfig,
    SlateRequest,
    Slates,
)
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.io.results import RunResult
from loopsim.simulator.monitoring.monitor import Band, MonitorOptions, judge

from tests.builtins import make_policy
from tests.conftest import tiny_world

ON = MonitorOptions(enabled=True, warmup=2.0, min_impressions=200)


def run(policy: object, monitor: MonitorOptions | None, horizon: float = 12.0,
        **world: object) -> tuple[Simulation, RunResult]:
    sim = Simulation(tiny_world(n_users=600, **world), PositionBasedModel(), policy,
                     SimulationConfig(horizon=horizon, tick=0.1, slate_size=5, progress=False),
                     seed=4, monitor=monitor)
    result = sim.run()
    result.raise_for_status()
    return sim, result


def test_band_alerts_outside_mean_plus_minus_z_sd() -> None:
    band = Band(history=5, z=3.0)
    assert [band.check(v) for v in (1.0, 1.1, 0.9)] == [None, None, None]
    assert band.check(1.05) is None
    low, high = band.check(5.0)
    assert low < 1.0 < high < 5.0


def test_judge_counts_true_and_false_alarms_and_time_to_detect() -> None:
    out = judge(np.array([2.0, 10.5, 11.0, 30.0]), (10.0, 20.0), window=3.0)
    assert out == {"alerts": 4.0, "true_alarms": 2.0, "false_alarms": 2.0,
                   "detected_shifts": 1.0, "missed_shifts": 1.0, "time_to_detect": 0.5}
    assert math.isnan(judge(np.zeros(0), (), 3.0)["time_to_detect"])


def test_monitor_without_guard_changes_no_metric() -> None:
    _, off = run(make_policy("ctr"), None)
    _, on = run(make_policy("ctr"), ON)
    assert off.events is None
    assert off.metrics.equals(on.metrics.filter(~pl.col("metric").str.starts_with("monitor_")))


def test_events_log_every_deploy_with_its_version() -> None:
    _, result = run(make_policy("popularity"), ON, horizon=3.0)
    events = result.events
    assert events.columns == ["t", "kind", "detail", "model_version"]
    deploys = events.filter(pl.col("kind") == "deploy")
    assert deploys["model_version"].to_list() == list(range(1, deploys.height + 1))
    assert deploys.height == 12  # retrain every 0.25 days for 3 days


def test_a_shock_raises_a_ctr_alert_soon_after_it() -> None:
    shift = {"item_drift": "shock", "shock_time": 7.0, "shock_share": 1.0, "shock_factor": 0.1}
    _, result = run(make_policy("popularity"), ON, personalization=0.0, shift=shift)
    alerts = result.events.filter(pl.col("kind") == "alert")
    assert alerts.filter(pl.col("detail").str.starts_with("logged_ctr slice=all")).height
    final = dict(result.metrics.filter(pl.col("metric").str.starts_with("monitor_"))
                 .select("metric", "value").iter_rows())
    assert final["monitor_detected_shifts"] == 1.0
    assert 0.0 <= final["monitor_time_to_detect"] <= 1.0


class BreaksAfter:
    """CTR until its ``n``-th update, then it ranks the items it believes worst first."""

    def __init__(self, n: int) -> None:
        self.inner, self.n, self.updates = make_policy("ctr"), n, 0

    def rank(self, request: SlateRequest) -> Slates:
        if self.updates < self.n:
            return self.inner.rank(request)
        scores = self.inner.item_scores(request.candidates)
        worst = request.candidates[np.argsort(scores, kind="stable")[: request.k]]
        return Slates(np.broadcast_to(worst, (request.batch_size, request.k)))

    def update(self, feedback: Feedback) -> None:
        self.inner.update(feedback)
        self.updates += 1


def test_the_guard_rolls_a_broken_version_back_and_saves_regret() -> None:
    guard = MonitorOptions(enabled=True, warmup=2.0, min_impressions=200, guard_threshold=0.2)
    sim, result = run(BreaksAfter(20), guard)  # version 20 deploys on day 5
    rollbacks = result.events.filter(pl.col("kind") == "rollback")
    assert rollbacks.height >= 1 and rollbacks["t"][0] == 6.0
    assert rollbacks["model_version"][0] == 16  # the version that served day 4 to 5
    final = dict(result.metrics.filter(pl.col("metric").str.starts_with("guard_"))
                 .select("metric", "value").iter_rows())
    assert final["guard_rollbacks"] >= 1 and final["guard_regret_saved"] > 0
    _, unguarded = run(BreaksAfter(20), None)
    def mean_regret(r: RunResult) -> float:
        return r.metrics.filter(pl.col("metric") == "regret_window")["value"].mean()
    assert mean_regret(result) < mean_regret(unguarded)


@pytest.mark.parametrize(("options", "message"), [
    (MonitorOptions(guard_threshold=0.1),
     r"`monitor.guard_threshold == 0.1` needs the monitor: set monitor.enabled=true"),
    (MonitorOptions(enabled=True, interval=50.0), r"`monitor.interval == 50.0`: must be in"),
    (MonitorOptions(enabled=True, guard_threshold=1.5),
     r"`monitor.guard_threshold == 1.5`: must be in \[0.0, 1.0\]"),
])
def test_bad_monitor_options_are_refused_before_the_run(options: MonitorOptions,
                                                        message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run(make_policy("popularity"), options)
