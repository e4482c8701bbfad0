"""Aggregate runs over seeds: polars lazy scans, means with 95% intervals, U, curves.

Every function takes the runs table of :func:`loopsim.experiments.runs.table.runs_table` and reads
only its ``completed`` runs. Intervals are Student-t 95% confidence intervals of the
mean over the runs of a group: ``mean ± t_{0.975, n-1} · sd / sqrt(n)`` (no interval
with a single run).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
from loopsim.simulator.io.results import ITEMS_FILE, METRICS_FILE
from loopsim.simulator.metrics.concentration import lorenz_curve


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (NaN if df < 1).

    ``scipy.special.stdtrit`` (exact; ``scipy.special`` is imported here only, on the
    comparison path: the simulation never imports scipy).
    """
    if df < 1:
        return math.nan
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.975))


def completed(runs: pl.DataFrame) -> pl.DataFrame:
    """The completed runs of a runs table."""
    return runs.filter(pl.col("status") == "completed")


def replicate_unit(runs: pl.DataFrame) -> str:
    """What the replicates of a group differ in, as figure titles name them.

    ``"seeds × worlds"``: each run draws its own world (``world.seed`` follows ``seed``,
    or both vary), so an interval covers the worlds' variation too; ``"seeds, one
    world"``: ``world.seed`` is fixed in every group, the runs replay one world;
    ``"worlds"``: only ``world.seed`` varies. Read from the completed runs.
    """
    done = completed(runs)
    if done.height == 0 or "world_seed" not in done.columns:
        return "seeds"
    world = (pl.when(pl.col("world_seed").is_null())
             .then(pl.lit("seed ") + pl.col("seed").cast(pl.Utf8))
             .otherwise(pl.col("world_seed").cast(pl.Utf8)))
    per_group = (done.with_columns(world.alias("world"))
                 .group_by("group")
                 .agg(pl.col("seed").n_unique().alias("seeds"),
                      pl.col("world").n_unique().alias("worlds")))
    several = per_group.filter(pl.col("worlds") > 1)
    if several.height == 0:
        return "seeds, one world"
    return "seeds × worlds" if int(several["seeds"].max() or 0) > 1 else "worlds"


def scan_metrics(runs: pl.DataFrame, sliced: bool = False) -> pl.LazyFrame:
    """Metric rows of the completed runs, lazily: ``run, group, seed, t, metric, value``.

    Only the ``slice == "all"`` rows (runs written before the ``slice`` column count as
    ``all``); ``sliced=True`` keeps every slice and adds the ``slice`` column after ``t``.
    """
    done = completed(runs).select(
        "run", "group", "seed",
        pl.col("path").map_elements(lambda p: str(Path(p) / METRICS_FILE),
                                    return_dtype=pl.Utf8).alias("file"),
    )
    if done.height == 0:
        empty = _empty_metrics()
        if sliced:
            empty = empty.select("run", "group", "seed", "t", pl.lit("all").alias("slice"),
                                 "metric", "value")
        return empty.lazy()
    files = done["file"].to_list()
    scan = pl.concat([pl.scan_parquet(f, include_file_paths="file") for f in files],
                     how="diagonal_relaxed")
    if "slice" not in scan.collect_schema().names():
        scan = scan.with_columns(pl.lit("all").alias("slice"))
    scan = scan.with_columns(pl.col("slice").cast(pl.Utf8).fill_null("all"))
    cols = ["run", "group", "seed", "t", *(["slice"] if sliced else []), "metric", "value"]
    if not sliced:
        scan = scan.filter(pl.col("slice") == "all")
    return (scan.select("file", pl.col("t").cast(pl.Float64), "slice",
                        pl.col("metric").cast(pl.Utf8), pl.col("value").cast(pl.Float64))
            .join(done.lazy(), on="file", how="inner")
            .select(cols))


#: Metrics also averaged over all snapshots of a run, as ``<metric>_avg`` final values.
TIME_AVERAGED = ("regret_window", "expected_clicks_window")


def final_values(metrics: pl.LazyFrame) -> pl.DataFrame:
    """Each run's value of each metric at the run's last snapshot.

    For the metrics in :data:`TIME_AVERAGED` it adds ``<name without _window>_avg``, the
    mean over all the run's snapshots (for regret: the average cost over the whole run,
    exploration included, rather than on the last day only).
    """
    last = (metrics.filter(pl.col("t") == pl.col("t").max().over("run"))
            .select("run", "group", "seed", "metric", "value"))
    averaged = (metrics.filter(pl.col("metric").is_in(list(TIME_AVERAGED)))
                .group_by("run", "group", "seed", "metric")
                .agg(pl.col("value").mean())
                .with_columns(pl.col("metric").str.replace("_window$", "_avg")))
    return pl.concat([last, averaged.select(last.collect_schema().names())]).collect()


def mean_ci(frame: pl.DataFrame, by: list[str], value: str = "value") -> pl.DataFrame:
    """Mean, 95% interval half-width and count of ``value`` per ``by``, NaN values ignored.

    Returns:
        ``by`` columns, then ``mean``, ``ci95`` (half-width; null when n < 2), ``n``.
    """
    valid = frame.filter(pl.col(value).is_not_null() & pl.col(value).is_not_nan())
    out = valid.group_by(by, maintain_order=True).agg(
        pl.col(value).mean().alias("mean"),
        pl.col(value).std(ddof=1).alias("sd"),
        pl.len().cast(pl.Int64).alias("n"),
    )
    tq = pl.DataFrame({"n": np.arange(1, 1 + max(1, out["n"].max() or 1), dtype=np.int64)})
    tq = tq.with_columns(pl.Series("tq", [t_quantile_975(int(n) - 1) for n in tq["n"]]))
    return (out.join(tq, on="n", how="left")
            .with_columns(pl.when(pl.col("n") > 1)
                          .then(pl.col("tq") * pl.col("sd") / pl.col("n").sqrt())
                          .otherwise(None).alias("ci95"))
            .select(*by, "mean", "ci95", "n").sort(by))


def trajectories(metrics: pl.LazyFrame, names: list[str]) -> pl.DataFrame:
    """Mean and 95% interval of each metric in ``names`` per group and snapshot time."""
    rows = metrics.filter(pl.col("metric").is_in(names)).collect()
    order = pl.DataFrame({"metric": names, "_order": range(len(names))},
                         schema={"metric": pl.Utf8, "_order": pl.Int64})  # typed when empty
    return (mean_ci(rows, ["group", "metric", "t"]).join(order, on="metric")
            .sort("_order", "group", "t").drop("_order"))


def unpredictability(shares: np.ndarray) -> float:
    """Unpredictability U of Salganik, Dodds and Watts (2006).

    ``U = (1/n) sum_i U_i`` with ``U_i`` the mean of ``|m_ij - m_ik|`` over all pairs of
    runs ``j < k``, ``m_ij`` the market share of item ``i`` in run ``j``.

    Args:
        shares: ``(n_items, n_runs)`` market shares (each column sums to 1, or is 0).

    Returns:
        U in [0, 1]; NaN with fewer than 2 runs or no item.
    """
    m = np.asarray(shares, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2 or m.shape[0] == 0:
        return math.nan
    j, k = np.triu_indices(m.shape[1], k=1)
    return float(np.abs(m[:, j] - m[:, k]).mean())


def scan_items(runs: pl.DataFrame) -> pl.DataFrame:
    """Final item rows of the completed runs: ``run, group, world_seed`` + items.parquet."""
    done = completed(runs).select(
        "run", "group", "world_seed",
        pl.col("path").map_elements(lambda p: str(Path(p) / ITEMS_FILE),
                                    return_dtype=pl.Utf8).alias("file"),
    )
    if done.height == 0:
        return pl.DataFrame(schema={"run": pl.Utf8, "group": pl.Utf8, "world_seed": pl.Int64,
                                    "item": pl.Int64, "true_value": pl.Float64,
                                    "exposure": pl.Float64, "clicks": pl.Float64,
                                    "available": pl.Boolean})
    files = done["file"].to_list()
    scan = pl.concat([pl.scan_parquet(f, include_file_paths="file") for f in files],
                     how="diagonal_relaxed")
    return (scan.join(done.lazy(), on="file", how="inner").drop("file").collect())


def group_unpredictability(items: pl.DataFrame) -> pl.DataFrame:
    """U per group, over its runs, when the group's world is fixed (one ``world_seed``).

    Market share is the share of reward when items carry a ``reward`` column, else of
    clicks. Groups whose runs do not share a fixed world get a null U and a note.

    Returns:
        ``group``, ``unpredictability`` (the paper's U), ``unpredictability_tv`` (the same
        on a scale free of the catalogue's size: mean pairwise total-variation distance
        of the market shares, ``n U / 2``;
        :func:`~loopsim.simulator.metrics.markets.share_distance`),
        ``u_note``.
    """
    signal = "reward" if "reward" in items.columns else "clicks"
    rows = []
    for (group,), g in items.group_by(["group"], maintain_order=True):
        runs = g["run"].unique(maintain_order=True).to_list()
        seeds = g["world_seed"].unique().to_list()
        if len(runs) < 2:
            rows.append((group, None, None, "needs 2 runs or more"))
            continue
        if len(seeds) != 1 or seeds[0] is None:
            rows.append((group, None, None, "needs a fixed world.seed"))
            continue
        wide = (g.select("run", "item", pl.col(signal).cast(pl.Float64))
                .pivot(on="run", index="item", values=signal).fill_null(0.0))
        counts = wide.select(runs).to_numpy()
        totals = counts.sum(axis=0)
        shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        u = unpredictability(shares)
        rows.append((group, u, u * shares.shape[0] / 2.0, f"{len(runs)} runs, {signal}"))
    return pl.DataFrame(rows, schema={"group": pl.Utf8, "unpredictability": pl.Float64,
                                      "unpredictability_tv": pl.Float64,
                                      "u_note": pl.Utf8}, orient="row")


def lorenz_by_group(items: pl.DataFrame) -> pl.DataFrame:
    """Mean Lorenz curve of final exposure (available items) per group.

    Each run's curve is interpolated on a grid of item shares (every 1% up to 90%, every
    0.05% above, where concentrated exposure lives), then averaged over the group's runs.

    Returns:
        ``group``, ``item_share``, ``exposure_share`` (mean), ``ci95``, ``n``.
    """
    grid = np.concatenate([np.linspace(0.0, 0.9, 90, endpoint=False), np.linspace(0.9, 1.0, 201)])
    frames = []
    for (run, group), g in items.filter(pl.col("available")).group_by(
            ["run", "group"], maintain_order=True):
        x, y = lorenz_curve(g["exposure"].to_numpy().astype(np.float64))
        frames.append(pl.DataFrame({"group": group, "run": run, "item_share": grid,
                                    "value": np.interp(grid, x, y)}))
    if not frames:
        return pl.DataFrame(schema={"group": pl.Utf8, "item_share": pl.Float64,
                                    "mean": pl.Float64, "ci95": pl.Float64, "n": pl.Int64})
    return mean_ci(pl.concat(frames), ["group", "item_share"])


def value_exposure_by_group(items: pl.DataFrame, bins: int = 10) -> pl.DataFrame:
    """Share of final exposure received by each true-value decile (or ``bins``-tile).

    Items available at the end of each run are ranked by true value and cut into
    ``bins`` equal groups (1: the least valuable); the share of the run's exposure each
    bin received is averaged over the group's runs. An oracle puts everything in the
    top bin; uniform random gives ``1/bins`` to each.

    Returns:
        ``group``, ``bin`` (1..bins), ``mean`` exposure share, ``ci95``, ``n``.
    """
    avail = items.filter(pl.col("available"))
    ranked = avail.with_columns(
        (((pl.col("true_value").rank("ordinal").over("run") - 1) * bins)
         // pl.len().over("run") + 1).cast(pl.Int64).alias("bin"),
        (pl.col("exposure") / pl.col("exposure").sum().over("run")).fill_nan(0.0)
        .alias("share"),
    )
    per_run = ranked.group_by(["group", "run", "bin"]).agg(pl.col("share").sum())
    return mean_ci(per_run, ["group", "bin"], value="share")


def _empty_metrics() -> pl.DataFrame:
    return pl.DataFrame(schema={"run": pl.Utf8, "group": pl.Utf8, "seed": pl.Int64,
                                "t": pl.Float64, "metric": pl.Utf8, "value": pl.Float64})
