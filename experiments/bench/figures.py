"""The figures of issue 25, computed from the scenarios' results (nothing is asserted).

Every figure names the scenarios it needs; one that lacks a result is left out of the
report. Times are CPU seconds of the measured process (user + system, one BLAS thread)
unless a figure says wall: on a shared machine CPU time moves far less than wall time.
The growth exponents are least-squares slopes in log-log space
(:func:`fit_exponent`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from loopsim.experiments.bench.scenarios import MAINJOB_POLICIES, MAINJOB_SEEDS, REGISTRY

Results = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Figure:
    """One reported figure.

    Attributes:
        name: Key in the JSON report.
        label: What it is, for the tables.
        needs: Scenarios it is computed from (all must have completed).
        compute: ``results -> (value, detail)``; ``detail`` is a short text.
        unit: ``x`` (a ratio), ``s`` or ``share``.
        target: The issue's goal, as text (``""`` for none).
        met: ``value -> bool``, or ``None`` when there is no target.
    """

    name: str
    label: str
    needs: tuple[str, ...]
    compute: Callable[[Results], tuple[float, str]]
    unit: str
    target: str = ""
    met: Callable[[float], bool] | None = None


def cpu(r: dict[str, Any]) -> float:
    """The CPU seconds of a result: of its event loop (``cpu_loop_s``) for a loopsim run,
    else of the whole measured span (``cpu_s``), else its wall ``seconds``."""
    for key in ("cpu_loop_s", "cpu_s", "run_s", "seconds"):
        if r.get(key) is not None:
            return float(r[key])
    return math.nan


def _mf_vs_ctr(res: Results) -> tuple[float, str]:
    mf, ctr = cpu(res["default_mf"]), cpu(res["default_ctr"])
    return mf / ctr, f"mf {mf:.1f} s, ctr {ctr:.2f} s CPU"


#: The main job's cores (joblib runs one job per core).
MAINJOB_CORES = 2
_MAINJOB = tuple(f"mainjob_{p}" for p in MAINJOB_POLICIES)


def _mainjob_estimate(res: Results) -> tuple[float, str]:
    per = {p: cpu(res[f"mainjob_{p}"]) for p in MAINJOB_POLICIES}
    top = sorted(per.items(), key=lambda kv: -kv[1])[:3]
    total = sum(per.values())
    shares = ", ".join(f"{p} {100 * s / total:.0f}%" for p, s in top)
    return (total * MAINJOB_SEEDS / MAINJOB_CORES,
            f"sum of one seed's runs {total:.1f} s x {MAINJOB_SEEDS} seeds / "
            f"{MAINJOB_CORES} cores; largest: {shares}; without start-up, outputs, comparison")


def _mainjob_real(res: Results) -> tuple[float, str]:
    r = res["mainjob"]
    return float(r["seconds"]), f"wall, {r.get('cpu_s', math.nan):.0f} s CPU in its processes"


def _trecs_seconds(res: Results) -> tuple[float, str]:
    """T-RECS's CPU seconds for 100 steps: measured, or 10x its 10 steps."""
    if "trecs_100_steps" in res:
        return cpu(res["trecs_100_steps"]), "100 steps"
    r = res["trecs_10_steps"]
    return cpu(r) * 100 / r["steps"], f"{r['steps']} steps x {100 // r['steps']}"


def _trecs_ratio(scenario: str) -> Callable[[Results], tuple[float, str]]:
    def compute(res: Results) -> tuple[float, str]:
        trecs, how = _trecs_seconds(res)
        mine = cpu(res[scenario])
        return trecs / mine, f"T-RECS {trecs:.1f} s ({how}), loopsim {mine:.3f} s CPU"
    return compute


def _bare_share(res: Results) -> tuple[float, str]:
    mine = res["closed_ctr_100k"]["impressions"] / cpu(res["closed_ctr_100k"])
    bare = res["bare_pipeline_100k"]["impressions"] / cpu(res["bare_pipeline_100k"])
    return mine / bare, f"ctr {mine / 1e6:.1f}M, bare {bare / 1e6:.0f}M impressions/s"


def _pipeline(res: Results) -> tuple[float, str]:
    r = res["pipeline_1m"]
    wall = float(r.get("process_s", r.get("total_s", math.nan)))
    return wall, (f"wall of the whole process, {cpu(r):.0f} s CPU in the loop, peak "
                  f"{r.get('peak_rss_mib', math.nan) / 1024:.1f} GiB")


FIGURES: dict[str, Figure] = {f.name: f for f in (
    Figure("mf_vs_ctr", "mf / ctr time, default world", ("default_mf", "default_ctr"),
           _mf_vs_ctr, "x", "<= 10", lambda v: v <= 10),
    Figure("mainjob_estimate", "main job, estimated from one seed per policy", _MAINJOB,
           _mainjob_estimate, "s", "<= 45 s at rest", lambda v: v <= 45),
    Figure("mainjob", "main job (loopsim -m experiment=mitigation)", ("mainjob",),
           _mainjob_real, "s", "<= 45 s at rest", lambda v: v <= 45),
    Figure("trecs_ratio", "T-RECS / loopsim, metrics on, closed world",
           ("trecs_work",), _trecs_ratio("trecs_work"), "x", ">= 500", lambda v: v >= 500),
    Figure("trecs_ratio_metrics_off", "T-RECS / loopsim, metrics nearly off",
           ("trecs_work_metrics_off",), _trecs_ratio("trecs_work_metrics_off"), "x"),
    Figure("bare_pipeline_share", "ctr / bare pipeline, 100k x 10k closed world",
           ("closed_ctr_100k", "bare_pipeline_100k"), _bare_share, "share", ">= 0.3",
           lambda v: v >= 0.3),
    Figure("pipeline_1m", "pipeline, 1M users x 100k items, 7 days", ("pipeline_1m",),
           _pipeline, "s", "< 600 s, < 8 GiB", lambda v: v < 600),
)}


def _has_trecs(res: Results) -> bool:
    return any(res.get(n, {}).get("status") == "completed"
               for n in ("trecs_10_steps", "trecs_100_steps"))


def compute(results: Results) -> dict[str, dict[str, Any]]:
    """Every figure whose scenarios completed: ``{name: {value, detail, target, met}}``."""
    out: dict[str, dict[str, Any]] = {}
    done = {n for n, r in results.items() if r.get("status") == "completed"}
    for fig in FIGURES.values():
        if not set(fig.needs) <= done:
            continue
        if fig.name.startswith("trecs_ratio") and not _has_trecs(results):
            continue
        value, detail = fig.compute(results)
        out[fig.name] = {"label": fig.label, "value": value, "unit": fig.unit,
                         "detail": detail, "target": fig.target,
                         "met": None if fig.met is None else bool(fig.met(value))}
    if "pipeline_1m" in out:
        peak = results["pipeline_1m"].get("peak_rss_mib", math.inf)
        out["pipeline_1m"]["met"] = bool(out["pipeline_1m"]["met"] and peak < 8 * 1024)
    return out


def fit_exponent(sizes: list[float], seconds: list[float]) -> float:
    """The exponent ``a`` of ``seconds ~ c * sizes**a``: a least-squares line in log-log.

    Needs at least two distinct positive sizes and positive times (``nan`` otherwise).
    """
    x, y = np.asarray(sizes, dtype=float), np.asarray(seconds, dtype=float)
    ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    if np.unique(x[ok]).size < 2:
        return math.nan
    slope, _ = np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)
    return float(slope)


def growth(results: Results) -> dict[str, dict[str, Any]]:
    """Per growth series: its points (size, CPU s, peak RSS) and the fitted exponent."""
    series: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for name, r in results.items():
        s = REGISTRY.get(name)
        if s is None or s.series is None or r.get("status") != "completed":
            continue
        axis = s.series.rsplit("_", 1)[1]
        series.setdefault(s.series, []).append((s.size[axis], r))
    out = {}
    for key, points in series.items():
        points.sort(key=lambda p: p[0])
        sizes = [float(n) for n, _ in points]
        out[key] = {"axis": key.rsplit("_", 1)[1], "policy": key.rsplit("_", 1)[0],
                    "points": [{"size": n, "cpu_s": cpu(r), "peak_rss_mib": r.get("peak_rss_mib"),
                                "impressions": r.get("impressions")} for n, r in points],
                    "exponent": fit_exponent(sizes, [cpu(r) for _, r in points]),
                    "memory_exponent": fit_exponent(
                        sizes, [r.get("peak_rss_mib", math.nan) - r.get("baseline_rss_mib", 0.0)
                                for _, r in points])}
    return out


__all__ = ["FIGURES", "Figure", "compute", "cpu", "fit_exponent", "growth"]
