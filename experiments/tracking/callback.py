"""Hydra callback: send each job, and each sweep's comparison, to the tracker.

Registered in ``conf/config.yaml`` under ``hydra.callbacks.tracking``; it does nothing
unless the job's config says ``tracking.backend: mlflow`` (``tracking=mlflow``).

* ``on_job_end`` runs in the process of the job (the joblib worker, the Ray actor, the
  SLURM task) after the job wrote its run folder: the folder is logged as one MLflow run.
  Under the ``loopsim`` command that process forks the next job's run
  (:mod:`loopsim.experiments.runs.supervise`), and a fork after polars or the MLflow
  client started threads can hang the child on a lock they held: there the logging runs
  in a fresh Python process (``python -m loopsim.experiments.tracking``).
* ``on_multirun_end`` runs after the comparison callback (declared before it): the
  sweep's tables, figures and report become a parent run, the jobs nested under it.

The tracker's failure never loses a run: its outputs are already on disk; the error is
logged as a warning and noted in ``summary.json`` (``tracking.error`` and
``warnings``), and the job keeps its status. Rerun the tracking later with
``python -m loopsim.experiments.tracking <run or sweep folders>``.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from loopsim.experiments.runs import supervise
from loopsim.experiments.tracking.options import TrackingOptions
from loopsim.simulator.io.results import SUMMARY_FILE, atomic_text
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)

__all__ = ["TrackingCallback", "options_of", "tracking_client"]


def options_of(config: DictConfig) -> TrackingOptions:
    """The ``tracking`` block of a job's config (``backend: none`` when absent)."""
    node = config.get("tracking")
    if node is None:
        return TrackingOptions()
    options = TrackingOptions(**OmegaConf.to_container(node, resolve=True))  # type: ignore[arg-type]
    options.validate()
    return options


#: Attempts at opening the store: jobs starting together on a new SQLite store race to
#: create its tables (the sweep's parent creates it first; this covers single runs).
ATTEMPTS = 4


def tracking_client(options: TrackingOptions) -> tuple[Any, str]:
    """An ``MlflowClient`` for ``options.uri`` and the id of ``options.experiment``
    (created when missing; a concurrent creation by another job is retried)."""
    for attempt in range(ATTEMPTS):
        try:
            return _client(options)
        except ImportError:
            raise
        except Exception:  # noqa: BLE001 - another process is creating the store
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(1.0 + attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _client(options: TrackingOptions) -> tuple[Any, str]:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise ImportError("tracking=mlflow needs MLflow: pip install 'loopsim[tracking]'") \
            from exc
    client = MlflowClient(tracking_uri=options.uri)
    found = client.get_experiment_by_name(options.experiment)
    if found is not None:
        return client, found.experiment_id
    try:
        return client, client.create_experiment(options.experiment)
    except Exception:  # noqa: BLE001 - created meanwhile by another job of the sweep
        found = client.get_experiment_by_name(options.experiment)
        if found is None:
            raise
        return client, found.experiment_id


class TrackingCallback(Callback):
    """Log each job's run folder, and the sweep's comparison, to ``tracking.backend``."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Open (create) the store and the experiment once, before the jobs start."""
        options = options_of(config)
        if options.backend == "none":
            return
        if supervise.enabled():  # the jobs are forked from here: no tracker threads
            command = [sys.executable, "-m", "loopsim.experiments.tracking",
                       "--experiment", options.experiment]
            if options.uri:
                command += ["--uri", options.uri]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:  # each job will try again and report
                log.warning("tracking: %s", (done.stderr.strip().splitlines() or ["?"])[-1])
            return
        try:
            tracking_client(options)
        except Exception as exc:  # noqa: BLE001 - each job will try again and report
            log.warning("tracking: %s", _short(exc))

    def on_job_end(self, config: DictConfig, job_return: Any = None, **kwargs: Any) -> None:
        """Log the job's run folder (after the job wrote it)."""
        options = options_of(config)
        if options.backend == "none":
            return
        run_dir = Path(str(config.hydra.runtime.output_dir))
        sweep_dir = None
        if str(config.hydra.mode) == "RunMode.MULTIRUN":
            sweep_dir = Path(str(config.hydra.sweep.dir))
        if supervise.enabled():
            track_run_in_subprocess(options, run_dir, sweep_dir)
        else:
            track_run(options, run_dir, sweep_dir)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Log the sweep's comparison as a parent run of its jobs."""
        options = options_of(config)
        if options.backend == "none":
            return
        sweep_dir = Path(str(config.hydra.sweep.dir))
        try:
            from loopsim.experiments.tracking.mlflow_log import log_sweep_folder

            client, experiment_id = tracking_client(options)
            run_id = log_sweep_folder(client, experiment_id, sweep_dir)
        except Exception as exc:  # noqa: BLE001 - the sweep is safe on disk: warn, go on
            log.warning("tracking: the sweep %s was not logged to %s: %s", sweep_dir,
                        options.uri or "MLflow's default store", _short(exc))
            return
        print(f"tracking: sweep {sweep_dir} -> MLflow run {run_id} "
              f"(experiment {options.experiment!r})")


def track_run(options: TrackingOptions, run_dir: Path, sweep_dir: Path | None) -> str | None:
    """Log ``run_dir``; on failure warn and note it in ``summary.json``, never raise."""
    try:
        from loopsim.experiments.tracking.mlflow_log import log_run_folder

        client, experiment_id = tracking_client(options)
        run_id = log_run_folder(client, experiment_id, run_dir, sweep_dir)
    except Exception as exc:  # noqa: BLE001 - the run's outputs are on disk: keep them
        message = (f"tracking: not logged to {options.uri or 'MLflow default store'}: "
                   f"{_short(exc)}")
        log.warning("%s (%s)", message, run_dir)
        _note(run_dir, {"backend": options.backend, "uri": options.uri, "error": message},
              warning=message)
        return None
    if run_id is not None:
        _note(run_dir, {"backend": options.backend, "uri": options.uri,
                        "experiment": options.experiment, "run_id": run_id})
    return run_id


def track_run_in_subprocess(options: TrackingOptions, run_dir: Path,
                            sweep_dir: Path | None) -> None:
    """:func:`track_run` in a fresh Python process, so that no polars or MLflow thread
    starts in this one (it forks the sweep's next jobs). Failures are handled there as
    in :func:`track_run`: warned, noted in ``summary.json``, never raised."""
    command = [sys.executable, "-m", "loopsim.experiments.tracking", "--experiment",
               options.experiment, str(run_dir)]
    if options.uri:
        command[3:3] = ["--uri", options.uri]
    if sweep_dir is not None:
        command[3:3] = ["--sweep", str(sweep_dir)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr.strip().splitlines() or ["no message"])
        message = f"tracking: not logged (its process ended with {done.returncode}): {lines[-1]}"
        log.warning("%s (%s)", message, run_dir)
        _note(run_dir, {"backend": options.backend, "uri": options.uri, "error": message},
              warning=message)


def _short(exc: BaseException) -> str:
    """The error's type and first line (database errors carry whole SQL statements)."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:300]}"


def _note(run_dir: Path, tracking: dict[str, Any], warning: str | None = None) -> None:
    """Add the tracking outcome to ``summary.json`` (when it exists and reads)."""
    path = run_dir / SUMMARY_FILE
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    summary["tracking"] = tracking
    if warning is not None:
        summary["warnings"] = [*summary.get("warnings", []), warning]
    atomic_text(path, json.dumps(summary, indent=2, default=str) + "\n")
