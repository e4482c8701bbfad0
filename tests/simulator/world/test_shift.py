"""Data shift of the synthetic world: the truth follows it, the defaults change nothing."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import PositionBasedModel, SimulationConfig
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.loop.simulation import Simulation
from loopsim.simulator.world import SyntheticWorld
from loopsim.simulator.world.shift import DataShift

from tests.builtins import make_policy


def world(**shift: object) -> SyntheticWorld:
    w = SyntheticWorld(n_users=200, n_items=50, personalization=0.5, shift=dict(shift) or None)
    w.reset(np.random.default_rng(3))
    return w


def test_default_options_draw_the_same_world() -> None:
    a, b = world(), world(item_drift="none", cohort_share=0.0)
    items = np.arange(50)
    assert np.array_equal(a.true_value(items), b.true_value(items))
    assert np.array_equal(a.activity(), b.activity())
    assert not DataShift.from_options(None).active


def test_shock_hits_the_set_share_and_the_truth_follows() -> None:
    w = world(item_drift="shock", shock_time=2.0, shock_share=0.4, shock_factor=0.0)
    items = np.arange(50)
    before_q, before_v, version = w.quality(items).copy(), w.true_value(items), w.version
    w.advance(2.0)
    after = w.quality(items)
    hit = after != before_q
    assert hit.sum() == 20  # 40% of 50 items
    assert np.all(after[hit] == 0.0)
    assert w.version > version
    # true value moves by (1 - personalization) * the change of quality, exactly
    np.testing.assert_allclose(w.true_value(items) - before_v, 0.5 * (after - before_q))
    rel = w.relevance(np.arange(200), items)
    weights = w.activity() / w.activity().sum()  # a random session's user
    np.testing.assert_allclose(weights @ rel, w.true_value(items))
    np.testing.assert_allclose(rel.mean(axis=0), w.mean_relevance(items))


def test_random_walk_keeps_quality_in_unit_interval() -> None:
    w = world(item_drift="random_walk", drift_rate=0.5)
    for t in range(1, 20):
        w.advance(float(t))
    q = w.quality(np.arange(50))
    assert q.min() >= 0.0 and q.max() <= 1.0 and np.unique(q).size > 10


def test_trend_moves_each_item_at_its_own_slope() -> None:
    w = world(item_drift="trend", drift_rate=0.01)
    q0 = w.quality(np.arange(50)).copy()
    w.advance(1.0)
    q1 = w.quality(np.arange(50)).copy()
    w.advance(2.0)
    q2 = w.quality(np.arange(50))
    inside = (q1 > 0) & (q1 < 1) & (q2 > 0) & (q2 < 1) & (q0 > 0)
    np.testing.assert_allclose((q2 - q1)[inside], (q1 - q0)[inside])


def test_cohort_is_inactive_until_it_arrives_and_truth_averages_the_present() -> None:
    w = world(cohort_time=5.0, cohort_share=0.25, cohort_spread=0.1)
    cohort = w.user_arrival_times() == 5.0
    assert cohort.sum() == 50
    assert np.all(w.activity()[cohort] == 0)
    items = np.arange(50)
    present = np.flatnonzero(~cohort)
    old = w.relevance(present, items)
    weights = w.activity()[present] / w.activity()[present].sum()  # sessions of the present
    np.testing.assert_allclose(w.true_value(items), weights @ old)
    np.testing.assert_allclose(w.mean_relevance(items), old.mean(axis=0))
    assert w.advance(5.0)  # activity changed
    assert np.all(w.activity()[cohort] > 0)
    everyone = w.relevance(np.arange(200), items)
    np.testing.assert_allclose(w.true_value(items), w.activity() / w.activity().sum() @ everyone)
    np.testing.assert_allclose(w.mean_relevance(items), everyone.mean(axis=0))
    # the cohort agrees with itself more than with everyone else
    p = w.preferences
    assert (p[cohort] @ p[cohort].T).mean() > (p[~cohort] @ p[~cohort].T).mean() + 0.3


def test_seasonality_integral_is_exact() -> None:
    s = DataShift(season_daily=0.5, season_weekly=0.3)
    grid = np.linspace(1.3, 4.1, 200001)
    numeric = np.trapezoid(s.season(grid), grid)
    assert s.season_integral(1.3, 4.1) == pytest.approx(numeric, rel=1e-9)


def run(shift: dict | None, tick: float = 0.05) -> Simulation:
    w = SyntheticWorld(n_users=300, n_items=40, personalization=0.3, shift=shift)
    sim = Simulation(w, PositionBasedModel(), make_policy("popularity"),
                     SimulationConfig(horizon=14.0, tick=tick, slate_size=5, progress=False), 1)
    sim.run().raise_for_status()
    return sim


def test_seasonal_sessions_follow_the_cycle() -> None:
    sim = run({"season_weekly": 0.8})
    rows = {(t, m): v for t, m, v in sim.state.metrics.rows}
    first_half = sum(rows[(float(d), "sessions_window")] for d in range(1, 4))
    second_half = sum(rows[(float(d), "sessions_window")] for d in range(5, 8))
    assert first_half > 1.5 * second_half  # sin(2 pi t / 7) > 0 on days 0-3.5


def test_cohort_raises_the_session_rate_when_it_arrives() -> None:
    sim = run({"cohort_time": 7.0, "cohort_share": 0.5})
    rows = {(t, m): v for t, m, v in sim.state.metrics.rows}
    before = np.mean([rows[(float(d), "sessions_window")] for d in range(2, 8)])
    after = np.mean([rows[(float(d), "sessions_window")] for d in range(9, 15)])
    assert after > 1.6 * before


@pytest.mark.parametrize(("shift", "message"), [
    ({"item_drift": "shock", "shock_time": 20.0, "shock_share": 0.5},
     r"`world.shift.shock_time == 20.0`: must be in \[0.0, 14.0\]"),
    ({"cohort_share": 1.5, "cohort_time": 3.0},
     r"`world.shift.cohort_share == 1.5`: must be in \[0.0, 1.0\)"),
    ({"item_drift": "shock"}, r"needs `world.shift.shock_time`"),
    ({"cohort_share": 0.2}, r"needs `world.shift.cohort_time`"),
    ({"item_drift": "sideways"}, r"item_drift == 'sideways'`: must be one of"),
    ({"sesaon_daily": 0.2}, r"unknown keys \['sesaon_daily'\]"),
    ({"season_daily": 0.6, "season_weekly": 0.5}, r"must be < 1"),
])
def test_bad_shift_is_refused_before_the_run(shift: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run(shift)


def test_a_changing_rate_needs_batched_ticks() -> None:
    with pytest.raises(ConfigError, match=r"`tick == 0`.*use tick > 0"):
        run({"season_daily": 0.3}, tick=0.0)


def test_a_top_shock_hits_the_best_items() -> None:
    w = world(item_drift="shock", shock_time=1.0, shock_share=0.2, shock_factor=0.5,
              shock_target="top")
    items = np.arange(50)
    before = w.quality(items).copy()
    w.advance(1.0)
    best = np.argsort(-before, kind="stable")[:10]
    np.testing.assert_allclose(w.quality(items)[best], 0.5 * before[best])
    rest = np.setdiff1d(items, best)
    assert np.array_equal(w.quality(items)[rest], before[rest])
