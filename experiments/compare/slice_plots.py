"""Figures of slices, gaps and monitoring (drawn by ``loopsim-compare`` when present).

* ``slices/<group>.png``: per group, each slice family's trajectories against ``all``;
* ``gaps.png``: one slice minus another (e.g. regret of new users minus old), per group;
* ``monitoring.png``: regret over time per group, the world's shift times (dashed) and
  the monitor's alerts (ticks, one row per seed) and rollbacks (crosses);
* ``time_to_detect.png``: days from each shift to its first alert, and false alarms,
  per group.

Titles say what the bands and whiskers are over (``mean and 95% t-interval over 3 seeds
× worlds``: :func:`~loopsim.experiments.compare.plots.interval_note`); with one run per
group none is drawn.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
from loopsim.experiments.compare.plots import (
    FORMATS,
    METRIC_LABELS,
    SEEDS,
    bbox,
    group_colours,
    has_intervals,
    interval_note,
    legend_outside,
    line_band,
    short_names,
)
from matplotlib.figure import Figure

__all__ = ["draw_slices"]

#: Slice families, in panel order: (title, regex of the slice names, metric drawn).
FAMILIES = (
    ("users by activity", r"user_activity_", "regret_window"),
    ("users new / old", r"user_(new|old)$", "regret_window"),
    ("users by taste", r"user_taste_", "regret_window"),
    ("items new / old", r"item_(new|old)$", "ctr_window"),
    ("items by exposure", r"item_(head|torso|tail)$", "rank_error"),
    ("items by topic", r"item_topic_", "ctr_window"),
)
SLICE_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                 "#e377c2", "#17becf")


def _save(fig: Figure, path: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    out = []
    for fmt in formats:
        p = path.with_suffix(f".{fmt}")
        fig.savefig(p, dpi=110, bbox_inches=bbox(fig))
        out.append(p)
    return out


def _half(d: pl.DataFrame, bands: bool) -> np.ndarray | None:
    """The band's half-width of ``d`` (``None``: no band, one run per group)."""
    return d["ci95"].fill_null(0.0).to_numpy() if bands else None


def _file_name(group: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", group).strip("_")[:120] or "group"


def slice_figure(traj: pl.DataFrame, all_traj: pl.DataFrame, group: str,
                 unit: str = SEEDS) -> Figure | None:
    """One group's slice families: each slice's trajectory, and ``all`` dashed."""
    g = traj.filter(pl.col("group") == group)
    bands = has_intervals(g)
    panels = []
    for title, pattern, metric in FAMILIES:
        rows = g.filter(pl.col("slice").str.contains(pattern) & (pl.col("metric") == metric))
        if rows.height:
            panels.append((title, metric, rows))
    if not panels:
        return None
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(4.6 * ncols, 3.3 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (title, metric, rows) in zip(axes, panels, strict=False):
        for i, name in enumerate(sorted(rows["slice"].unique().to_list())):
            d = rows.filter(pl.col("slice") == name).sort("t")
            line_band(ax, d["t"].to_numpy(), d["mean"].to_numpy(), _half(d, bands),
                      SLICE_PALETTE[i % len(SLICE_PALETTE)], name)
        a = all_traj.filter((pl.col("group") == group) & (pl.col("metric") == metric)).sort("t")
        if a.height:
            ax.plot(a["t"], a["mean"], color="black", ls="--", lw=1.2, label="all")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("simulated time (days)")
        ax.set_ylabel(METRIC_LABELS.get(metric, metric), fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, frameon=False)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"{group}: metrics per slice ({interval_note(g, unit)})", fontsize=10)
    return fig


def gap_figure(gap: pl.DataFrame, groups: Sequence[str],
               colours: dict[str, str], unit: str = SEEDS) -> Figure | None:
    """One panel per gap (slice minus slice), one line per group, zero marked."""
    names = gap["gap"].unique(maintain_order=True).to_list()
    if not names:
        return None
    bands = has_intervals(gap)
    ncols = min(2, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = Figure(figsize=(5.4 * ncols, 3.4 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        rows = gap.filter(pl.col("gap") == name)
        for g in groups:
            d = rows.filter(pl.col("group") == g).sort("t")
            if d.height:
                line_band(ax, d["t"].to_numpy(), d["mean"].to_numpy(), _half(d, bands),
                          colours[g], g, alpha=0.1)
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("simulated time (days)")
        ax.set_ylabel("gap (first slice minus second)", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    legend_outside(fig, axes[0])
    fig.suptitle(f"Gaps between slices ({interval_note(gap, unit)})", x=0.01, ha="left")
    return fig


def monitoring_figure(all_traj: pl.DataFrame, events: pl.DataFrame,
                      shifts: dict[str, tuple[float, ...]], groups: Sequence[str],
                      colours: dict[str, str], unit: str = SEEDS) -> Figure | None:
    """Regret over time per group, with shift times, alerts and rollbacks marked."""
    regret = all_traj.filter(pl.col("metric") == "regret_window")
    if regret.height == 0 or (events.height == 0 and not any(shifts.values())):
        return None
    bands = has_intervals(regret)
    ncols = min(3, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    fig = Figure(figsize=(4.6 * ncols, 3.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True).ravel()
    for ax, g in zip(axes, groups, strict=False):
        d = regret.filter(pl.col("group") == g).sort("t")
        if d.height:
            line_band(ax, d["t"].to_numpy(), d["mean"].to_numpy(), _half(d, bands),
                      colours[g], "regret")
        for s in shifts.get(g, ()):
            ax.axvline(s, color="black", ls="--", lw=1.0)
        e = events.filter(pl.col("group") == g)
        seeds = sorted(e["seed"].unique().to_list())
        low = ax.get_ylim()[0]
        for i, seed in enumerate(seeds):
            es = e.filter(pl.col("seed") == seed)
            for kind, marker in (("alert", "|"), ("rollback", "x")):
                t = es.filter(pl.col("kind") == kind)["t"].to_numpy()
                if t.size:
                    ax.plot(t, [low] * t.size, ls="", marker=marker, ms=8 + i,
                            color="#d62728" if kind == "alert" else "black", alpha=0.6)
        ax.set_title(g, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(groups):]:
        ax.set_visible(False)
    axes[0].set_ylabel(METRIC_LABELS["regret_window"], fontsize=8)
    fig.suptitle("Regret over time (" + interval_note(regret, unit) + ")\ndashed: the "
                 "world's shift; red ticks: alerts (one size per seed); crosses: rollbacks",
                 fontsize=10)
    return fig


def detection_figure(finals: pl.DataFrame, groups: Sequence[str], colours: dict[str, str],
                     shifts: dict[str, tuple[float, ...]] | None = None,
                     unit: str = SEEDS) -> Figure | None:
    """Time to detect and false alarms per monitored group (mean and 95% interval).

    Each time-to-detect bar says in what share of the runs the shifts were detected.
    """
    shifts = shifts or {}
    panels = [m for m in ("monitor_time_to_detect", "monitor_false_alarms",
                          "guard_regret_saved") if finals.filter(pl.col("metric") == m).height]
    if "monitor_time_to_detect" not in panels and "monitor_false_alarms" not in panels:
        return None
    shown = [g for g in groups
             if finals.filter((pl.col("group") == g)
                              & pl.col("metric").str.starts_with("monitor_")).height]
    drawn = finals.filter(pl.col("metric").is_in(panels))
    whiskers = has_intervals(drawn)
    fig = Figure(figsize=(4.4 * len(panels), 0.35 * len(shown) + 1.6), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False, sharey=True).ravel()
    labels = {"monitor_time_to_detect": "days from the shift to the first alert",
              "monitor_false_alarms": "false alarms per run",
              "guard_regret_saved": "regret saved by rollbacks\n(per session, summed)"}
    for ax, metric in zip(axes, panels, strict=True):
        rows = finals.filter(pl.col("metric") == metric)
        for y, g in enumerate(shown):
            r = rows.filter(pl.col("group") == g)
            if r.height and r["mean"][0] is not None:
                ax.barh(y, r["mean"][0], color=colours[g],
                        xerr=r["ci95"].fill_null(0.0)[0] if whiskers else None)
            if metric != "monitor_time_to_detect":
                continue
            if not shifts.get(g):
                ax.text(0, y, "  no known shift", va="center", fontsize=7)
                continue
            found = finals.filter((pl.col("group") == g)
                                  & (pl.col("metric") == "monitor_detected_shifts"))
            share = (float(found["mean"][0]) / len(shifts[g]) if found.height else 0.0)
            ax.text(0, y, f"  detected in {100 * share:.0f}% of runs", va="center",
                    fontsize=7)
        ax.set_yticks(range(len(shown)), shown, fontsize=7)
        ax.set_xlabel(labels[metric], fontsize=8)
        ax.grid(alpha=0.3, axis="x")
    fig.suptitle(f"Monitoring: detection per setting ({interval_note(drawn, unit)})",
                 fontsize=10)
    return fig


def draw_slices(out_dir: Path, groups: Sequence[str], traj: pl.DataFrame,
                all_traj: pl.DataFrame, gap: pl.DataFrame, events: pl.DataFrame,
                shifts: dict[str, tuple[float, ...]], finals: pl.DataFrame,
                unit: str = SEEDS) -> list[Path]:
    """Draw the slice, gap and monitoring figures that the runs have data for; ``unit``
    names the replicates in the titles
    (:func:`~loopsim.experiments.compare.aggregate.replicate_unit`)."""
    names = short_names(groups)
    colours = {names[g]: c for g, c in group_colours(groups).items()}
    rename = {"group": pl.col("group").replace_strict(names, default=pl.col("group"))}
    traj, all_traj, gap, events, finals = (f.with_columns(**rename) for f in
                                           (traj, all_traj, gap, events, finals))
    shifts = {names.get(g, g): s for g, s in shifts.items()}
    short = [names[g] for g in groups]
    files: list[Path] = []
    if traj.height:
        (out_dir / "slices").mkdir(exist_ok=True)
        for g in short:
            fig = slice_figure(traj, all_traj, g, unit)
            if fig is not None:
                files += _save(fig, out_dir / "slices" / _file_name(g), ("png",))
    for name, fig in (("gaps", gap_figure(gap, short, colours, unit)),
                      ("monitoring", monitoring_figure(all_traj, events, shifts, short,
                                                       colours, unit)),
                      ("time_to_detect", detection_figure(finals, short, colours, shifts,
                                                          unit))):
        if fig is not None:
            files += _save(fig, out_dir / name)
    return files
