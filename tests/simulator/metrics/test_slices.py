"""Sliced metrics: cohorts partition the sessions and items; ``all`` rows never move."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.io.results import RunResult
from loopsim.simulator.metrics.slices import SliceOptions, taste_clusters

from tests.builtins import make_policy
from tests.conftest import tiny_world


def run(policy: object, slices: SliceOptions | None, **world: object) -> RunResult:
    sim = Simulation(tiny_world(**world), PositionBasedModel(), policy,
                     SimulationConfig(horizon=8.0, tick=0.1, slate_size=5, progress=False),
                     seed=2, slices=slices)
    result = sim.run()
    result.raise_for_status()
    return result


ON = SliceOptions(enabled=True, new_days=3.0)


def wide(result: RunResult, metric: str) -> pl.DataFrame:
    return (result.metrics.filter(pl.col("metric") == metric)
            .pivot(on="slice", index="t", values="value").sort("t"))


def test_slices_off_write_only_all_rows() -> None:
    result = run(make_policy("popularity"), None)
    assert result.metrics.columns == ["t", "slice", "metric", "value"]
    assert result.metrics["slice"].unique().to_list() == ["all"]


def test_slices_leave_the_all_rows_bit_identical() -> None:
    off = run(make_policy("ctr"), None).metrics
    on = run(make_policy("ctr"), ON).metrics.filter(pl.col("slice") == "all")
    assert off.equals(on)


def test_user_slices_partition_the_sessions_and_the_clicks() -> None:
    result = run(make_policy("ctr"), ON)
    sessions = wide(result, "sessions_window")
    ctr = wide(result, "ctr_window")
    for family in (["user_activity_low", "user_activity_mid", "user_activity_high"],
                   ["user_taste_0", "user_taste_1", "user_taste_2"]):
        np.testing.assert_allclose(sessions.select(family).sum_horizontal(), sessions["all"])
        weighted = (sessions.select(family).to_numpy() * ctr.select(family).to_numpy()).sum(1)
        np.testing.assert_allclose(weighted / sessions["all"].to_numpy(), ctr["all"])


def test_item_slices_share_the_exposure() -> None:
    result = run(make_policy("ctr"), ON, item_arrival_rate=10.0)
    share = wide(result, "exposure_share_window").fill_null(0.0)
    np.testing.assert_allclose(share.select("item_head", "item_torso", "item_tail")
                               .sum_horizontal(), 1.0)
    np.testing.assert_allclose(share.select("item_new", "item_old").sum_horizontal(), 1.0)
    n = wide(result, "n_available")
    np.testing.assert_allclose(n.select("item_new", "item_old").fill_null(0).sum_horizontal(),
                               n["all"])


def test_the_oracle_has_no_regret_in_any_user_slice() -> None:
    regret = run(make_policy("oracle"), ON).metrics.filter(pl.col("metric") == "regret_window")
    assert regret.height > 8 and np.abs(regret["value"].to_numpy()).max() < 1e-9


def test_new_users_are_the_late_cohort() -> None:
    shift = {"cohort_time": 4.0, "cohort_share": 0.3}
    sessions = wide(run(make_policy("popularity"), ON, shift=shift), "sessions_window")
    assert sessions.filter(pl.col("t") < 4.0)["user_new"].is_null().all()  # to a tick
    late = sessions.filter((pl.col("t") > 4.0) & (pl.col("t") <= 7.0))  # new for 3 days
    np.testing.assert_allclose(late["user_new"] + late["user_old"], late["all"])
    assert (late["user_new"] > 0).all()


def test_taste_clusters_group_similar_users() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(3)
    prefs = np.repeat(centres, 20, axis=0) + 0.05 * rng.standard_normal((60, 3))
    label = taste_clusters(prefs / np.linalg.norm(prefs, axis=1, keepdims=True), 3, rng)
    for block in range(3):
        assert np.unique(label[block * 20:(block + 1) * 20]).size == 1
    assert np.unique(label).size == 3


@pytest.mark.parametrize(("options", "message"), [
    (SliceOptions(enabled=True, cohorts=("activity", "country")),
     r"`slices.cohorts` names unknown cohorts \['country'\]: allowed \["),
    (SliceOptions(enabled=True, new_days=0.0), r"`slices.new_days == 0.0`: must be > 0"),
])
def test_bad_slices_are_refused_before_the_run(options: SliceOptions, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run(make_policy("popularity"), options)
