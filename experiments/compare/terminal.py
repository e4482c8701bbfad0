"""The comparison as printed in a terminal: sorted by one metric, at most 100 columns.

The full table (every metric, every interval) stays in ``summary.md`` and
``summary.csv``; this one shows the sort metric, its paired difference from the
reference policy (``*``: significant after Holm), and as many other headline metrics
as fit.
"""

from __future__ import annotations

import math

import polars as pl

#: Width of the printed table, in characters.
WIDTH = 100
#: Metrics where a higher value is better (the others sort ascending: lower is better).
HIGHER_IS_BETTER = frozenset({
    "coverage_window", "tau_popularity", "tau_scores", "precision_at_k", "ndcg_window",
    "expected_clicks_window", "expected_clicks_avg", "entropy_exposure",
})
#: Default sort metrics, first present wins.
DEFAULT_SORT = ("regret_avg", "regret_window")
#: Other columns shown after the sort metric, while they fit.
EXTRA_COLUMNS = ("gini_exposure", "tau_popularity", "coverage_window", "precision_at_k")
#: Short column headings.
SHORT = {"regret_avg": "regret(avg)", "regret_window": "regret(day)",
         "gini_exposure": "gini", "tau_popularity": "tau_pop", "coverage_window": "coverage",
         "precision_at_k": "prec@k", "top10_share_exposure": "top10%",
         "expected_clicks_window": "clicks", "ndcg_window": "ndcg", "tau_scores": "tau_scores"}


def sort_metric(summary: pl.DataFrame, wanted: str | None = None) -> str | None:
    """The metric the table is sorted by: ``wanted`` if present, else the default."""
    present = [c[: -len("_mean")] for c in summary.columns if c.endswith("_mean")]
    if wanted:
        return wanted if wanted in present else None
    return next((m for m in DEFAULT_SORT if m in present), present[0] if present else None)


def sort_summary(summary: pl.DataFrame, metric: str | None) -> pl.DataFrame:
    """Rows best first on ``metric`` (groups without a value last)."""
    if metric is None:
        return summary
    return summary.sort(f"{metric}_mean", descending=metric in HIGHER_IS_BETTER,
                        nulls_last=True)


def terminal_table(summary: pl.DataFrame, differences: pl.DataFrame, reference: str | None,
                   sort: str | None = None, width: int = WIDTH) -> str:
    """The sorted table as plain text of at most ``width`` columns, with a legend line.

    Args:
        summary: :func:`loopsim.experiments.compare.cli.summary_table`'s frame.
        differences: :func:`loopsim.experiments.compare.paired.paired_differences`' frame.
        reference: The reference group (``None``: no difference column).
        sort: The sort metric (default: regret averaged over the run).
    """
    metric = sort_metric(summary, sort)
    rows = sort_summary(summary, metric)
    diff = {(r["group"], r["metric"]): r for r in differences.iter_rows(named=True)}
    name_w = min(28, max([5, *(len(g) for g in rows["group"].to_list())]))
    columns: list[tuple[str, list[str]]] = [
        ("group", [_clip(g, name_w) for g in rows["group"].to_list()]),
        ("runs", [_runs(r) for r in rows.iter_rows(named=True)]),
    ]
    wanted = [m for m in (metric, *EXTRA_COLUMNS) if m and f"{m}_mean" in rows.columns]
    wanted = list(dict.fromkeys(wanted))
    for i, m in enumerate(wanted):
        candidates = [(SHORT.get(m, m), [_cell(r[f"{m}_mean"], r[f"{m}_ci95"])
                                         for r in rows.iter_rows(named=True)])]
        if reference is not None and i == 0:
            candidates.append((f"vs {_clip(reference, 12)}",
                               [_diff_cell(diff.get((g, m)), g == reference)
                                for g in rows["group"].to_list()]))
        trial = columns + candidates
        if _width(trial) > width:
            break
        columns = trial
    lines = [_legend(metric, reference, differences, width), _render(columns)]
    return "\n".join(lines)


def _legend(metric: str | None, reference: str | None, differences: pl.DataFrame,
            width: int) -> str:
    if metric is None:
        return "No metric to sort by."
    better = "higher" if metric in HIGHER_IS_BETTER else "lower"
    text = f"Sorted by {metric} ({better} is better). Cells: mean ± 95% t-interval over seeds."
    if reference is None:
        text += " No reference policy: no paired differences."
    else:
        n = differences.filter(pl.col("metric") == metric).height
        pairs = differences["n_pairs"].max() if differences.height else 0
        text += (f" 'vs {reference}': paired difference by seed"
                 + (f", * = significant after Holm over {n} comparisons."
                    if pairs and pairs > 1 else " (one seed: no test, no interval)."))
    return _wrap(text, width)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _runs(row: dict) -> str:
    extra = (row["failed"] or 0) + (row["missing"] or 0)
    return f"{row['runs']}" + (f"+{extra}!" if extra else "")


def _cell(mean: float | None, ci: float | None) -> str:
    if mean is None or math.isnan(mean):
        return "–"
    return f"{mean:.3f}" if ci is None or math.isnan(ci) else f"{mean:.3f}±{ci:.3f}"


def _diff_cell(row: dict | None, is_reference: bool) -> str:
    if is_reference:
        return "(reference)"
    if row is None or row["diff"] is None or math.isnan(row["diff"]):
        return "–"
    if row["diff_ci95"] is None:
        return f"{row['diff']:+.3f}"
    return f"{row['diff']:+.3f}±{row['diff_ci95']:.3f}" + (" *" if row["significant"] else "")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _width(columns: list[tuple[str, list[str]]]) -> int:
    return sum(max([len(h), *(len(c) for c in cells)]) for h, cells in columns) + 2 * (
        len(columns) - 1)


def _render(columns: list[tuple[str, list[str]]]) -> str:
    widths = [max([len(h), *(len(c) for c in cells)]) for h, cells in columns]
    n = len(columns[0][1])
    out = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                     for i, ((h, _), w) in enumerate(zip(columns, widths, strict=True)))]
    for k in range(n):
        out.append("  ".join(cells[k].ljust(w) if i == 0 else cells[k].rjust(w)
                             for i, ((_, cells), w) in enumerate(zip(columns, widths,
                                                                     strict=True))))
    return "\n".join(line.rstrip() for line in out)
