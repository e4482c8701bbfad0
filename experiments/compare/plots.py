"""Comparison figures, as PNG and SVG. The only module that imports matplotlib.

Figures are built on :class:`matplotlib.figure.Figure` directly (Agg canvas, no pyplot
state), so drawing works in headless worker processes. Each group keeps one colour in
every figure of a comparison; built-in policies keep theirs across comparisons.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import polars as pl  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: Fixed colours of the built-in policies, so they read the same in every comparison.
BUILTIN_COLOURS = {
    "popularity": "#d62728", "ctr": "#ff7f0e", "random": "#7f7f7f", "oracle": "#000000",
    "epsilon_greedy": "#2ca02c", "rand_topn": "#17becf", "rand_pair": "#e377c2",
    "softmax": "#bcbd22", "pal": "#8c564b", "coec": "#1f77b4", "ips": "#9467bd",
    "thompson": "#637939", "ucb": "#843c39", "mf": "#e7ba52",
}
#: Colours handed out to the other groups (custom policies, swept settings), in order,
#: skipping those of the built-in policies in the same comparison.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#e6550d", "#31a354", "#756bb1",
           "#843c39", "#7b4173", "#6baed6", "#fd8d3c", "#74c476", "#9e9ac8")
#: Point labels on the trade-off figure only up to this length (else the legend names them).
MAX_POINT_LABEL = 18

#: Axis labels (with units) of the metrics drawn.
METRIC_LABELS = {
    "gini_exposure": "Gini of cumulative exposure\n(0 = equal, 1 = one item)",
    "gini_clicks": "Gini of cumulative clicks\n(0 = equal, 1 = one item)",
    "coverage_window": "coverage: share of items\nshown that day (fraction)",
    "tau_popularity": "Kendall τ: true value vs.\nclick ranking (−1 to 1)",
    "tau_scores": "Kendall τ: true value vs.\npolicy scores (−1 to 1)",
    "regret_window": "regret: expected clicks lost\nper session vs. oracle (clicks)",
    "expected_clicks_window": "expected clicks\nper session (clicks)",
    "ndcg_window": "NDCG@k of served slates\n(0 to 1)",
    "regret_avg": ("regret averaged over the run: expected clicks\n"
                   "lost per session vs. oracle (clicks)"),
    "drift_distance": "preference drift: mean distance\nfrom the start (0 to 2)",
    "user_entropy_window": "user entropy: spread of each user's\nclicks that window (0 to 1)",
    "homogenization": "homogenization: Jaccard of users'\nconsumed sets (0 to 1)",
}
#: Marker shapes handed out to groups in order (tell overlapping points apart).
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "<", ">", "p", "h", "*")
FORMATS = ("png", "svg")


def group_colours(groups: Sequence[str]) -> dict[str, str]:
    """One colour per group: a built-in policy its fixed colour, the others the palette."""
    taken = {BUILTIN_COLOURS[g] for g in groups if g in BUILTIN_COLOURS}
    free = [c for c in PALETTE if c not in taken] or list(PALETTE)
    others = iter(free * (1 + len(groups) // len(free)))
    return {g: BUILTIN_COLOURS.get(g) or next(others) for g in groups}


def short_names(groups: Sequence[str]) -> dict[str, str]:
    """Group names without the words every group shares (``ctr`` in a sweep of ctr only)."""
    words = [g.split(" ") for g in groups]
    common = set.intersection(*(set(w) for w in words)) if len(words) > 1 else set()
    out = {g: " ".join(x for x in w if x not in common) or g for g, w in zip(groups, words,
                                                                           strict=True)}
    return out if len(set(out.values())) == len(out) else {g: g for g in groups}


def draw_all(out_dir: Path, groups: Sequence[str], trajectories: pl.DataFrame,
             lorenz: pl.DataFrame, value_exposure: pl.DataFrame,
             finals: pl.DataFrame) -> list[Path]:
    """Draw every comparison figure into ``out_dir`` (the figures of :func:`figures`).

    Returns:
        The files written (PNG and SVG of each figure).
    """
    return save(out_dir, figures(groups, trajectories, lorenz, value_exposure, finals))


def save(out_dir: Path, drawn: dict[str, Figure]) -> list[Path]:
    """Write each figure of ``drawn`` as ``<name>.png`` and ``<name>.svg`` into ``out_dir``."""
    files = []
    for name, fig in drawn.items():
        for fmt in FORMATS:
            path = out_dir / f"{name}.{fmt}"
            fig.savefig(path, dpi=110, bbox_inches="tight")
            files.append(path)
    return files


def figures(groups: Sequence[str], trajectories: pl.DataFrame, lorenz: pl.DataFrame,
            value_exposure: pl.DataFrame, finals: pl.DataFrame) -> dict[str, Figure]:
    """Every comparison figure, as matplotlib :class:`~matplotlib.figure.Figure` objects.

    Args:
        groups: The groups, in legend order.
        trajectories: ``group, metric, t, mean, ci95, n`` (from ``aggregate.trajectories``).
        lorenz: ``group, item_share, mean, ci95, n``.
        value_exposure: ``group, bin, mean, ci95, n``.
        finals: ``group, metric, mean, ci95, n``: final values aggregated over seeds.

    Returns:
        ``{"trajectories" | "lorenz" | "value_exposure" | "tradeoff": figure}``, the ones
        with data.
    """
    names = short_names(groups)
    colours = {names[g]: c for g, c in group_colours(groups).items()}
    rename = {"group": pl.col("group").replace_strict(names, default=pl.col("group"))}
    trajectories, lorenz, value_exposure, finals = (
        f.with_columns(**rename) for f in (trajectories, lorenz, value_exposure, finals))
    groups = [names[g] for g in groups]
    drawn = {
        "trajectories": trajectory_figure(trajectories, groups, colours),
        "lorenz": lorenz_figure(lorenz, groups, colours),
        "value_exposure": value_exposure_figure(value_exposure, groups, colours),
        "tradeoff": tradeoff_figure(finals, groups, colours),
    }
    return {name: fig for name, fig in drawn.items() if fig is not None}


def trajectory_figure(traj: pl.DataFrame, groups: Sequence[str],
                      colours: dict[str, str]) -> Figure | None:
    """Metrics over simulated time, mean line and 95% band per group, one panel per metric.

    Panels follow the order of first appearance of the metrics in ``traj``.
    """
    metrics = traj["metric"].unique(maintain_order=True).to_list()
    if not metrics:
        return None
    ncols = 2 if len(metrics) > 1 else 1
    nrows = (len(metrics) + ncols - 1) // ncols
    fig = Figure(figsize=(5.2 * ncols, 3.4 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, metric in zip(axes, metrics, strict=False):
        rows = traj.filter(pl.col("metric") == metric)
        for g in groups:
            d = rows.filter(pl.col("group") == g).sort("t")
            if d.height:
                line_band(ax, d["t"].to_numpy(), d["mean"].to_numpy(),
                           d["ci95"].fill_null(0.0).to_numpy(), colours[g], g,
                           alpha=0.18 if len(groups) <= 6 else 0.07)
        ax.set_xlabel("simulated time (days)")
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
        ax.grid(alpha=0.3)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    legend_outside(fig, axes[0])
    fig.suptitle("Metrics over time (mean and 95% interval over seeds)")
    return fig


def lorenz_figure(lorenz: pl.DataFrame, groups: Sequence[str],
                  colours: dict[str, str]) -> Figure | None:
    """Lorenz curves of final exposure, mean over seeds: whole curve and the top 10% zoomed."""
    if lorenz.height == 0:
        return None
    fig = Figure(figsize=(10.0, 4.4), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, lo in zip(axes, (0.0, 90.0), strict=True):
        ax.plot([lo, 100], [lo, 100], color="#bbbbbb", ls="--", lw=1, label="equal exposure")
        for g in groups:
            d = lorenz.filter((pl.col("group") == g) & (pl.col("item_share") >= lo / 100))
            if d.height:
                d = d.sort("item_share")
                line_band(ax, 100 * d["item_share"].to_numpy(), 100 * d["mean"].to_numpy(),
                           100 * d["ci95"].fill_null(0.0).to_numpy(), colours[g], g)
        ax.set_xlim(lo, 100)
        ax.set_ylim(0, 100)
        ax.set_xlabel("items, least exposed first\n(cumulative % of available items)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("cumulative % of exposure (impressions)")
    axes[0].set_title("Lorenz curves of final exposure", fontsize=10)
    axes[1].set_title("zoom: the 10% most exposed items", fontsize=10)
    legend_outside(fig, axes[0])
    return fig


def value_exposure_figure(ve: pl.DataFrame, groups: Sequence[str],
                          colours: dict[str, str]) -> Figure | None:
    """Share of final exposure per true-value decile, one panel per group.

    Does the system find the good items? An oracle puts its exposure in the top bins,
    uniform random spreads it evenly, a degenerate loop puts it anywhere.
    """
    present = [g for g in groups if g in set(ve["group"].to_list())]
    if not present:
        return None
    bins = int(ve["bin"].max())
    ncols = min(4, len(present))
    nrows = (len(present) + ncols - 1) // ncols
    fig = Figure(figsize=(2.6 * ncols + 0.4, 2.2 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    for ax, g in zip(axes.ravel(), present, strict=False):
        d = ve.filter(pl.col("group") == g).sort("bin")
        ax.bar(d["bin"].to_numpy(), 100 * d["mean"].to_numpy(), color=colours[g], width=0.8,
               yerr=100 * d["ci95"].fill_null(0.0).to_numpy(), ecolor="#444444",
               error_kw={"lw": 0.8, "capsize": 1.5})
        ax.axhline(100 / bins, color="#888888", ls="--", lw=0.8)
        ax.set_title(textwrap.fill(g, 30), fontsize=8 if len(g) > 20 else 9, color=colours[g])
        ax.set_ylim(0, 100)
        ax.set_xticks([1, bins])
        ax.grid(alpha=0.3, axis="y")
    for ax in axes.ravel()[len(present):]:
        ax.set_visible(False)
    fig.supxlabel(f"true value of the item ({bins}-quantile of available items: "
                  f"1 = worst, {bins} = best)", fontsize=10)
    fig.supylabel("share of final exposure (% of impressions)", fontsize=10)
    fig.suptitle("Does the system find the good items? (dashed: uniform exposure; "
                 "bars: mean, whiskers: 95% interval)", fontsize=10)
    return fig


def tradeoff_figure(finals: pl.DataFrame, groups: Sequence[str],
                    colours: dict[str, str]) -> Figure | None:
    """Concentration (final Gini of exposure) against regret, one point per group.

    Regret is averaged over the whole run (``regret_avg``) when available, so that the
    cost of exploring early counts; else the last day's ``regret_window``.
    """
    gini = finals.filter(pl.col("metric") == "gini_exposure")
    x_metric = "regret_avg" if "regret_avg" in finals["metric"].to_list() else "regret_window"
    regret = finals.filter(pl.col("metric") == x_metric)
    if gini.height == 0 or regret.height == 0:
        return None
    both = gini.join(regret, on="group", suffix="_r")
    longest = max(len(g) for g in groups)
    fig = Figure(figsize=(5.8 + 0.07 * longest, 5.2), layout="constrained")
    ax = fig.subplots()
    points = []
    for i, g in enumerate(groups):
        d = both.filter(pl.col("group") == g)
        if d.height == 0:
            continue
        r = d.row(0, named=True)
        ax.errorbar(r["mean_r"], r["mean"], xerr=r["ci95_r"] or 0.0, yerr=r["ci95"] or 0.0,
                    color=colours[g], marker=MARKERS[i % len(MARKERS)], ms=7, capsize=3,
                    ls="none", label=g, alpha=0.9)
        points.append((r["mean_r"], r["mean"], g))
    ax.set_xlabel(METRIC_LABELS.get(x_metric, x_metric).replace("\n", " "))
    ax.set_ylabel("concentration: Gini of cumulative exposure\n(0 = equal, 1 = one item)")
    ax.set_title("Trade-off: lower left is better (less concentration, less regret)",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.margins(0.12)
    if longest <= MAX_POINT_LABEL:
        _label_points(ax, points, colours)
    legend_outside(fig, ax)
    return fig


def _label_points(ax: Axes, points: list[tuple[float, float, str]],
                  colours: dict[str, str]) -> None:
    """Name each point beside it, moving labels apart vertically where they would collide."""
    fig = ax.get_figure()
    fig.canvas.draw()  # fix the limits and the layout before measuring
    px_per_pt = fig.dpi / 72.0
    placed: list[tuple[float, float, float]] = []  # label boxes (x, y, width), pixels
    line = 10.0  # points
    for x, y, g in sorted(points, key=lambda p: (p[0], p[1])):
        px, py = ax.transData.transform((x, y))
        width = (4.9 * len(g) + 6) * px_per_pt
        for step in range(40):
            dy = 3.0 + line * ((step + 1) // 2) * (1 if step % 2 == 0 else -1)
            ly = py + dy * px_per_pt
            if not any(abs(ly - qy) < line * px_per_pt and px < qx + qw and qx < px + width
                       for qx, qy, qw in placed):
                break
        placed.append((px, ly, width))
        ax.annotate(g, (x, y), xytext=(6, dy), textcoords="offset points", fontsize=8,
                    color=colours[g], va="bottom" if dy > 0 else "top",
                    arrowprops={"arrowstyle": "-", "color": colours[g], "lw": 0.5,
                                "alpha": 0.6} if abs(dy) > line else None)


def line_band(ax: Axes, x, mean, half, colour: str, label: str, alpha: float = 0.18) -> None:
    ax.plot(x, mean, color=colour, lw=1.6, label=label)
    ax.fill_between(x, mean - half, mean + half, color=colour, alpha=alpha, lw=0)


def legend_outside(fig: Figure, ax: Axes) -> None:
    """One legend for the figure, to the right of the axes, never over the data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside right upper", fontsize=8, frameon=False)
