"""Faults lose nothing: failed runs are recorded, sweeps go on, complete runs are skipped.

* :func:`record_failure` -- a failed run always ends with a ``summary.json`` saying
  ``status: failed`` (the engine's own, with the metrics recorded up to the failure, or
  a minimal one when it failed before the engine could write), so ``compare`` lists it;
  the traceback goes to ``error.txt``.
* :func:`completion` / :func:`is_complete` -- ``resume=true`` skips a run folder holding
  a completed run of the same config whose files match the sizes and checksums its
  ``summary.json`` recorded; otherwise it says why and reruns it.
* :func:`record_refused` -- a job refused because another process holds its folder
  cannot write there; it is noted in the sweep folder instead.
* :class:`FailedRunsReport` -- a Hydra callback that refuses a sweep whose overrides
  would write outside the sweep folder, and at the end lists the failed and refused
  runs on stderr; :func:`sweep_failed` then lets ``loopsim`` exit with code 1.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from loopsim.experiments.runs.folder import escaping_overrides
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.io.results import (
    SCHEMA_VERSION,
    SUMMARY_FILE,
    atomic_text,
    check_outputs,
    versions,
)
from omegaconf import DictConfig, OmegaConf

__all__ = [
    "ERROR_FILE",
    "FailedRunsReport",
    "completion",
    "failed_runs",
    "holds_completed_run",
    "is_complete",
    "read_summary",
    "record_failure",
    "record_refused",
    "sweep_failed",
]

#: The traceback of a failed run, next to its ``summary.json``.
ERROR_FILE = "error.txt"

#: Keys that do not change a run's outputs (ignored when deciding whether to resume).
_NOT_OUTPUT_KEYS = ("resume", "progress", "tracking")

#: Failed run folders of the last sweep of this process (set by FailedRunsReport).
_LAST_SWEEP_FAILURES: list[Path] = []
#: Jobs refused because their folder was busy, one JSON line each, in the sweep folder.
REFUSED_FILE = ".loopsim-refused.jsonl"


def read_summary(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's ``summary.json``, or ``None`` when it is missing, unreadable or not a
    JSON object."""
    try:
        data = json.loads((Path(run_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _comparable(config: Any) -> Any:
    """A config as stored in ``summary.json``, without keys that do not change outputs."""
    plain = json.loads(json.dumps(config, default=str))
    if isinstance(plain, dict):
        for key in _NOT_OUTPUT_KEYS:
            plain.pop(key, None)
    return plain


def completion(run_dir: str | Path, cfg: DictConfig) -> tuple[bool, str]:
    """Whether ``run_dir`` holds a completed run of the same config as ``cfg``, made by
    this loopsim version with this schema version, and if not, why (naming the file
    whose size or checksum does not match)."""
    summary = read_summary(run_dir)
    if summary is None:
        return False, f"no readable {SUMMARY_FILE}"
    if summary.get("status") != "completed":
        return False, f"status {summary.get('status')!r}"
    problem = check_outputs(run_dir, summary)  # the schema version first
    if problem:
        return False, problem
    made_by = summary.get("versions")
    made_by = made_by.get("loopsim") if isinstance(made_by, dict) else None
    here = versions()["loopsim"]
    if made_by != here:
        return False, f"made by loopsim {made_by!r}, this is loopsim {here!r}"
    current = OmegaConf.to_container(cfg, resolve=True)
    if _comparable(summary.get("config")) != _comparable(current):
        return False, "another config"
    return True, ""


def holds_completed_run(run_dir: str | Path) -> bool:
    """True when ``run_dir`` holds an intact completed run (of any config)."""
    summary = read_summary(run_dir)
    return (summary is not None and summary.get("status") == "completed"
            and check_outputs(run_dir, summary) is None)


def is_complete(run_dir: str | Path, cfg: DictConfig) -> bool:
    """True when ``run_dir`` holds a completed, intact run of the same config as ``cfg``."""
    return completion(run_dir, cfg)[0]


def record_failure(
    run_dir: str | Path, cfg: DictConfig, policy_name: str, error: BaseException,
    overrides: list[str] | None = None,
) -> None:
    """Write the traceback to ``error.txt`` and make ``summary.json`` say ``failed``.

    A run that failed inside the engine already wrote its metrics and a ``summary.json``
    with ``status: failed``; that summary is kept. Any other summary (none, or one that
    says ``completed``) is replaced by a minimal failed one. The caller has moved the
    previous run's outputs aside, so nothing here is an older run's.
    """
    out = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    mask = input_files_mask(cfg)  # a message may quote an input file: no wider readable
    atomic_text(out / ERROR_FILE, text, mask)
    existing = read_summary(out)
    if existing is not None and existing.get("status") == "failed":
        path = out / SUMMARY_FILE
        os.chmod(path, path.stat().st_mode & 0o777 & mask)
        return
    try:
        config = OmegaConf.to_container(cfg, resolve=True)
    except Exception:  # an unresolvable interpolation: keep the raw config
        config = OmegaConf.to_container(cfg, resolve=False)
    summary = {
        "schema_version": SCHEMA_VERSION,
        "status": "failed",
        "policy": policy_name,
        "seed": cfg.get("seed"),
        "final_t": None,
        "final_metrics": {},
        "error": {"type": type(error).__name__, "message": str(error), "t": None},
        "config": config,
        "versions": versions(),
        "labels": {"run_id": out.name, "policy": policy_name, "seed": cfg.get("seed")},
    }
    if overrides is not None:
        summary["overrides"] = list(overrides)
    atomic_text(out / SUMMARY_FILE, json.dumps(summary, indent=2, default=str) + "\n", mask)


def input_files_mask(cfg: Any) -> int:
    """Permission bits a failure record may have, given the input files ``cfg`` names.

    A failure's message can quote the file that caused it (a ratings or history file's
    bad line); its record must not be readable by anyone the file itself hides from.
    Every config value under a key ``path`` or ``*_path`` that names a file counts: the
    group and other read bits of the result are those all such files have.
    """
    mask = 0o666
    for value in _path_values(cfg):
        try:
            mode = os.stat(value).st_mode
        except (OSError, ValueError):
            continue
        mask &= 0o600 | (mode & 0o044) | ((mode & 0o044) >> 1)
    return mask


def _path_values(node: Any) -> list[str]:
    try:
        plain = OmegaConf.to_container(node, resolve=False) if OmegaConf.is_config(node) else node
    except Exception:  # noqa: BLE001 - a broken config names no file
        return []
    out: list[str] = []
    stack = [plain]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, str) and (key == "path" or str(key).endswith("_path")):
                    out.append(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return out


def record_refused(sweep_dir: str | Path, run_dir: str | Path, reason: str) -> None:
    """Note in the sweep folder that the job of ``run_dir`` was refused (one JSON line)."""
    line = json.dumps({"time": time.time(), "run_dir": str(run_dir), "reason": reason})
    fd = os.open(Path(sweep_dir) / REFUSED_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def refused_runs(sweep_dir: str | Path, since: float = 0.0) -> list[tuple[Path, str]]:
    """Jobs of the sweep refused since ``since``: ``(run folder, reason)``."""
    try:
        lines = (Path(sweep_dir) / REFUSED_FILE).read_text().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if float(item.get("time", 0)) + 1.0 >= since:
            out.append((Path(item["run_dir"]), str(item.get("reason", ""))))
    return out


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
        """Refuse overrides that would climb out of the sweep folder; note the start.

        Raises:
            SystemExit: (code 2, before any job folder exists) an override's value holds
                a ``..`` path component while the job folders are named from the
                overrides or the label.
        """
        self._start = time.time()
        _LAST_SWEEP_FAILURES.clear()
        # Unresolved: the default subdir `${hydra.job.num}` has no value before the jobs.
        sweep = OmegaConf.to_container(config.hydra.sweep, resolve=False)
        subdir = str(sweep.get("subdir") or "") if isinstance(sweep, dict) else ""
        if "override_dirname" in subdir or "label" in subdir:
            params = config.hydra.get("sweeper", {}).get("params") or {}
            items = [f"{k}={v}" for k, v in params.items()]
            items += list(config.hydra.overrides.task)
            if bad := escaping_overrides(items):
                # Hydra turns a callback's exception into a warning and goes on: exit.
                error = ConfigError(
                    f"the overrides {bad} hold `..`, and hydra.sweep.subdir == {subdir!r} "
                    "names job folders from them: those jobs would write outside the sweep "
                    "folder. Use values without `..` (an absolute path for a file), or "
                    "the default hydra.sweep.subdir."
                )
                print(f"loopsim: configuration error: {error}", file=sys.stderr)
                raise SystemExit(2)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Print the failed and refused runs of the sweep; remember them for the exit code."""
        failed = failed_runs(config.hydra.sweep.dir, self._start)
        refused = refused_runs(config.hydra.sweep.dir, self._start)
        _LAST_SWEEP_FAILURES[:] = failed + [d for d, _ in refused]
        if failed:
            lines = "\n".join(f"  {d}: {_error_line(d)}" for d in failed)
            print(f"loopsim: {len(failed)} run(s) of the sweep failed (status: failed in "
                  f"summary.json; tracebacks in {ERROR_FILE}):\n{lines}", file=sys.stderr)
        if refused:
            lines = "\n".join(f"  {d}: {why}" for d, why in refused)
            print(f"loopsim: {len(refused)} run(s) of the sweep were refused (nothing "
                  f"written in their folders; the reason follows each):\n{lines}",
                  file=sys.stderr)


def _error_line(run_dir: Path) -> str:
    summary = read_summary(run_dir) or {}
    error = summary.get("error") or {}
    return f"{error.get('type', '?')}: {error.get('message', '?')}"
