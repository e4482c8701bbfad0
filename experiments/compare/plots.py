"""Comparison figures, as PNG and SVG. The only module that imports matplotlib.

Figures are :class:`LoopsimFigure` objects (a :class:`matplotlib.figure.Figure` with its
own Agg canvas and no pyplot state): the user's matplotlib backend is never changed, drawing
works in headless worker processes, and a figure displays inline in Jupyter (as PNG) even
where pyplot was never imported. Each group keeps one colour in every figure of a
comparison; built-in policies keep theirs across comparisons.

Intervals are Student-t 95% intervals of the mean over the replicates of a group; every
title says over how many and what they are (``5 seeds × worlds`` when each run draws its
own world, ``5 seeds, one world`` when ``world.seed`` is fixed:
:func:`~loopsim.experiments.compare.aggregate.replicate_unit`), and with one run per group
no interval is drawn. Where the comparison
has a reference policy, the trade-off figure claims an ordering only where the paired
difference from it is significant after Holm's correction (hollow markers, grey labels:
no significant difference on either axis).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
from loopsim.experiments.compare.labels import place_labels
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

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
MAX_POINT_LABEL = 24
#: With more groups than this, trajectories are drawn as small multiples (one row each).
MAX_OVERLAID = 6

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
#: The comparison figures of :func:`figures`, in the order they are drawn and saved.
FIGURES = ("trajectories", "lorenz", "value_exposure", "tradeoff", "differences")


class LoopsimFigure(Figure):
    """A figure with its own Agg canvas that shows itself inline in Jupyter.

    ``_repr_png_`` is used by IPython where no figure formatter is registered (pyplot
    never imported); where the inline backend registered one, that one is used. Either
    way the output is an ``image/png``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        FigureCanvasAgg(self)

    def _repr_png_(self) -> bytes:
        return png_bytes(self)


def bbox(fig: Figure) -> str | None:
    """How ``fig`` is cropped when saved: ``"tight"``, unless it was laid out by hand
    (no layout engine: its margins are set in inches, and measuring every artist of a
    large grid again costs more than drawing it)."""
    return None if fig.get_layout_engine() is None else "tight"


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (as saved: :func:`bbox`)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches=bbox(fig))
    return buf.getvalue()


#: The replicates of a group when the caller does not say (see ``interval_note``).
SEEDS = "seeds"


def interval_note(frame: pl.DataFrame, unit: str = SEEDS) -> str:
    """What the intervals of ``frame`` (with an ``n`` column) are over, for a title.

    ``unit`` names the replicates (``"seeds × worlds"``, ``"seeds, one world"``,
    ``"worlds"``: :func:`~loopsim.experiments.compare.aggregate.replicate_unit`).
    """
    if frame.height == 0 or "n" not in frame.columns:
        return ""
    lo, hi = int(frame["n"].min() or 0), int(frame["n"].max() or 0)
    if hi <= 1:
        return f"one {'world' if unit == 'worlds' else 'seed'} per group: no interval"
    count = f"{hi}" if lo == hi else f"{lo}–{hi}"
    return f"mean and 95% t-interval over {count} {unit}"


def has_intervals(frame: pl.DataFrame) -> bool:
    """True when some group of ``frame`` has more than one run (an interval to draw)."""
    return frame.height > 0 and int(frame["n"].max() or 0) > 1


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


def save(out_dir: Path, drawn: dict[str, Figure],
         formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write each figure of ``drawn`` as ``<name>.<format>`` into ``out_dir``, for each of
    ``formats`` (PNG and SVG)."""
    files = []
    for name, fig in drawn.items():
        for fmt in formats:
            path = out_dir / f"{name}.{fmt}"
            fig.savefig(path, dpi=110, bbox_inches=bbox(fig))
            files.append(path)
    return files


def figures(groups: Sequence[str], trajectories: pl.DataFrame, lorenz: pl.DataFrame,
            value_exposure: pl.DataFrame, finals: pl.DataFrame,
            differences: pl.DataFrame | None = None,
            reference: str | None = None, unit: str = SEEDS,
            only: set[str] | None = None) -> dict[str, Figure]:
    """Every comparison figure, as matplotlib :class:`~matplotlib.figure.Figure` objects.

    Args:
        groups: The groups, in legend order.
        trajectories: ``group, metric, t, mean, ci95, n`` (from ``aggregate.trajectories``).
        lorenz: ``group, item_share, mean, ci95, n``.
        value_exposure: ``group, bin, mean, ci95, n``.
        finals: ``group, metric, mean, ci95, n``: final values aggregated over seeds.
        differences: Paired differences from ``reference``
            (:func:`loopsim.experiments.compare.paired.paired_differences`).
        reference: The reference group.
        unit: What a group's replicates are, for the titles (``"seeds × worlds"``...:
            :func:`~loopsim.experiments.compare.aggregate.replicate_unit`).
        only: Draw only the figures of these names (default: all).

    Returns:
        ``{"trajectories" | "lorenz" | "value_exposure" | "tradeoff": figure}``, the ones
        with data.
    """
    names = short_names(groups)
    colours = {names[g]: c for g, c in group_colours(groups).items()}
    rename = {"group": pl.col("group").replace_strict(names, default=pl.col("group"))}
    trajectories, lorenz, value_exposure, finals = (
        f.with_columns(**rename) for f in (trajectories, lorenz, value_exposure, finals))
    if differences is not None and differences.height:
        differences = differences.with_columns(**rename)
    ref = names.get(reference) if reference is not None else None
    groups = [names[g] for g in groups]
    makers = {
        "trajectories": lambda: trajectory_figure(trajectories, groups, colours, unit),
        "lorenz": lambda: lorenz_figure(lorenz, groups, colours, unit),
        "value_exposure": lambda: value_exposure_figure(value_exposure, groups, colours, unit),
        "tradeoff": lambda: tradeoff_figure(finals, groups, colours, differences, ref, unit),
        "differences": lambda: difference_figure(differences, groups, colours, ref, unit),
    }
    drawn = {name: make() for name, make in makers.items() if only is None or name in only}
    return {name: fig for name, fig in drawn.items() if fig is not None}


def trajectory_figure(traj: pl.DataFrame, groups: Sequence[str],
                      colours: dict[str, str], unit: str = SEEDS) -> Figure | None:
    """Metrics over simulated time, mean line and 95% band per group, one panel per metric.

    Panels follow the order of first appearance of the metrics in ``traj``. With more than
    :data:`MAX_OVERLAID` groups, small multiples instead: one row per group, its own line
    in colour over every other group's in light grey (:func:`_trajectory_rows`).
    """
    metrics = traj["metric"].unique(maintain_order=True).to_list()
    if not metrics:
        return None
    if len(groups) > MAX_OVERLAID:
        return _trajectory_rows(traj, groups, colours, metrics, unit)
    bands = has_intervals(traj)
    ncols = 2 if len(metrics) > 1 else 1
    nrows = (len(metrics) + ncols - 1) // ncols
    fig = LoopsimFigure(figsize=(5.2 * ncols, 3.4 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, metric in zip(axes, metrics, strict=False):
        rows = traj.filter(pl.col("metric") == metric)
        for g in groups:
            d = rows.filter(pl.col("group") == g).sort("t")
            if d.height:
                line_band(ax, d["t"].to_numpy(), d["mean"].to_numpy(),
                           d["ci95"].fill_null(0.0).to_numpy() if bands else None,
                           colours[g], g)
        ax.set_xlabel("simulated time (days)")
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
        ax.grid(alpha=0.3)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    legend_outside(fig, axes[0])
    fig.suptitle(f"Metrics over time ({interval_note(traj, unit)})")
    return fig


def _trajectory_rows(traj: pl.DataFrame, groups: Sequence[str], colours: dict[str, str],
                     metrics: list[str], unit: str = SEEDS) -> Figure:
    """Small multiples: one row per group, one column per metric, the others in grey.

    Laid out by hand (margins in inches; :func:`bbox`): the constrained layout and the
    tight crop measured every tick of the grid again, 70% of the figure's cost (12 groups
    x 4 metrics: 14 s of the main job's 22 s comparison, 4.9 s now).
    """
    bands = has_intervals(traj)
    width, height = 2.9 * len(metrics) + 1.6, 1.25 * len(groups) + 1.4
    fig = LoopsimFigure(figsize=(width, height))
    axes = fig.subplots(len(groups), len(metrics), squeeze=False, sharex=True, sharey="col")
    fig.subplots_adjust(left=1.55 / width, right=1 - 0.15 / width, bottom=0.55 / height,
                        top=1 - 0.95 / height, wspace=0.28, hspace=0.3)
    for c, metric in enumerate(metrics):
        rows = traj.filter(pl.col("metric") == metric)
        series = {g: rows.filter(pl.col("group") == g).sort("t") for g in groups}
        for r, g in enumerate(groups):
            ax = axes[r, c]
            for other, d in series.items():
                if other != g and d.height:
                    ax.plot(d["t"].to_numpy(), d["mean"].to_numpy(), color="#cccccc", lw=0.7)
            d = series[g]
            if d.height:
                line_band(ax, d["t"].to_numpy(), d["mean"].to_numpy(),
                           d["ci95"].fill_null(0.0).to_numpy() if bands else None,
                           colours[g], g)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel(textwrap.fill(g, 16), rotation=0, ha="right", va="center",
                              fontsize=8, color=colours[g])
        axes[0, c].set_title(textwrap.fill(METRIC_LABELS.get(metric, metric).replace(
            "\n", " "), 40), fontsize=8)
        axes[-1, c].set_xlabel("simulated time (days)", fontsize=8)
    fig.suptitle(f"Metrics over time, one row per group, the others in grey "
                 f"({interval_note(traj, unit)})", fontsize=10)
    return fig


def lorenz_figure(lorenz: pl.DataFrame, groups: Sequence[str],
                  colours: dict[str, str], unit: str = SEEDS) -> Figure | None:
    """Lorenz curves of final exposure, mean over seeds: whole curve and the top 10% zoomed."""
    if lorenz.height == 0:
        return None
    fig = LoopsimFigure(figsize=(10.0, 4.4), layout="constrained")
    axes = fig.subplots(1, 2)
    bands = has_intervals(lorenz)
    for ax, lo in zip(axes, (0.0, 90.0), strict=True):
        ax.plot([lo, 100], [lo, 100], color="#bbbbbb", ls="--", lw=1, label="equal exposure")
        for g in groups:
            d = lorenz.filter((pl.col("group") == g) & (pl.col("item_share") >= lo / 100))
            if d.height:
                d = d.sort("item_share")
                line_band(ax, 100 * d["item_share"].to_numpy(), 100 * d["mean"].to_numpy(),
                           100 * d["ci95"].fill_null(0.0).to_numpy() if bands else None,
                           colours[g], g)
        ax.set_xlim(lo, 100)
        ax.set_ylim(0, 100)
        ax.set_xlabel("items, least exposed first\n(cumulative % of available items)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("cumulative % of exposure (impressions)")
    axes[0].set_title("Lorenz curves of final exposure", fontsize=10)
    axes[1].set_title("zoom: the 10% most exposed items", fontsize=10)
    fig.suptitle(f"Lorenz curves ({interval_note(lorenz, unit)})", fontsize=10)
    legend_outside(fig, axes[0])
    return fig


def value_exposure_figure(ve: pl.DataFrame, groups: Sequence[str],
                          colours: dict[str, str], unit: str = SEEDS) -> Figure | None:
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
    fig = LoopsimFigure(figsize=(2.6 * ncols + 0.4, 2.2 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    whiskers = has_intervals(ve)
    for ax, g in zip(axes.ravel(), present, strict=False):
        d = ve.filter(pl.col("group") == g).sort("bin")
        ax.bar(d["bin"].to_numpy(), 100 * d["mean"].to_numpy(), color=colours[g], width=0.8,
               yerr=100 * d["ci95"].fill_null(0.0).to_numpy() if whiskers else None,
               ecolor="#444444",
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
    note = interval_note(ve, unit)
    fig.suptitle("Does the system find the good items?\n(dashed: uniform exposure; bars: "
                 + (note.replace("mean and ", "mean, whiskers: ") if whiskers else note) + ")",
                 fontsize=10)
    return fig


def tradeoff_figure(finals: pl.DataFrame, groups: Sequence[str], colours: dict[str, str],
                    differences: pl.DataFrame | None = None,
                    reference: str | None = None, unit: str = SEEDS) -> Figure | None:
    """Concentration (final Gini of exposure) against regret, one point per group.

    Regret is averaged over the whole run (``regret_avg``) when available, so that the
    cost of exploring early counts; else the last day's ``regret_window``. Points are
    named beside them without overlaps (the legend then only explains the markers); long
    names go to a legend instead. With a reference, a group whose paired difference from
    it is significant on neither axis is hollow with a grey name: no ordering claimed.
    """
    gini = finals.filter(pl.col("metric") == "gini_exposure")
    x_metric = "regret_avg" if "regret_avg" in finals["metric"].to_list() else "regret_window"
    regret = finals.filter(pl.col("metric") == x_metric)
    if gini.height == 0 or regret.height == 0:
        return None
    both = gini.join(regret, on="group", suffix="_r")
    tied = _tied_with_reference(differences, reference, (x_metric, "gini_exposure"))
    longest = max(len(g) for g in groups)
    labelled = longest <= MAX_POINT_LABEL
    fig = LoopsimFigure(figsize=(7.2 if labelled else 5.8 + 0.07 * longest, 5.4),
                        layout="constrained")
    ax = fig.subplots()
    points = []
    for i, g in enumerate(groups):
        d = both.filter(pl.col("group") == g)
        if d.height == 0:
            continue
        r = d.row(0, named=True)
        hollow = g in tied
        xerr, yerr = r["ci95_r"], r["ci95"]  # None with one run: no whiskers, no caps
        ax.errorbar(r["mean_r"], r["mean"], xerr=xerr, yerr=yerr,
                    color=colours[g], marker=MARKERS[i % len(MARKERS)], ms=7,
                    capsize=3 if xerr or yerr else 0,
                    ls="none", label=g, alpha=0.9, mfc="white" if hollow else colours[g],
                    mew=2.2 if g == reference else 1.2,
                    mec="black" if g == reference else colours[g])
        points.append((r["mean_r"], r["mean"], g))
    ax.set_xlabel(METRIC_LABELS.get(x_metric, x_metric).replace("\n", " "))
    ax.set_ylabel("concentration: Gini of cumulative exposure\n(0 = equal, 1 = one item)")
    note = interval_note(both.select("n"), unit)
    lines = ["Trade-off: lower left is better (less concentration, less regret)",
             f"points: {note}" if note else ""]
    if reference is not None and differences is not None and differences.height:
        if int(differences["n_pairs"].max() or 0) > 1:
            lines.append(f"hollow, grey name: no significant difference from {reference} "
                         "on either axis (paired by seed, Holm)")
        lines[-1] += f"; black edge: {reference}"
    ax.set_title("\n".join(x for x in lines if x), fontsize=9)
    ax.grid(alpha=0.3)
    ax.margins(0.15)
    if labelled:
        fig.draw_without_rendering()
        fig.set_layout_engine("none")  # labels are placed in pixels: freeze the layout
        place_labels(ax, points, colours, greys=tied)
    else:
        legend_outside(fig, ax)
    return fig


#: Metrics drawn in the differences figure, first present first (at most three).
DIFFERENCE_METRICS = ("regret_avg", "regret_window", "gini_exposure", "tau_popularity",
                      "coverage_window")


def difference_figure(differences: pl.DataFrame | None, groups: Sequence[str],
                      colours: dict[str, str], reference: str | None,
                      unit: str = SEEDS) -> Figure | None:
    """Each group's paired difference from the reference, with its 95% interval (a forest
    plot per metric): filled in colour where significant after Holm, grey where not."""
    if differences is None or reference is None or differences.height == 0:
        return None
    metrics = [m for m in DIFFERENCE_METRICS if m in set(differences["metric"])]
    metrics = [m for m in metrics if not (m == "regret_window" and "regret_avg" in metrics)][:3]
    if not metrics:
        return None
    order = [g for g in groups if g != reference and g in set(differences["group"])]
    pairs = int(differences["n_pairs"].max() or 0)
    fig = LoopsimFigure(figsize=(3.6 * len(metrics) + 1.8, 0.34 * len(order) + 1.6),
                        layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False, sharey=True)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        rows = {r["group"]: r for r in differences.filter(pl.col("metric") == metric)
                .iter_rows(named=True)}
        for y, g in enumerate(order):
            r = rows.get(g)
            if r is None or r["diff"] is None:
                continue
            sig = bool(r["significant"])
            colour = colours[g] if sig else "#9a9a9a"
            ax.errorbar(r["diff"], y, xerr=r["diff_ci95"] if r["diff_ci95"] is not None
                        else None, color=colour, marker="o", ms=6, capsize=3, ls="none",
                        mfc=colour if sig else "white")
        ax.axvline(0.0, color="black", lw=0.8)
        ax.set_title(METRIC_LABELS.get(metric, metric).split("\n")[0] + "\n"
                     f"minus {reference}", fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_yticks(range(len(order)), [textwrap.shorten(g, 28) for g in order],
                       fontsize=8)
    axes[0].invert_yaxis()
    how = (f"paired by seed: mean and 95% t-interval over {pairs} {unit}; filled: "
           "significant after Holm, grey: not (no ordering claimed)" if pairs > 1
           else "one seed: single differences, no interval, no test")
    fig.suptitle(f"Difference from {reference} ({how})", fontsize=9)
    return fig


def _tied_with_reference(differences: pl.DataFrame | None, reference: str | None,
                         metrics: Sequence[str]) -> set[str]:
    """Groups whose paired difference from the reference is significant on none of
    ``metrics`` (a group without a test, e.g. one seed, is not marked)."""
    if differences is None or reference is None or differences.height == 0:
        return set()
    d = differences.filter(pl.col("metric").is_in(list(metrics))
                           & pl.col("significant").is_not_null())
    tested = d.group_by("group").agg(pl.col("significant").any().alias("any"),
                                     pl.len().alias("k"))
    return set(tested.filter(~pl.col("any") & (pl.col("k") == len(metrics)))["group"])


def line_band(ax: Axes, x, mean, half, colour: str, label: str, alpha: float = 0.18) -> None:
    """A mean line and, when ``half`` is given, its interval as a band."""
    ax.plot(x, mean, color=colour, lw=1.6, label=label)
    if half is not None:
        ax.fill_between(x, mean - half, mean + half, color=colour, alpha=alpha, lw=0)


def legend_outside(fig: Figure, ax: Axes) -> None:
    """One legend for the figure, to the right of the axes, never over the data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside right upper", fontsize=8, frameon=False)
