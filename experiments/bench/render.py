"""The report of ``loopsim-bench`` as text tables or Markdown (the performance page's)."""

from __future__ import annotations

import math
from typing import Any

from loopsim.experiments.bench.figures import cpu
from loopsim.experiments.bench.scenarios import REGISTRY


def number(value: float | None, unit: str = "") -> str:
    """A figure with as many digits as it deserves (``-`` for a missing one)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if unit == "x":
        return f"{value:.0f}x" if value >= 100 else f"{value:.1f}x"
    if unit == "share":
        return f"{value:.2f}"
    if unit == "s":
        return f"{value:.0f} s" if value >= 100 else f"{value:.1f} s" if value >= 10 \
            else f"{value:.2f} s"
    if unit == "rate":
        return f"{value / 1e6:.1f}M" if value >= 1e6 else f"{value / 1e3:.0f}k"
    return f"{value:,.0f}"


def dominant(split: dict[str, float], n: int = 3) -> str:
    """The ``n`` largest phases of a time split, as percentages of their sum."""
    total = sum(v for v in split.values() if v > 0)
    if total <= 0:
        return "-"
    top = sorted(split.items(), key=lambda kv: -kv[1])[:n]
    return ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in top)


def scenario_rows(results: dict[str, dict[str, Any]]) -> list[list[str]]:
    """One row per scenario: name, what, CPU, wall, impressions/s, peak RSS, time split."""
    rows = []
    for name, r in results.items():
        what = REGISTRY[name].description if name in REGISTRY else r.get("description", "")
        if r.get("status") != "completed":
            why = r.get("reason") or r.get("error") or ""
            rows.append([name, what, r.get("status", "?"), str(why), "", "", ""])
            continue
        c = cpu(r)
        rate = r["impressions"] / c if r.get("impressions") and c > 0 else \
            r.get("impressions_per_s")
        wall = r.get("total_s", r.get("seconds"))
        rss = r.get("peak_rss_mib")
        rows.append([name, what, number(c, "s"), number(wall, "s"), number(rate, "rate"),
                     f"{rss:,.0f} MiB" if rss else "-", dominant(r.get("time_split", {}))])
    return rows


SCENARIO_HEADER = ["scenario", "what", "CPU", "wall", "impressions/s (CPU)", "peak RSS",
                   "largest phases"]
FIGURE_HEADER = ["figure", "value", "target", "met", "how"]
GROWTH_HEADER = ["policy", "grows with", "sizes", "CPU s", "peak RSS MiB",
                 "time exponent", "memory exponent"]


def figure_rows(figures: dict[str, dict[str, Any]]) -> list[list[str]]:
    """One row per figure."""
    met = {True: "yes", False: "no", None: ""}
    return [[f["label"], number(f["value"], f["unit"]), f["target"], met[f["met"]],
             f["detail"]] for f in figures.values()]


def growth_rows(growth: dict[str, dict[str, Any]]) -> list[list[str]]:
    """One row per growth series: sizes, times, memory, exponents."""
    rows = []
    for g in growth.values():
        pts = g["points"]
        rows.append([g["policy"], g["axis"], " / ".join(f"{p['size']:,}" for p in pts),
                     " / ".join(f"{p['cpu_s']:.2f}" for p in pts),
                     " / ".join(f"{p['peak_rss_mib']:.0f}" for p in pts),
                     f"{g['exponent']:.2f}", f"{g['memory_exponent']:.2f}"])
    return rows


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
             for row in [header, ["-" * w for w in widths], *rows]]
    return "\n".join(lines)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table (``|`` in cells escaped)."""
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header)), *map(line, rows)])


def report(rep: dict[str, Any], markdown: bool = False) -> str:
    """The whole report: figures, scenarios and (when measured) growth."""
    table = markdown_table if markdown else text_table
    m = rep["machine"]
    head = (f"Measured {rep['started']} UTC on {m['cpu']} ({m['cores']} cores), Python "
            f"{m['python']}, numpy {m['numpy']}, {rep['blas_threads']} BLAS thread(s); "
            f"load average {_load(m.get('load_avg'))} at the start, "
            f"{_load(m.get('load_avg_end'))} at the end; command: `{rep['command']}`.")
    parts = [head]
    if rep["figures"]:
        parts += ["", "Figures", "", table(FIGURE_HEADER, figure_rows(rep["figures"]))]
    parts += ["", "Scenarios", "", table(SCENARIO_HEADER, scenario_rows(rep["scenarios"]))]
    if rep.get("growth"):
        parts += ["", "Growth (CPU seconds ~ size^exponent, least squares in log-log)", "",
                  table(GROWTH_HEADER, growth_rows(rep["growth"]))]
    if markdown:
        parts = [p if p not in ("Figures", "Scenarios") and not p.startswith("Growth (")
                 else f"**{p}**" for p in parts]
    return "\n".join(parts)


def _load(load: Any) -> str:
    if not load:
        return "?"
    return " / ".join(f"{x:.1f}" for x in load)


__all__ = ["dominant", "markdown_table", "number", "report", "text_table"]
