"""loopsim-compare on real runs with slices, a shift and the monitor: tables and figures."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.cli.runner import run_config
from loopsim.experiments.compare import slice_report
from loopsim.experiments.compare.aggregate import scan_metrics
from loopsim.experiments.compare.cli import compare
from loopsim.experiments.runs.table import find_run_dirs, read_run, runs_table

SMALL = ["horizon=10", "world.n_users=400", "world.n_items=80", "slate_size=5",
         "progress=false", "world.seed=0", "slices.enabled=true", "slices.new_days=10",
         "+world/shift=cohort", "world.shift.cohort_time=5", "monitor.warmup=2",
         "monitor.min_impressions=100"]


def make_sweep(root: Path) -> Path:
    for i, (policy, watch, seed) in enumerate([("ctr", w, s) for w in ("none", "guard")
                                               for s in (0, 1)]):
        overrides = [f"policy={policy}", f"+monitoring={watch}", f"seed={seed}"]
        out = root / str(i)
        (out / ".hydra").mkdir(parents=True)
        (out / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
        with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
            cfg = compose("config", overrides=[*SMALL, *overrides])
        run_config(cfg, out, policy)
    return root


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ctr x (no monitor, monitor + guard) x 2 seeds, a cohort arriving on day 5."""
    return make_sweep(tmp_path_factory.mktemp("sweep"))


def test_compare_draws_slices_gaps_and_monitoring(sweep: Path) -> None:
    result = compare([sweep])
    names = {p.name for p in result.files}
    assert {"slices.csv", "gaps.png", "monitoring.png", "time_to_detect.png"} <= names
    assert len(list((sweep / "slices").glob("*.png"))) == 2  # one per group
    table = pl.read_csv(sweep / "slices.csv")
    assert {"user_new", "user_old", "item_head", "user_taste_0"} <= set(table["slice"])
    assert table.filter(pl.col("slice") == "user_new")["n"].max() == 2  # over the 2 seeds
    assert "monitor_false_alarms_mean" in result.summary.columns
    # Titles say what the bands are over: 2 seeds replaying one world (world.seed=0).
    for name in ("gaps", "monitoring", "time_to_detect", "trajectories", "tradeoff"):
        svg = (sweep / f"{name}.svg").read_text()  # matplotlib keeps each text as a comment
        assert re.search(r"95% t-interval over (1–)?2 seeds, one world", svg), name


def test_gaps_are_slice_differences_per_run_then_averaged(sweep: Path) -> None:
    runs = runs_table([read_run(p) for p in find_run_dirs([sweep])])
    sliced = scan_metrics(runs, sliced=True)
    gap = slice_report.gaps(sliced, (("regret_window", "user_new", "user_old"),))
    rows = sliced.filter(pl.col("metric") == "regret_window").collect()
    one = rows.filter((pl.col("group") == gap["group"][0]) & (pl.col("t") == 8.0))
    per_run = one.pivot(on="slice", index="run", values="value")
    want = (per_run["user_new"] - per_run["user_old"]).mean()
    got = gap.filter((pl.col("group") == gap["group"][0]) & (pl.col("t") == 8.0))["mean"][0]
    assert abs(got - want) < 1e-12
    assert scan_metrics(runs).collect()["metric"].n_unique() < rows.height  # all rows only
    events = slice_report.read_events(runs)
    assert set(events["kind"].unique()) >= {"deploy", "accept"}
    assert slice_report.shift_times(runs)[gap["group"][0]] == (5.0,)
