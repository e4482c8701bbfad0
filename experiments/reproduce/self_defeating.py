"""The table of docs/explanation/self-defeating.md from an ``experiment=self_defeating`` sweep.

    python -m loopsim.experiments.reproduce.self_defeating multirun/<date>/<time> [more...]

One table per sweep folder (two presets pair the same policy names: ``self_defeating`` and
``self_defeating_contrast`` each have a ``wu_loss`` pair, never pooled).

For each pair ``wu_<mismatch>_old`` / ``wu_<mismatch>_improved`` found in the sweeps, the
means over days ``> 5`` of each run, then the paired differences (improved - old, by
seed: the same world and arrivals) with Student-t 95% intervals and how many seeds got
worse. The upstream's own metric three ways: both upstreams on the old system's rows
(its ``upstream_mse_window`` against its shadow's), both on the improved system's rows,
and each on its own system's rows (what a team measuring in production would compare).
Where the runs explore (``policy.explore > 0``), the same two paired comparisons on each
system's exploration rows alone (``upstream_mse_explore_window`` against
``shadow_mse_explore_window``: uniform slates no upstream chose), and each deployed
upstream on its own system's exploration rows (the two systems of a pair explore the same
sessions with the same slates and clicks: the same rows).

    python -m loopsim.experiments.reproduce.self_defeating --by-day DIR [more...]

prints instead, per pair and day, the improved upstream's MSE minus the old one's on
each system's rows (shadow against deployed), paired by seed: when the improvement's
lead on its own metric appears and whether it lasts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

__all__ = ["EXPLORE", "METRICS", "by_day", "late_means", "paired", "report", "table"]

METRICS = ("regret_window", "upstream_error_window", "ranker_approximation_error_window",
           "ranker_estimation_error_window", "upstream_mse_window", "shadow_mse_window")
#: Both upstreams' MSE on the exploration rows alone (runs with ``policy.explore > 0``).
EXPLORE = ("upstream_mse_explore_window", "shadow_mse_explore_window")


def late_means(sweeps: list[Path], after: float = 5.0) -> pl.DataFrame:
    """One row per run: policy, seed and the mean of each metric over days > ``after``."""
    frames = [pl.read_parquet(f) for d in sweeps for f in sorted(d.glob("*/metrics.parquet"))]
    m = pl.concat(frames, how="diagonal_relaxed")
    m = m.filter((pl.col("slice") == "all") & (pl.col("t") > after)
                 & pl.col("metric").is_in(METRICS + EXPLORE))
    return m.group_by("policy", "seed", "metric").agg(pl.col("value").mean()).pivot(
        on="metric", index=["policy", "seed"], values="value").sort("policy", "seed")


def paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, int, int]:
    """Mean of ``b - a``, its Student-t 95% half-width, seeds where ``b > a``, seeds."""
    d = b - a
    half = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
    return float(d.mean()), half, int((d > 0).sum()), int(d.size)


def table(runs: pl.DataFrame) -> str:
    """Markdown: per mismatch, the old and improved means and the paired differences."""
    lines = ["| pair | metric | old | improved | improved - old | worse |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name in sorted({p.rsplit("_", 1)[0] for p in runs["policy"].to_list()}):
        old = runs.filter(pl.col("policy") == f"{name}_old").sort("seed")
        new = runs.filter(pl.col("policy") == f"{name}_improved").sort("seed")
        if old.height < 2 or old["seed"].to_list() != new["seed"].to_list():
            continue
        own = paired(old["upstream_mse_window"].to_numpy(), old["shadow_mse_window"].to_numpy())
        lines.append(f"| {name} | upstream MSE on the old system's rows | "
                     f"{old['upstream_mse_window'].mean():.4f} | "
                     f"{old['shadow_mse_window'].mean():.4f} | {own[0]:+.4f} ± {own[1]:.4f} | "
                     f"{own[2]}/{own[3]} |")
        own = paired(new["shadow_mse_window"].to_numpy(), new["upstream_mse_window"].to_numpy())
        lines.append(f"| {name} | upstream MSE on the improved system's rows | "
                     f"{new['shadow_mse_window'].mean():.4f} | "
                     f"{new['upstream_mse_window'].mean():.4f} | {own[0]:+.4f} ± {own[1]:.4f} | "
                     f"{own[2]}/{own[3]} |")
        if all(c in runs.columns for c in EXPLORE):
            lines += _explore_lines(name, old, new)
        own = paired(old["upstream_mse_window"].to_numpy(), new["upstream_mse_window"].to_numpy())
        lines.append(f"| {name} | upstream MSE, each on its own system's rows | "
                     f"{old['upstream_mse_window'].mean():.4f} | "
                     f"{new['upstream_mse_window'].mean():.4f} | {own[0]:+.4f} ± {own[1]:.4f} | "
                     f"{own[2]}/{own[3]} |")
        for metric in METRICS[:4]:
            d = paired(old[metric].to_numpy(), new[metric].to_numpy())
            lines.append(f"| {name} | {metric} | {old[metric].mean():.3f} | "
                         f"{new[metric].mean():.3f} | {d[0]:+.3f} ± {d[1]:.3f} | "
                         f"{d[2]}/{d[3]} |")
    return "\n".join(lines)


def _explore_lines(name: str, old: pl.DataFrame, new: pl.DataFrame) -> list[str]:
    """The improved upstream's MSE minus the old one's on each system's exploration rows,
    and each deployed upstream on its system's (the pair explores the same rows)."""
    up, sh = EXPLORE
    a = paired(old[up].to_numpy(), old[sh].to_numpy())
    b = paired(new[sh].to_numpy(), new[up].to_numpy())
    c = paired(old[up].to_numpy(), new[up].to_numpy())  # the same rows in both systems
    return [f"| {name} | upstream MSE on the old system's exploration rows | "
            f"{old[up].mean():.4f} | {old[sh].mean():.4f} | {a[0]:+.4f} ± {a[1]:.4f} | "
            f"{a[2]}/{a[3]} |",
            f"| {name} | upstream MSE on the improved system's exploration rows | "
            f"{new[sh].mean():.4f} | {new[up].mean():.4f} | {b[0]:+.4f} ± {b[1]:.4f} | "
            f"{b[2]}/{b[3]} |",
            f"| {name} | upstream MSE on the exploration rows, each deployed | "
            f"{old[up].mean():.4f} | {new[up].mean():.4f} | {c[0]:+.4f} ± {c[1]:.4f} | "
            f"{c[2]}/{c[3]} |"]


def by_day(sweeps: list[Path]) -> str:
    """Markdown: per sweep folder, pair and day, improved - old upstream MSE on each
    system's rows (one table per folder, never pooled)."""
    return "\n\n".join(f"`{d.name}`:\n\n{_by_day_table(d)}" for d in sweeps)


def _by_day_table(sweep: Path) -> str:
    frames = [pl.read_parquet(f) for f in sorted(sweep.glob("*/metrics.parquet"))]
    m = pl.concat(frames, how="diagonal_relaxed").filter(
        (pl.col("slice") == "all") & pl.col("metric").is_in(METRICS[4:]))
    m = m.pivot(on="metric", index=["policy", "seed", "t"], values="value")
    lines = ["| pair | day | on the old system's rows | on the improved system's rows |",
             "| --- | --- | --- | --- |"]
    for name in sorted({p.rsplit("_", 1)[0] for p in m["policy"].to_list()}):
        old = m.filter(pl.col("policy") == f"{name}_old")
        new = m.filter(pl.col("policy") == f"{name}_improved")
        for t in sorted(set(old["t"].to_list()) & set(new["t"].to_list())):
            o = old.filter(pl.col("t") == t).sort("seed")
            n = new.filter(pl.col("t") == t).sort("seed")
            if o.height < 2 or o["seed"].to_list() != n["seed"].to_list():
                continue
            a = paired(o["upstream_mse_window"].to_numpy(), o["shadow_mse_window"].to_numpy())
            b = paired(n["shadow_mse_window"].to_numpy(), n["upstream_mse_window"].to_numpy())
            lines.append(f"| {name} | {t:g} | {a[0]:+.4f} ± {a[1]:.4f} ({a[2]}/{a[3]} worse) | "
                         f"{b[0]:+.4f} ± {b[1]:.4f} ({b[2]}/{b[3]} worse) |")
    return "\n".join(lines)


def report(sweeps: list[Path]) -> str:
    """Markdown: one :func:`table` per sweep folder, each under the folder's name."""
    return "\n\n".join(f"`{d.name}`:\n\n{table(late_means([d]))}" for d in sweeps)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--by-day"]:
        print(by_day([Path(p) for p in sys.argv[2:]]))
    else:
        print(report([Path(p) for p in sys.argv[1:]]))
