"""Slices, gaps, events and shift times of a sweep, aggregated over seeds (for compare).

* :func:`slice_trajectories`: mean and 95% interval of sliced metrics per group, slice
  and snapshot time;
* :func:`gaps`: one slice minus another (``regret_window`` of ``user_new`` minus
  ``user_old``...) per run and time, then aggregated over seeds;
* :func:`read_events`: the ``events.parquet`` of every completed run that has one;
* :func:`shift_times`: the known shift times of each group's world (``world.shift`` in
  the run's resolved config).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from loopsim.experiments.compare.aggregate import completed, mean_ci
from loopsim.simulator.errors import LoopsimError
from loopsim.simulator.io.results import EVENTS_FILE, EVENTS_SCHEMA, SUMMARY_FILE
from loopsim.simulator.world.shift import DataShift

__all__ = ["GAPS", "SLICE_METRICS", "gaps", "read_events", "shift_times", "slice_trajectories"]

#: Sliced metrics drawn per slice.
SLICE_METRICS = ("regret_window", "ctr_window", "gini_exposure_window", "rank_error")
#: Gaps drawn when both slices are present: (metric, slice, minus slice).
GAPS = (
    ("regret_window", "user_new", "user_old"),
    ("regret_window", "user_activity_low", "user_activity_high"),
    ("ctr_window", "item_new", "item_old"),
    ("rank_error", "item_tail", "item_head"),
)


def slice_trajectories(sliced: pl.LazyFrame,
                       metrics: tuple[str, ...] = SLICE_METRICS) -> pl.DataFrame:
    """``group, slice, metric, t, mean, ci95, n`` of the sliced metrics, over seeds."""
    rows = sliced.filter(pl.col("metric").is_in(list(metrics))).collect()
    return mean_ci(rows, ["group", "slice", "metric", "t"])


def gaps(sliced: pl.LazyFrame, pairs: tuple[tuple[str, str, str], ...] = GAPS) -> pl.DataFrame:
    """``group, gap, t, mean, ci95, n``: per run ``metric[a] - metric[b]``, over seeds.

    A gap is named ``"<metric>: <a> - <b>"``; pairs with a missing slice are left out.
    """
    frames = []
    for metric, a, b in pairs:
        rows = (sliced.filter((pl.col("metric") == metric) & pl.col("slice").is_in([a, b]))
                .collect())
        if rows.height == 0:
            continue
        wide = rows.pivot(on="slice", index=["run", "group", "seed", "t"], values="value")
        if a not in wide.columns or b not in wide.columns:
            continue
        frames.append(wide.select("run", "group", "t",
                                  pl.lit(f"{metric}: {a} - {b}").alias("gap"),
                                  (pl.col(a) - pl.col(b)).alias("value")))
    if not frames:
        return pl.DataFrame(schema={"group": pl.Utf8, "gap": pl.Utf8, "t": pl.Float64,
                                    "mean": pl.Float64, "ci95": pl.Float64, "n": pl.Int64})
    return mean_ci(pl.concat(frames), ["group", "gap", "t"])


def read_events(runs: pl.DataFrame) -> pl.DataFrame:
    """``run, group, seed`` + the columns of ``events.parquet``, for runs that wrote one."""
    frames = []
    for row in completed(runs).iter_rows(named=True):
        path = Path(row["path"]) / EVENTS_FILE
        if path.is_file():
            frames.append(pl.read_parquet(path).with_columns(
                pl.lit(row["run"]).alias("run"), pl.lit(row["group"]).alias("group"),
                pl.lit(row["seed"], pl.Int64).alias("seed")))
    if not frames:
        return pl.DataFrame(schema={"run": pl.Utf8, "group": pl.Utf8, "seed": pl.Int64,
                                    **EVENTS_SCHEMA})
    return pl.concat(frames).select("run", "group", "seed", *EVENTS_SCHEMA)


def shift_times(runs: pl.DataFrame) -> dict[str, tuple[float, ...]]:
    """The known shift times of each group's world (from its first completed run)."""
    out: dict[str, tuple[float, ...]] = {}
    for row in completed(runs).iter_rows(named=True):
        if row["group"] in out:
            continue
        try:
            summary = json.loads((Path(row["path"]) / SUMMARY_FILE).read_text())
            options = summary.get("config", {}).get("world", {}).get("shift")
            out[row["group"]] = DataShift.from_options(options).shift_times()
        except (OSError, ValueError, AttributeError, LoopsimError):
            out[row["group"]] = ()
    return out
