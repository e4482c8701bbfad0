"""Faults lose nothing: failed runs are recorded, sweeps go on, complete runs are skipped.

* :func:`record_failure` -- a run that failed before the engine could write its outputs
  (a bad value, a class that cannot be imported) still gets a ``summary.json`` with
  ``status: failed``, so ``compare`` lists it; the traceback goes to ``error.txt``.
* :func:`is_complete` -- ``resume=true`` skips a run folder holding a completed run of
  the same config.
* :class:`FailedRunsReport` -- a Hydra callback that, at the end of a sweep, lists the
  failed runs on stderr; :func:`sweep_failed` then lets ``loopsim`` exit with code 1.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from loopsim.simulator.results import SUMMARY_FILE
from omegaconf import DictConfig, OmegaConf

__all__ = [
    "ERROR_FILE",
    "FailedRunsReport",
    "failed_runs",
    "is_complete",
    "read_summary",
    "record_failure",
    "sweep_failed",
]

#: The traceback of a failed run, next to its ``summary.json``.
ERROR_FILE = "error.txt"

#: Keys that do not change a run's outputs (ignored when deciding whether to resume).
_NOT_OUTPUT_KEYS = ("resume", "progress")

#: Failed run folders of the last sweep of this process (set by FailedRunsReport).
_LAST_SWEEP_FAILURES: list[Path] = []


def read_summary(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's ``summary.json``, or ``None`` when it is missing or unreadable."""
    try:
        return json.loads((Path(run_dir) / SUMMARY_FILE).read_text())
    except (OSError, ValueError):
        return None


def _comparable(config: Any) -> Any:
    """A config as stored in ``summary.json``, without keys that do not change outputs."""
    plain = json.loads(json.dumps(config, default=str))
    if isinstance(plain, dict):
        for key in _NOT_OUTPUT_KEYS:
            plain.pop(key, None)
    return plain


def is_complete(run_dir: str | Path, cfg: DictConfig) -> bool:
    """True when ``run_dir`` holds a completed run of the same config as ``cfg``."""
    summary = read_summary(run_dir)
    if summary is None or summary.get("status") != "completed":
        return False
    if not all((Path(run_dir) / f).exists() for f in ("metrics.parquet", "items.parquet")):
        return False
    current = OmegaConf.to_container(cfg, resolve=True)
    return _comparable(summary.get("config")) == _comparable(current)


def record_failure(
    run_dir: str | Path, cfg: DictConfig, policy_name: str, error: BaseException
) -> None:
    """Write the traceback to ``error.txt`` and, if the run wrote none, a failed summary.

    A run that failed inside the engine already wrote its metrics and a ``summary.json``
    with ``status: failed``; that summary is kept. Otherwise a minimal one is written.
    """
    out = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    _atomic_text(out / ERROR_FILE, text)
    if read_summary(out) is not None:
        return
    try:
        config = OmegaConf.to_container(cfg, resolve=True)
    except Exception:  # an unresolvable interpolation: keep the raw config
        config = OmegaConf.to_container(cfg, resolve=False)
    summary = {
        "status": "failed",
        "policy": policy_name,
        "seed": cfg.get("seed"),
        "final_t": None,
        "final_metrics": {},
        "error": {"type": type(error).__name__, "message": str(error), "t": None},
        "config": config,
        "labels": {"run_id": out.name, "policy": policy_name, "seed": cfg.get("seed")},
    }
    _atomic_text(out / SUMMARY_FILE, json.dumps(summary, indent=2, default=str) + "\n")


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def failed_runs(sweep_dir: str | Path, since: float = 0.0) -> list[Path]:
    """Run folders under ``sweep_dir`` whose summary (written after ``since``) says failed."""
    out = []
    for path in sorted(Path(sweep_dir).rglob(SUMMARY_FILE)):
        if path.stat().st_mtime + 1.0 < since:
            continue
        summary = read_summary(path.parent)
        if summary is not None and summary.get("status") == "failed":
            out.append(path.parent)
    return out


def sweep_failed() -> bool:
    """True when the last sweep of this process had failed runs."""
    return bool(_LAST_SWEEP_FAILURES)


class FailedRunsReport(Callback):
    """At the end of a sweep, list its failed runs on stderr (the other runs completed)."""

    def __init__(self) -> None:
        self._start = time.time()

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Remember when the sweep started (older summaries are not this sweep's)."""
        self._start = time.time()
        _LAST_SWEEP_FAILURES.clear()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Print the failed runs of the sweep and remember them for the exit code."""
        failed = failed_runs(config.hydra.sweep.dir, self._start)
        _LAST_SWEEP_FAILURES[:] = failed
        if failed:
            lines = "\n".join(f"  {d}: {_error_line(d)}" for d in failed)
            print(f"loopsim: {len(failed)} run(s) of the sweep failed (status: failed in "
                  f"summary.json; tracebacks in {ERROR_FILE}):\n{lines}", file=sys.stderr)


def _error_line(run_dir: Path) -> str:
    summary = read_summary(run_dir) or {}
    error = summary.get("error") or {}
    return f"{error.get('type', '?')}: {error.get('message', '?')}"
