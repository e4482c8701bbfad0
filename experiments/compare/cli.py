"""``loopsim-compare DIR [DIR ...]``: tables and figures from the runs of one or more sweeps.

Writes into the output folder (the sweep folder when one is given):

* ``summary.csv`` / ``summary.md``: the final value of each key metric per group (a
  policy, or a policy with swept settings), mean ± 95% interval over seeds, and the
  unpredictability U when the world is fixed; failed and missing runs are counted per
  group and listed one by one;
* ``differences.csv``: each group's paired difference from the reference policy (default
  ``ctr``, ``--reference``) by seed, with its 95% interval and its significance after a
  Holm correction over the groups compared (:mod:`loopsim.experiments.compare.paired`);
* ``report.html``: all of it in one self-contained page (figures embedded), to open or
  send (:mod:`loopsim.experiments.compare.report`);
* ``runs.csv``: every run folder found, with its status and group;
* ``slices.csv``: with sliced metrics, each slice's metrics averaged over the run,
  mean ± 95% interval over seeds;
* figures as PNG and SVG (see :mod:`loopsim.experiments.compare.plots`, and
  :mod:`loopsim.experiments.compare.slice_plots` for slices, gaps and monitoring).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from loopsim.experiments.compare import aggregate as agg
from loopsim.experiments.compare import names, paired, slice_report, terminal
from loopsim.experiments.runs.cores import usable_cores
from loopsim.experiments.runs.table import (
    config_conflicts,
    find_run_dirs,
    find_unstarted,
    read_run,
    runs_table,
)
from loopsim.simulator.errors import DataError, LoopsimError, UnsafePathError

#: Metrics in the summary table, in this order (those present in the runs).
KEY_METRICS = (
    "gini_exposure", "top10_share_exposure", "coverage_window", "tau_popularity",
    "tau_scores", "precision_at_k", "ndcg_window", "expected_clicks_window", "regret_window",
    "regret_avg", "monitor_alerts", "monitor_true_alarms", "monitor_false_alarms",
    "monitor_time_to_detect", "guard_rollbacks", "guard_regret_saved",
)
#: What a metric's name looks like (``<measure>_<signal>[_window]``).
_METRIC_NAME = re.compile(r"[a-z][a-z0-9_]*")
#: Metrics drawn as trajectories.
TRAJECTORY_METRICS = ("gini_exposure", "coverage_window", "tau_popularity", "regret_window")


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` computed (also written to disk).

    Attributes:
        runs: One row per run folder (:func:`loopsim.experiments.runs.table.runs_table`).
        summary: One row per group: counts, ``<metric>_mean`` / ``<metric>_ci95``, U.
        files: The files written.
        figures: The figures drawn, as matplotlib objects (``{}`` without plots).
        differences: Each group's paired difference from ``reference`` per key metric
            (:func:`loopsim.experiments.compare.paired.paired_differences`).
        reference: The reference group (``None`` when absent from the runs).
        sort: The metric the printed table is sorted by.
        warnings: Groups that pool runs whose configs differ beyond their overrides
            (:func:`loopsim.experiments.runs.table.config_conflicts`).
        notes: Names asked for that the runs lack and that were skipped (a reference
            group, a sort metric, trajectory metrics: :mod:`~loopsim.experiments.compare.
            names`), one line each.
    """

    runs: pl.DataFrame
    summary: pl.DataFrame
    files: tuple[Path, ...]
    figures: dict[str, Any] = field(default_factory=dict)
    differences: pl.DataFrame = field(default_factory=pl.DataFrame)
    reference: str | None = None
    sort: str | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def table(self, width: int = terminal.WIDTH) -> str:
        """The summary sorted by :attr:`sort`, at most ``width`` columns, with the paired
        differences from the reference (what ``loopsim-compare`` prints)."""
        return terminal.terminal_table(self.summary, self.differences, self.reference,
                                       self.sort, width)

    def _repr_markdown_(self) -> str:
        """In a notebook, a comparison shows as its sorted table."""
        return "```\n" + self.table() + "\n```"


def compare(dirs: Sequence[str | Path], out: str | Path | None = None,
            plots: bool = True,
            trajectory_metrics: Sequence[str] | None = None,
            reference: str | None = paired.DEFAULT_REFERENCE,
            sort: str | None = None, report: bool = True,
            strict_configs: bool = False, draw_workers: int = 1,
            refuse_unknown: Collection[str] = ()) -> Comparison:
    """Compare the runs found under ``dirs`` and write tables and figures into ``out``.

    Args:
        dirs: Sweep folders and/or run folders (from one sweep or several).
        out: Output folder; defaults to the single folder given, else ``./compare``.
        plots: Draw the figures (needs matplotlib; off: tables only).
        trajectory_metrics: Metrics drawn as trajectories, in panel order (default
            :data:`TRAJECTORY_METRICS`); those absent from the runs are skipped (a note
            says so), or refused (``refuse_unknown``).
        reference: The group (or the policy of exactly one group) every group is compared
            to, paired by seed; ``None``: no differences; absent from the runs: no
            differences and a note, or refused (``refuse_unknown``).
        sort: The metric the tables are sorted by (default ``regret_avg``, also used,
            with a note, when ``sort`` is not a summary metric and not refused).
        report: Write ``report.html``.
        strict_configs: Refuse (instead of warning about) a group whose runs' configs
            differ beyond their overrides.
        draw_workers: With 2 or more, a second process draws the trajectories figure
            while this one draws the others (:mod:`~loopsim.experiments.compare.
            figure_job`); the same files, and the returned ``figures`` lack the ones drawn
            there. :func:`default_draw_workers` gives 2 where two cores are there.
        refuse_unknown: Which of ``"reference"``, ``"sort"`` and
            ``"trajectory_metrics"`` (:data:`~loopsim.experiments.compare.names.CHECKED`)
            are refused when the runs lack the name given, before anything is written
            (what ``loopsim-compare`` does with the options given on its command line);
            the others are skipped with a line in :attr:`Comparison.notes` (what the
            comparison at the end of a sweep does with its preset's names).

    Returns:
        The runs table, the summary table, the files written, the warnings and notes.

    Raises:
        DataError: If a folder does not exist or holds no run folder, (with
            ``strict_configs``) a group pools runs of different configs, or a name in
            ``refuse_unknown`` is absent from the runs (the line names the value, what
            the runs have, and the nearest name).
    """
    out_dir = Path(out) if out is not None else (Path(dirs[0]) if len(dirs) == 1
                                                 else Path("compare"))
    infos = [read_run(p) for p in find_run_dirs(dirs)] + find_unstarted(dirs)
    runs = runs_table(infos)
    warnings = tuple(config_conflicts(infos, runs["group"].to_list()))
    if warnings and strict_configs:
        raise DataError("; ".join(warnings) + ". Compare runs of one config per group, or "
                        "drop --strict-configs to compare them anyway.")
    metrics = agg.scan_metrics(runs)
    finals = agg.final_values(metrics)
    items = agg.scan_items(runs)
    summary = summary_table(runs, finals, agg.group_unpredictability(items))
    present = set(finals["metric"].unique().to_list())
    notes = _check_names(summary, present, reference, sort, trajectory_metrics,
                         refuse_unknown)
    ref = paired.resolve_reference(summary["group"].to_list(),
                                   dict(zip(summary["group"], summary["policy"], strict=True)),
                                   reference)
    diffs = paired.paired_differences(
        finals, runs, ref, [m for m in KEY_METRICS if f"{m}_mean" in summary.columns])
    summary = with_differences(summary, diffs)
    sort_by = terminal.sort_metric(summary, None if notes.get("sort") else sort)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / "runs.csv", out_dir / "summary.csv", out_dir / "summary.md",
             out_dir / "differences.csv"]
    runs.write_csv(files[0])
    summary.write_csv(files[1])
    files[2].write_text(summary_markdown(runs, summary, diffs, ref, sort_by, warnings))
    diffs.write_csv(files[3])
    drawn: dict[str, Any] = {}
    if plots and agg.completed(runs).height:
        from loopsim.experiments.compare import plots as plotting  # matplotlib only when drawing

        inputs: dict[str, Any] = dict(
            groups=terminal.sort_summary(summary, sort_by)["group"].to_list(),
            trajectories=agg.trajectories(
                metrics, [m for m in (trajectory_metrics or TRAJECTORY_METRICS) if m in present]),
            lorenz=agg.lorenz_by_group(items),
            value_exposure=agg.value_exposure_by_group(items),
            finals=agg.mean_ci(finals, ["group", "metric"]),
            differences=diffs, reference=ref, unit=agg.replicate_unit(runs),
        )
        if draw_workers > 1:
            from loopsim.experiments.compare import figure_job

            second = figure_job.start(out_dir, inputs)
            drawn = plotting.figures(**inputs, only=_others(figure_job.SECOND_PROCESS))
            here = plotting.save(out_dir, drawn)
            files += second.finish() + here
        else:
            drawn = plotting.figures(**inputs)
            files += plotting.save(out_dir, drawn)
    files += _slices_and_monitoring(runs, metrics, finals, summary, out_dir, plots)
    noted = tuple(notes.values())
    result = Comparison(runs, summary, tuple(files), drawn, diffs, ref, sort_by, warnings,
                        noted)
    if report:
        from loopsim.experiments.compare.report import write_report

        files.append(write_report(out_dir, result))
        result = Comparison(runs, summary, tuple(files), drawn, diffs, ref, sort_by, warnings,
                            noted)
    return result


#: What a comparison does instead when it skips a name the runs lack (:func:`compare`).
_SKIPPED = {"reference": "No paired differences.", "sort": "Sorted by the default metric.",
            "trajectory_metrics": "Left out of the trajectories."}


def _check_names(summary: pl.DataFrame, present: set[str], reference: str | None,
                 sort: str | None, trajectory_metrics: Sequence[str] | None,
                 refuse_unknown: Collection[str]) -> dict[str, str]:
    """The names asked for that the runs lack, as ``{argument: note}``; raises
    :class:`DataError` (one line, nothing written yet) for those in ``refuse_unknown``."""
    unknown = set(refuse_unknown) - set(names.CHECKED)
    if unknown:
        raise DataError(f"refuse_unknown={sorted(unknown)}: not among {list(names.CHECKED)}.")
    groups = summary["group"].to_list()
    problems = {
        "reference": names.reference_problem(
            reference, groups, dict(zip(groups, summary["policy"], strict=True))),
        "sort": names.sort_problem(
            sort, [c[: -len("_mean")] for c in summary.columns if c.endswith("_mean")]),
        "trajectory_metrics": names.metrics_problem(trajectory_metrics, present),
    }
    refused = [_sentence(p) for k, p in problems.items() if p and k in refuse_unknown]
    if refused:
        raise DataError(" ".join(refused))
    return {k: f"{_sentence(p)} {_SKIPPED[k]}" for k, p in problems.items() if p}


def _sentence(text: str) -> str:
    return text if text.endswith(("?", ".")) else text + "."


def default_draw_workers() -> int:
    """2 where this process may use two or more cores, else 1 (``draw_workers``)."""
    return 2 if usable_cores() >= 2 else 1


def _others(names: Sequence[str]) -> set[str]:
    """The comparison figures not in ``names``."""
    from loopsim.experiments.compare.plots import FIGURES

    return set(FIGURES) - set(names)


def _slices_and_monitoring(runs: pl.DataFrame, metrics: pl.LazyFrame, finals: pl.DataFrame,
                           summary: pl.DataFrame, out_dir: Path, plots: bool) -> list[Path]:
    """``slices.csv`` and the slice, gap and monitoring figures, when the runs have them."""
    sliced = agg.scan_metrics(runs, sliced=True).filter(pl.col("slice") != "all")
    events = slice_report.read_events(runs)
    shifts = slice_report.shift_times(runs)
    files: list[Path] = []
    averaged = (sliced.group_by("run", "group", "slice", "metric").agg(pl.col("value").mean())
                .collect())
    if averaged.height:
        files.append(out_dir / "slices.csv")
        agg.mean_ci(averaged, ["group", "slice", "metric"]).write_csv(files[-1])
    if not plots or not (averaged.height or events.height or any(shifts.values())):
        return files
    from loopsim.experiments.compare import slice_plots  # matplotlib only when drawing

    return files + slice_plots.draw_slices(
        out_dir, summary["group"].to_list(),
        traj=slice_report.slice_trajectories(sliced),
        all_traj=agg.trajectories(metrics, ["regret_window", "ctr_window"]),
        gap=slice_report.gaps(sliced), events=events, shifts=shifts,
        finals=agg.mean_ci(finals, ["group", "metric"]), unit=agg.replicate_unit(runs))


def summary_table(runs: pl.DataFrame, finals: pl.DataFrame,
                  u: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per group: run counts, then mean and 95% half-width of each key metric.

    Groups with no completed run keep their row (with null metrics), so that failed and
    missing runs are never silently dropped.
    """
    counts = runs.group_by("group", maintain_order=True).agg(
        pl.col("policy").first(),
        (pl.col("status") == "completed").sum().cast(pl.Int64).alias("runs"),
        (pl.col("status") == "failed").sum().cast(pl.Int64).alias("failed"),
        (pl.col("status") == "missing").sum().cast(pl.Int64).alias("missing"),
    )
    present = set(finals["metric"].unique().to_list())
    stats = agg.mean_ci(finals.filter(pl.col("metric").is_in(list(KEY_METRICS))),
                        ["group", "metric"])
    table = counts
    for m in (m for m in KEY_METRICS if m in present):
        s = stats.filter(pl.col("metric") == m).select(
            "group", pl.col("mean").alias(f"{m}_mean"), pl.col("ci95").alias(f"{m}_ci95"))
        table = table.join(s, on="group", how="left")
    if u is not None and u.height:
        table = table.join(u, on="group", how="left")
    else:
        table = table.with_columns(pl.lit(None, pl.Float64).alias("unpredictability"),
                                   pl.lit(None, pl.Float64).alias("unpredictability_tv"),
                                   pl.lit(None, pl.Utf8).alias("u_note"))
    return table.sort("group")


def with_differences(summary: pl.DataFrame, diffs: pl.DataFrame) -> pl.DataFrame:
    """The summary with ``<metric>_diff``, ``_diff_ci95``, ``_p_holm`` and ``_significant``
    columns: each group's paired difference from the reference (null for the reference)."""
    for m in diffs["metric"].unique(maintain_order=True).to_list():
        d = diffs.filter(pl.col("metric") == m).select(
            "group", pl.col("diff").alias(f"{m}_diff"), pl.col("diff_ci95").alias(f"{m}_diff_ci95"),
            pl.col("p_holm").alias(f"{m}_p_holm"), pl.col("significant").alias(f"{m}_significant"))
        summary = summary.join(d, on="group", how="left")
    return summary


def summary_markdown(runs: pl.DataFrame, summary: pl.DataFrame,
                     diffs: pl.DataFrame | None = None, reference: str | None = None,
                     sort: str | None = None, warnings: Sequence[str] = ()) -> str:
    """The summary as a Markdown document: the table (best first on ``sort``), the paired
    differences from ``reference``, the warnings, then the runs left out."""
    metrics = [c[: -len("_mean")] for c in summary.columns if c.endswith("_mean")]
    head = ["group", "runs", *metrics, "U", "U_tv"]
    n_max = int(summary["runs"].max() or 0) if summary.height else 0
    interval = ("mean ± 95% Student-t interval over seeds" if n_max > 1
                else "one seed per group: means only, no interval")
    lines = [
        "# loopsim comparison", "",
        f"{runs.height} runs: "
        + ", ".join(f"{n} {s}" for s, n in _status_counts(runs)) + ".",
        f"Final value of each metric (last snapshot), {interval}"
        + (f"; sorted by {sort}" if sort else "") + ". "
        "U: unpredictability across seeds with the world fixed (Salganik et al. 2006); it "
        "shrinks as 1/n_items. U_tv = n U / 2: the mean share of the market that differs "
        "between two runs (total variation, 0 to 1), comparable across catalogue sizes "
        "(docs/metrics.md).",
        "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head),
    ]
    for row in terminal.sort_summary(summary, sort).iter_rows(named=True):
        n = f"{row['runs']}" + (f" (+{row['failed']} failed)" if row["failed"] else "") + (
            f" (+{row['missing']} missing)" if row["missing"] else "")
        cells = [row["group"], n,
                 *(_fmt(row[f"{m}_mean"], row[f"{m}_ci95"]) for m in metrics),
                 _fmt(row.get("unpredictability"), None),
                 _fmt(row.get("unpredictability_tv"), None)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += differences_markdown(summary, diffs, reference, sort)
    if warnings:
        lines += ["", "## Warnings", "", *(f"- {w}" for w in warnings)]
    left_out = runs.filter(pl.col("status") != "completed")
    lines += ["", "## Runs left out", ""]
    if left_out.height == 0:
        lines.append("None: every run folder completed.")
    for row in left_out.iter_rows(named=True):
        lines.append(f"- `{row['path']}` ({row['group']}, seed {row['seed']}): "
                     f"**{row['status']}**, {row['reason']}")
    return "\n".join(lines) + "\n"


def differences_markdown(summary: pl.DataFrame, diffs: pl.DataFrame | None,
                         reference: str | None, sort: str | None = None) -> list[str]:
    """The section of paired differences from the reference, as Markdown lines."""
    out = ["", f"## Differences from {reference or 'a reference policy'}, paired by seed", ""]
    if reference is None or diffs is None or diffs.height == 0:
        return out + ["No reference policy among the groups (`--reference NAME` picks one): "
                      "no paired differences."]
    pairs = int(diffs["n_pairs"].max())
    metrics = diffs["metric"].unique(maintain_order=True).to_list()
    m_tests = diffs.filter(pl.col("metric") == metrics[0]).height
    if pairs < 2:
        out.append(f"One seed per group: the differences from `{reference}` are single "
                   "values, with no interval and no test. Run more seeds to compare.")
    else:
        out.append(f"Group minus `{reference}` at the same seed (same world, same arrivals), "
                   f"mean ± 95% Student-t interval over the {pairs} seeds both completed. "
                   f"`*`: significant at 5% after a Holm correction over the {m_tests} "
                   "groups compared, per metric. Without `*`, no ordering against "
                   f"`{reference}` is claimed.")
    cell = {(r["group"], r["metric"]): r for r in diffs.iter_rows(named=True)}
    out += ["", "| group | " + " | ".join(metrics) + " |", "|" + " --- |" * (1 + len(metrics))]
    for g in terminal.sort_summary(summary, sort)["group"].to_list():
        if g == reference:
            continue
        out.append(f"| {g} | " + " | ".join(paired.mark(cell.get((g, m))) for m in metrics)
                   + " |")
    return out


def _status_counts(runs: pl.DataFrame) -> list[tuple[str, int]]:
    return [(s, runs.filter(pl.col("status") == s).height)
            for s in ("completed", "failed", "missing")]


def _fmt(mean: float | None, ci: float | None) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    return f"{mean:.3f}" if ci is None or math.isnan(ci) else f"{mean:.3f} ± {ci:.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    """The ``loopsim-compare`` command."""
    parser = argparse.ArgumentParser(
        prog="loopsim-compare",
        description="Compare loopsim runs: summary.csv, summary.md and figures.")
    parser.add_argument("dirs", nargs="+", metavar="DIR",
                        help="sweep folders (e.g. multirun/<date>/<time>) or run folders")
    parser.add_argument("--out", default=None,
                        help="output folder (default: the DIR when one is given, else ./compare)")
    parser.add_argument("--no-plots", action="store_true", help="write the tables only")
    parser.add_argument("--strict-configs", action="store_true",
                        help="refuse groups whose runs' configs differ beyond their overrides "
                             "(default: warn)")
    parser.add_argument("--reference", default=None,
                        help="the group (or policy) every group is compared to, paired by "
                             f"seed (default: {paired.DEFAULT_REFERENCE}, when present; a "
                             "name given here must be a group or policy of the runs)")
    parser.add_argument("--sort", default=None,
                        help="the metric the printed table is sorted by, one of the "
                             "summary's (default: regret_avg)")
    parser.add_argument("--metrics", default=None,
                        help="comma-separated metrics drawn as trajectories "
                             f"(default: {','.join(TRAJECTORY_METRICS)})")
    args = parser.parse_args(argv)
    try:
        metrics = _metric_list(args.metrics)
        if args.out is not None:
            check_output_folder(Path(args.out))
        given = {"reference": args.reference is not None, "sort": args.sort is not None,
                 "trajectory_metrics": metrics is not None}
        result = compare(args.dirs, args.out, plots=not args.no_plots,
                         trajectory_metrics=metrics,
                         reference=(paired.DEFAULT_REFERENCE if args.reference is None
                                    else args.reference),
                         sort=args.sort, strict_configs=args.strict_configs,
                         draw_workers=default_draw_workers(),
                         refuse_unknown=[k for k, v in given.items() if v])
    except LoopsimError as exc:
        print(f"loopsim-compare: {exc}", file=sys.stderr)
        return 2
    except (OSError, pl.exceptions.PolarsError) as exc:  # a file changed under us, a full disk
        print(f"loopsim-compare: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"loopsim-compare: warning: {warning}", file=sys.stderr)
    for note in result.notes:  # the default reference absent from the runs
        print(f"loopsim-compare: note: {note}", file=sys.stderr)
    counts = ", ".join(f"{n} {s}" for s, n in _status_counts(result.runs) if n)
    print(f"loopsim-compare: {result.runs.height} runs ({counts}) -> "
          f"{result.files[2].parent}")
    print(result.table())
    print(f"Full table: {result.files[2]}; report: {result.files[2].parent / 'report.html'}")
    return 0


def _metric_list(text: str | None) -> list[str] | None:
    """``--metrics a,b`` as names, refusing unknown ones (by the names loopsim records)."""
    if text is None:
        return None
    names = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in names if not _METRIC_NAME.fullmatch(m)]
    if not names or bad:
        raise DataError(f"`--metrics {text}`: {bad or 'no name'} are not metric names "
                        "(lower-case words joined by `_`, e.g. gini_exposure,regret_window).")
    return names


def check_output_folder(out: Path) -> None:
    """Refuse an ``--out`` that is a file, a special file or a symbolic link."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UnsafePathError(f"`--out {out}` exists and is not a folder: give a folder "
                              "(created if missing).")


if __name__ == "__main__":
    raise SystemExit(main())
