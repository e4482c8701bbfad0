"""Log a run folder, or a sweep's comparison, to an MLflow tracking store.

Everything is read back from the files the run already wrote (``summary.json``,
``metrics.parquet``, ``.hydra/``), so tracking never changes a run and can be redone
later on any run folder (:func:`log_run_folder`).

Metrics: one MLflow metric per ``metrics.parquet`` metric (slice ``all``; a sliced
metric is ``<metric>/<slice>``), logged at every snapshot. MLflow steps are integers:
``step = ceil(t / snapshot_interval)`` (the snapshot's index: snapshot ``n`` at
``t = n * snapshot_interval``; the last one, at the horizon, gets the next integer when
the horizon is not a multiple of the interval). The simulated time itself is logged as
the metric ``t`` at the same steps. Non-finite values (NaN: undefined at that snapshot)
are left out, as MLflow's backends disagree on storing them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl
from loopsim.simulator.io.results import METRICS_FILE, SUMMARY_FILE

__all__ = ["SWEEP_FILES", "flatten", "log_run_folder", "log_sweep_folder", "metric_steps"]

#: A sweep's comparison outputs logged as artefacts of the sweep's parent run.
SWEEP_FILES = ("summary.csv", "summary.md", "report.html")
#: Figure suffixes logged as artefacts.
FIGURE_SUFFIXES = (".png", ".svg", ".pdf", ".html")
#: The run's own files logged as artefacts (besides the figures).
RUN_FILES = (SUMMARY_FILE, ".hydra/config.yaml", ".hydra/overrides.yaml", "error.txt")
#: Tag naming the run folder (and the sweep folder) of an MLflow run.
RUN_DIR_TAG = "loopsim.run_dir"
SWEEP_DIR_TAG = "loopsim.sweep_dir"
#: MLflow's own tag that nests a run under its parent in the UI.
PARENT_TAG = "mlflow.parentRunId"
#: MLflow's limits per ``log_batch`` call and on a param value's length.
_MAX_METRICS, _MAX_PARAMS, _MAX_PARAM_CHARS = 1000, 100, 6000
_BAD_KEY = re.compile(r"[^A-Za-z0-9_\-. /]")


def flatten(tree: Any, prefix: str = "") -> dict[str, str]:
    """A nested config as ``{"world.n_users": "2000", ...}`` (lists kept as JSON)."""
    out: dict[str, str] = {}
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    text = json.dumps(tree, default=str) if isinstance(tree, list) else str(tree)
    return {prefix.rstrip("."): text[:_MAX_PARAM_CHARS]}


def metric_steps(t: pl.Series, snapshot_interval: float) -> pl.Series:
    """MLflow's integer step of each snapshot time: ``ceil(t / snapshot_interval)``."""
    if snapshot_interval <= 0:
        return pl.Series("step", range(len(t)), dtype=pl.Int64)
    return ((t / snapshot_interval) - 1e-6).ceil().cast(pl.Int64).alias("step")


def log_run_folder(client: Any, experiment_id: str, run_dir: Path,
                   sweep_dir: Path | None = None) -> str | None:
    """Log one run folder as an MLflow run; returns its id (``None``: no summary).

    Params: the flattened config; metrics: every snapshot (module docstring); the
    summary's scalars as metrics without step; tags: status, policy, seed, the run and
    sweep folders; artefacts: ``summary.json``, ``.hydra/`` files, ``error.txt`` and
    any figure in the folder.
    """
    try:
        summary = json.loads((run_dir / SUMMARY_FILE).read_text())
    except (OSError, ValueError):
        return None  # refused or unreadable: nothing of this job to track
    from mlflow.entities import Metric, Param

    tags = {RUN_DIR_TAG: str(run_dir.resolve()), "loopsim.status": str(summary.get("status")),
            "loopsim.policy": str(summary.get("policy")), "loopsim.seed": str(summary.get("seed"))}
    if sweep_dir is not None:
        tags[SWEEP_DIR_TAG] = str(sweep_dir.resolve())
    name = f"{summary.get('policy')} seed={summary.get('seed')}"
    run = client.create_run(experiment_id, run_name=name, tags=tags)
    run_id = run.info.run_id
    try:
        params = [Param(k, v) for k, v in flatten(summary.get("config") or {}).items()]
        for chunk in _chunks(params, _MAX_PARAMS):
            client.log_batch(run_id, params=chunk)
        interval = float((summary.get("config") or {}).get("snapshot_interval") or 0.0)
        metrics = list(_snapshot_metrics(run_dir / METRICS_FILE, interval, Metric))
        metrics += [Metric(k, float(v), 0, 0) for k, v in _summary_scalars(summary).items()]
        for chunk in _chunks(metrics, _MAX_METRICS):
            client.log_batch(run_id, metrics=chunk)
        for path in _run_artifacts(run_dir):
            client.log_artifact(run_id, str(path), _artifact_folder(run_dir, path))
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    status = "FINISHED" if summary.get("status") == "completed" else "FAILED"
    client.set_terminated(run_id, status=status)
    return str(run_id)


def log_sweep_folder(client: Any, experiment_id: str, sweep_dir: Path) -> str:
    """Log a sweep as a parent run: its comparison tables, figures and report as
    artefacts, the runs tracked with this sweep folder nested under it."""
    tags = {SWEEP_DIR_TAG: str(sweep_dir.resolve()), "loopsim.kind": "sweep"}
    run = client.create_run(experiment_id, run_name=f"sweep {sweep_dir.name}", tags=tags)
    run_id = run.info.run_id
    try:
        for path in _sweep_artifacts(sweep_dir):
            client.log_artifact(run_id, str(path), _artifact_folder(sweep_dir, path))
        query = f"tags.`{SWEEP_DIR_TAG}` = '{_quoted(str(sweep_dir.resolve()))}'"
        for child in client.search_runs([experiment_id], filter_string=query,
                                        max_results=50_000):
            if child.info.run_id != run_id:
                client.set_tag(child.info.run_id, PARENT_TAG, run_id)
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id, status="FINISHED")
    return str(run_id)


def _snapshot_metrics(path: Path, interval: float, metric: type) -> Iterator[Any]:
    """``Metric`` entities of every finite snapshot value, and ``t`` at every step."""
    try:
        frame = pl.read_parquet(path, columns=["t", "slice", "metric", "value"])
    except (OSError, pl.exceptions.PolarsError):
        return
    frame = frame.with_columns(metric_steps(frame["t"], interval))
    for t, step in frame.select("t", "step").unique().sort("t").iter_rows():
        yield metric(key="t", value=float(t), timestamp=0, step=int(step))
    finite = frame.filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
    for slice_, name, value, step in finite.select("slice", "metric", "value",
                                                   "step").iter_rows():
        key = name if slice_ == "all" else f"{name}/{slice_}"
        yield metric(key=_BAD_KEY.sub("_", key), value=float(value), timestamp=0,
                     step=int(step))


def _summary_scalars(summary: Mapping[str, Any]) -> dict[str, float]:
    keys = ("wall_time_s", "impressions", "sessions", "organic_sessions",
            "impressions_per_second")
    out = {}
    for key in keys:
        value = summary.get(key)
        if isinstance(value, (int, float)) and math.isfinite(value):
            out[f"summary.{key}"] = float(value)
    return out


def _run_artifacts(run_dir: Path) -> list[Path]:
    files = [run_dir / name for name in RUN_FILES if (run_dir / name).is_file()]
    return files + _figures(run_dir)


def _sweep_artifacts(sweep_dir: Path) -> list[Path]:
    files = [sweep_dir / name for name in SWEEP_FILES if (sweep_dir / name).is_file()]
    return files + _figures(sweep_dir) + _figures(sweep_dir / "figures")


def _figures(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix in FIGURE_SUFFIXES and p.name not in SWEEP_FILES)


def _artifact_folder(root: Path, path: Path) -> str | None:
    parent = path.parent.relative_to(root)
    return None if str(parent) == "." else str(parent)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")
