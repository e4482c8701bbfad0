"""``report.html``: a sweep's comparison in one self-contained page, to open or send.

The page holds the sorted summary table, the paired differences from the reference, every
figure written by the comparison (PNG embedded as base64), the configuration that differs
between groups, the runs left out with their causes, and the versions used. It loads
nothing: no script, no stylesheet, no font, no server, no network.
"""

from __future__ import annotations

import base64
import html
import json
import math
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl
from loopsim.experiments.compare import paired, terminal
from loopsim.simulator.io.results import SUMMARY_FILE

#: A :class:`loopsim.experiments.compare.cli.Comparison` (not imported: cli imports this).
Comparison = Any

#: The file written into the comparison's folder.
REPORT_FILE = "report.html"
#: Config keys that make replicates, not groups: never listed as differences.
_REPLICATE = ("seed", "world.seed", "label", "progress", "resume")
#: At most this many differing config keys are listed.
MAX_KEYS = 60

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}
td.sig{font-weight:bold}td.ns{color:#888}.note{color:#555;font-size:.9em}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}code{background:#f4f4f4;padding:0 .2em}
"""


def write_report(out_dir: Path, result: Comparison) -> Path:
    """Write ``report.html`` into ``out_dir`` and return its path."""
    path = out_dir / REPORT_FILE
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render(result), encoding="utf-8")
    tmp.replace(path)
    return path


def render(result: Comparison) -> str:
    """The report of ``result`` as one HTML document."""
    runs = result.runs
    counts = ", ".join(f"{runs.filter(pl.col('status') == s).height} {s}"
                       for s in ("completed", "failed", "missing"))
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>loopsim comparison</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>loopsim comparison</h1>",
        f'<p class="note">{runs.height} runs ({counts}); written '
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.</p>",
        "<h2>Summary</h2>", _summary_html(result),
        f"<h2>Differences from {_e(result.reference or 'a reference policy')}</h2>",
        _differences_html(result),
        "<h2>Figures</h2>", _figures_html(result),
        "<h2>Configuration that differs between groups</h2>", _config_html(runs),
        "<h2>Runs left out</h2>", _left_out_html(runs),
        "<h2>Versions</h2>", _versions_html(runs),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _e(text: object) -> str:
    return html.escape(str(text))


def _num(mean: Any, ci: Any = None) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    if ci is None or (isinstance(ci, float) and math.isnan(ci)):
        return f"{mean:.3f}"
    return f"{mean:.3f} ± {ci:.3f}"


def _table(head: list[str], rows: list[list[tuple[str, str]]], id_: str = "") -> str:
    """An HTML table; each cell is ``(text, css class)``."""
    out = [f'<table{f" id={chr(34)}{id_}{chr(34)}" if id_ else ""}><thead><tr>'
           + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="{c}">{_e(t)}</td>' if c else f"<td>{_e(t)}</td>"
                                    for t, c in row) + "</tr>")
    return "\n".join(out) + "</tbody></table>"


def _summary_html(result: Comparison) -> str:
    summary = terminal.sort_summary(result.summary, result.sort)
    metrics = [c[: -len("_mean")] for c in summary.columns if c.endswith("_mean")]
    n_max = int(summary["runs"].max() or 0) if summary.height else 0
    note = ("mean ± 95% Student-t interval over seeds" if n_max > 1
            else "one seed per group: means only, no interval")
    rows = []
    for r in summary.iter_rows(named=True):
        runs = f"{r['runs']}" + (f" (+{r['failed']} failed)" if r["failed"] else "") + (
            f" (+{r['missing']} missing)" if r["missing"] else "")
        rows.append([(r["group"], ""), (runs, ""),
                     *((_num(r[f"{m}_mean"], r[f"{m}_ci95"]), "") for m in metrics),
                     (_num(r.get("unpredictability")), "")])
    sort = f" Sorted by <code>{_e(result.sort)}</code>, best first." if result.sort else ""
    return (f'<p class="note">Final value of each metric (last snapshot), {note}.{sort} '
            "U: unpredictability across seeds with the world fixed.</p>"
            + _table(["group", "runs", *metrics, "U"], rows, "summary"))


def _differences_html(result: Comparison) -> str:
    diffs, ref = result.differences, result.reference
    if ref is None or diffs.height == 0:
        return ('<p class="note">No reference policy among the groups '
                "(<code>loopsim-compare --reference NAME</code>): no paired differences.</p>")
    pairs = int(diffs["n_pairs"].max())
    metrics = diffs["metric"].unique(maintain_order=True).to_list()
    m_tests = diffs.filter(pl.col("metric") == metrics[0]).height
    if pairs < 2:
        note = (f"One seed per group: the differences from {_e(ref)} are single values, "
                "with no interval and no test.")
    else:
        note = (f"Group minus <b>{_e(ref)}</b> at the same seed (same world and arrivals), "
                f"mean ± 95% Student-t interval over up to {pairs} paired seeds. "
                f"<b>Bold, *</b>: significant at 5% after a Holm correction over the {m_tests} "
                "groups compared (per metric); grey: not significant, no ordering claimed.")
    cell = {(r["group"], r["metric"]): r for r in diffs.iter_rows(named=True)}
    rows = []
    for g in terminal.sort_summary(result.summary, result.sort)["group"].to_list():
        if g == ref:
            continue
        row = [(g, "")]
        for m in metrics:
            c = cell.get((g, m))
            css = "" if c is None or c["significant"] is None else (
                "sig" if c["significant"] else "ns")
            row.append((paired.mark(c), css))
        rows.append(row)
    return f'<p class="note">{note}</p>' + _table(["group", *metrics], rows, "differences")


def _figures_html(result: Comparison) -> str:
    pngs = [p for p in result.files if p.suffix == ".png" and p.is_file()]
    if not pngs:
        return '<p class="note">No figures (drawn with plots on).</p>'
    base = pngs[0].parent
    out = []
    for p in pngs:
        data = base64.b64encode(p.read_bytes()).decode("ascii")
        name = p.relative_to(base) if base in p.parents else p.name
        out.append(f'<figure><img alt="{_e(name)}" src="data:image/png;base64,{data}">'
                   f"<figcaption>{_e(name)}</figcaption></figure>")
    return "\n".join(out)


def _flatten(node: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(node, dict):
        out: dict[str, str] = {}
        for k, v in node.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: json.dumps(node) if not isinstance(node, str) else node}


def _run_config(path: str) -> dict[str, str]:
    try:
        summary = json.loads((Path(path) / SUMMARY_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return _flatten(summary.get("config") or {}) if isinstance(summary, dict) else {}


def differing_config(runs: pl.DataFrame) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Config keys whose value differs between groups (replicate keys left out), and each
    group's values, from the first readable run of each group."""
    per_group: dict[str, dict[str, str]] = {}
    for (group,), g in runs.group_by(["group"], maintain_order=True):
        for path in g.sort("status")["path"].to_list():
            cfg = _run_config(path)
            if cfg:
                per_group[str(group)] = cfg
                break
    keys = sorted({k for c in per_group.values() for k in c})
    varying = [k for k in keys if k not in _REPLICATE
               and len({c.get(k, "–") for c in per_group.values()}) > 1]
    return varying, per_group


def _config_html(runs: pl.DataFrame) -> str:
    keys, per_group = differing_config(runs)
    if len(per_group) < 2:
        return '<p class="note">One group: nothing differs.</p>'
    if not keys:
        return '<p class="note">The groups share every config value (seeds aside).</p>'
    note = "" if len(keys) <= MAX_KEYS else f" (first {MAX_KEYS} of {len(keys)} keys)"
    rows = [[(k, ""), *((per_group[g].get(k, "–"), "") for g in per_group)]
            for k in keys[:MAX_KEYS]]
    return (f'<p class="note">From each group\'s first run{note}.</p>'
            + _table(["key", *per_group], rows, "config"))


def _left_out_html(runs: pl.DataFrame) -> str:
    left = runs.filter(pl.col("status") != "completed")
    if left.height == 0:
        return '<p class="note">None: every run completed.</p>'
    rows = [[(r["group"], ""), (str(r["seed"]), ""), (r["status"], ""), (r["reason"], ""),
             (r["path"], "")] for r in left.iter_rows(named=True)]
    return _table(["group", "seed", "status", "cause", "folder"], rows, "left-out")


def _versions_html(runs: pl.DataFrame) -> str:
    seen: dict[str, int] = {}
    for path in runs.filter(pl.col("status") == "completed")["path"].to_list():
        try:
            v = json.loads((Path(path) / SUMMARY_FILE).read_text()).get("versions") or {}
        except (OSError, ValueError, AttributeError):
            continue
        v = v if isinstance(v, dict) else {}  # a malformed summary: versions not recorded
        key = ", ".join(f"{k} {val}" for k, val in sorted(v.items()))
        seen[key] = seen.get(key, 0) + 1
    here = {"python": platform.python_version()}
    for name in ("loopsim", "numpy", "polars", "matplotlib", "hydra-core", "scipy"):
        try:
            here[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            here[name] = "not installed"
    rows = [[(k or "(not recorded)", ""), (str(n), "")] for k, n in seen.items()]
    return (_table(["versions in the runs", "runs"], rows, "versions")
            + '<p class="note">This comparison: '
            + _e(", ".join(f"{k} {v}" for k, v in here.items())) + ".</p>")
