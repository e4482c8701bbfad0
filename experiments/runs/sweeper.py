"""loopsim's sweeper: Hydra's basic sweeper with two guards (``hydra/sweeper: loopsim``).

* **Job folders stay inside the sweep folder.** Before a batch is launched, each job's
  folder (``hydra.sweep.dir``/``hydra.sweep.subdir``, resolved as the launcher will
  resolve it: ``${label}``, ``${hydra.job.override_dirname}``...) is checked; an
  absolute or escaping one stops the sweep with a configuration error *before* Hydra
  writes ``.hydra/`` or ``run.log`` anywhere.
* **A dead worker does not stop the sweep.** When the launcher raises because a worker
  process died (joblib's ``TerminatedWorkerError``: killed by the system when memory ran
  out, or by ``kill -9``; joblib then ends every worker, so the jobs in flight are lost
  with it; loopsim's launcher's ``WorkerDied``, after the rest of the batch), every job
  of the batch whose folder holds no result of this sweep is launched again; if a
  worker dies again, those jobs are launched one at a time, and a job whose own launch
  dies is recorded as failed in its folder. The rest of the sweep
  goes on, and ``loopsim`` exits with 1 at the end.
* **The progress line knows the sweep.** Before a batch is launched, the sweep's size
  and, under ``resume=true``, the job folders that already hold a completed run of
  their job's config are noted for the sweep's progress line
  (:mod:`loopsim.experiments.runs.plan`): a resumed sweep counts them as done.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext
from loopsim.experiments.runs import plan
from loopsim.experiments.runs.compose_cache import CachedSweepLoader
from loopsim.experiments.runs.faults import completion, read_summary, record_failure
from loopsim.experiments.runs.folder import LOCK_FILE, check_inside
from loopsim.simulator.errors import ConfigError, RunAborted
from omegaconf import DictConfig, OmegaConf, open_dict

__all__ = ["GuardedBasicSweeper", "job_folder", "worker_died"]

#: Names of the exceptions a launcher raises when a worker process or job died.
WORKER_DEATHS = ("TerminatedWorkerError", "BrokenProcessPool", "UncompletedJobError",
                 "WorkerDied")
#: Seconds to wait for a dead worker's run to release its folder's lock.
LOCK_WAIT_S = 30.0
#: The default job folder name: the job number (always inside the sweep folder).
DEFAULT_SUBDIR = "${hydra.job.num}"


def worker_died(exc: BaseException) -> bool:
    """True when ``exc`` (or its cause) says a launcher's worker process died."""
    seen: BaseException | None = exc
    while seen is not None:
        if any(t.__name__ in WORKER_DEATHS for t in type(seen).__mro__):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def job_config(sweeper: BasicSweeper, overrides: Sequence[str], idx: int) -> DictConfig:
    """The config of job ``idx`` as the launcher composes it."""
    cfg = sweeper.hydra_context.config_loader.load_sweep_config(sweeper.config, list(overrides))
    with open_dict(cfg):
        cfg.hydra.job.id = f"{cfg.hydra.job.name}_{idx}"
        cfg.hydra.job.num = idx
    return cfg


def job_folder(cfg: DictConfig) -> Path:
    """The folder a job of ``cfg`` writes (``hydra.sweep.dir``/``hydra.sweep.subdir``)."""
    saved = HydraConfig.instance().cfg
    try:
        HydraConfig.instance().set_config(cfg)
        sweep = str(OmegaConf.select(cfg, "hydra.sweep.dir"))
        subdir = str(OmegaConf.select(cfg, "hydra.sweep.subdir"))
    finally:
        HydraConfig.instance().cfg = saved
    return Path(os.path.abspath(os.path.join(sweep, subdir)))


class GuardedLauncher(Launcher):
    """Wraps the configured launcher: relaunches the jobs a dead worker took with it."""

    def __init__(self, inner: Launcher, sweeper: GuardedBasicSweeper) -> None:
        self.inner = inner
        self.sweeper = sweeper

    def setup(self, **kwargs: Any) -> None:  # pragma: no cover - the inner one is set up
        self.inner.setup(**kwargs)

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        """Launch the batch; after a worker's death, finish it (see the module doc)."""
        start = time.time()
        try:
            return self.inner.launch(job_overrides, initial_job_idx)
        except Exception as exc:
            if not worker_died(exc):
                raise
            print(f"loopsim: a worker process of the sweep died ({type(exc).__name__}); "
                  "its jobs are recorded as failed or launched again", file=sys.stderr)
        jobs = list(enumerate(job_overrides, start=initial_job_idx))
        pending = [(i, ov) for i, ov in jobs if not self._has_result(i, ov, start)]
        for first, chunk in _contiguous(pending):
            try:
                self.inner.launch(chunk, first)
                continue
            except Exception as exc:
                if not worker_died(exc):
                    raise
            # Died again: one job per launch now, so a death names its own job.
            for i, ov in enumerate(chunk, start=first):
                if self._has_result(i, ov, start):
                    continue
                try:
                    self.inner.launch([ov], i)
                except Exception as exc:
                    if not worker_died(exc):
                        raise
                if not self._has_result(i, ov, start):
                    self._record_dead(i, ov)
        return [JobReturn(overrides=list(ov), status=JobStatus.COMPLETED, _return_value=None)
                for _, ov in jobs]

    def _has_result(self, idx: int, overrides: Sequence[str], since: float) -> bool:
        folder = job_folder(job_config(self.sweeper, overrides, idx))
        _wait_for_lock(folder / LOCK_FILE)
        summary = folder / "summary.json"
        return (summary.exists() and summary.stat().st_mtime + 1.0 >= since
                and read_summary(folder) is not None)

    def _record_dead(self, idx: int, overrides: Sequence[str]) -> None:
        cfg = job_config(self.sweeper, overrides, idx)
        folder = job_folder(cfg)
        task = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
        name = str(task.get("label") or cfg.hydra.runtime.choices.get("policy", "policy"))
        error = RunAborted("its worker process died while running it, launched alone (killed "
                           "by the system when memory ran out, or by `kill -9`)")
        record_failure(folder, task, name, error, list(overrides))
        print(f"loopsim: run failed: {name} seed={task.get('seed')}: {error}\n"
              f"  kept in {folder} (summary.json status: failed)", file=sys.stderr)


class GuardedBasicSweeper(BasicSweeper):
    """Hydra's basic sweeper, with job folders checked and dead workers survived."""

    def __init__(self, max_batch_size: int | None = None,
                 params: dict[str, str] | None = None) -> None:
        # BasicSweeper.__init__ is not called: it names its class through a module global
        # that Hydra's plugin scan rebinds (re-importing the module), which breaks
        # ``super(BasicSweeper, self)`` in subclasses. These are its attributes.
        self.overrides: Any = None
        self.batch_index = 0
        self.max_batch_size = max_batch_size
        self.params = params or {}
        self.hydra_context: Any = None
        self.config: Any = None
        self.launcher: Any = None
        self._next_idx = 0

    def setup(self, **kwargs: Any) -> None:
        """Set up as the basic sweeper, composing through :class:`CachedSweepLoader`
        (each choice of config groups once per process), then wrap its launcher."""
        context = kwargs.get("hydra_context")
        if context is not None and not isinstance(context.config_loader, CachedSweepLoader):
            kwargs["hydra_context"] = HydraContext(
                config_loader=CachedSweepLoader(context.config_loader),
                callbacks=context.callbacks)
        BasicSweeper.setup(self, **kwargs)
        self.launcher = GuardedLauncher(self.launcher, self)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Compose every job of the batch (as Hydra does) and check its folder; under the
        default folder names (the job number) only the jobs that may resume.

        Raises:
            SystemExit: (code 2) a job's folder lies outside the sweep folder.
        """
        subdir = OmegaConf.to_container(self.config.hydra.sweep, resolve=False).get("subdir")
        complete: set[Path] = set()
        for overrides in batch:
            idx, self._next_idx = self._next_idx, self._next_idx + 1
            if subdir == DEFAULT_SUBDIR and not _may_resume(self.config, overrides):
                continue  # nothing to check: composing it here would only cost time
            cfg = job_config(self, overrides, idx)
            if cfg.get("resume") and _already_complete(cfg):
                complete.add(job_folder(cfg))
            if subdir == DEFAULT_SUBDIR:
                continue
            folder = job_folder(cfg)
            try:
                check_inside(folder, str(cfg.hydra.sweep.dir))
            except ConfigError as exc:
                print(f"loopsim: configuration error: job {idx} ({' '.join(overrides)}): "
                      f"{exc}", file=sys.stderr)
                raise SystemExit(2) from None
        plan.announce(sum(len(b) for b in self.overrides or ()), complete)


def _may_resume(config: DictConfig, overrides: Sequence[str]) -> bool:
    """Whether a job may run with ``resume=true``: the sweep's config sets it, or one of
    the job's overrides names it (composing each job's config in the sweep's process
    costs ~0.5 s a job before any job starts: 30 s for the 60 runs of the main job)."""
    if OmegaConf.select(config, "resume", default=False) not in (False, None, "false"):
        return True
    return any(o.lstrip("+~").split("=", 1)[0] == "resume" for o in overrides)


def _already_complete(cfg: DictConfig) -> bool:
    """True when the job of ``cfg`` will skip its folder under ``resume=true``: it holds
    a completed run of the same config (the job's own rule; a folder it cannot judge
    counts as not complete)."""
    saved = HydraConfig.instance().cfg
    try:
        HydraConfig.instance().set_config(cfg)  # the task's ${hydra:...} resolve as in the job
        task = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
        return completion(job_folder(cfg), task)[0]
    except Exception:  # noqa: BLE001 - the job decides; the line only counts
        return False
    finally:
        HydraConfig.instance().cfg = saved


def _contiguous(jobs: list[tuple[int, Sequence[str]]]) -> list[tuple[int, list[Sequence[str]]]]:
    """Runs of consecutive job numbers: ``[(first number, [overrides...])]``."""
    out: list[tuple[int, list[Sequence[str]]]] = []
    for idx, ov in jobs:
        if out and out[-1][0] + len(out[-1][1]) == idx:
            out[-1][1].append(ov)
        else:
            out.append((idx, [ov]))
    return out


def _wait_for_lock(path: Path, timeout: float = LOCK_WAIT_S) -> None:
    """Wait until no process holds the run folder's lock (a dying run records first)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.2)
    finally:
        os.close(fd)
