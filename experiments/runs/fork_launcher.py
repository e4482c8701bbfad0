"""loopsim's launcher: a sweep's jobs in forked child processes (``hydra/launcher: loopsim``).

Hydra's joblib launcher starts worker interpreters that import everything again, and for
every job pickles the sweep's config and Hydra's singletons to a worker, composes the
job's config there (each worker its own compositions) and pickles the job's return back.
On the main job that was about a third of the CPU of a near-empty sweep (``horizon=1``).
This launcher runs each job in a child forked from the sweep's process:

* The job's config is composed in the sweep's process, through the sweeper's
  composition cache (:mod:`.compose_cache`): each choice of config groups is composed
  once for the whole sweep, not once per worker.
* The built-in parts a job imports are imported once, in the sweep's process, before the
  first fork (:func:`~loopsim.experiments.runs.warm.import_builtin_parts`): every child
  inherits them.
* The child runs Hydra's own :func:`hydra.core.utils.run_job`, so the job folder, its
  ``.hydra/`` files, logging and callbacks are what every launcher gives; it hands back
  only the job's status (a small file), and ends with ``os._exit``.

At most ``n_jobs`` children run at once (``-1``: one per core this process may use), each
with its share of the cores for its BLAS and OpenMP threads (cores // n_jobs, at least 1,
as joblib gives its workers; ``threadpoolctl``), unless ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` or ``MKL_NUM_THREADS`` says otherwise: a thread pool per child
as large as the machine made two children on two cores spin against each other (the main
job took 1.6x its CPU time).
A child that ends without handing back its status (killed, ``kill -9``) is reported
after the batch as :class:`WorkerDied`, which loopsim's sweeper answers as it answers a
dead joblib worker: the jobs without a result are launched again, then alone, then
recorded as failed. Ctrl-C or SIGTERM received by the sweep's process is passed on to
the running children, which record their runs as interrupted; the launcher waits for
them (at most :data:`~loopsim.experiments.cli.signals.GRACE_S` seconds) and raises again.

Where ``os.fork`` does not exist (Windows), the batch goes to Hydra's joblib launcher if
it is installed, else to Hydra's basic launcher (one job at a time).
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.utils import (
    JobReturn,
    JobStatus,
    configure_log,
    filter_overrides,
    run_job,
    setup_globals,
)
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from loopsim.simulator.errors import ConfigError
from omegaconf import DictConfig, open_dict
from threadpoolctl import threadpool_limits

__all__ = ["ForkLauncher", "WorkerDied", "child_threads", "usable_cores"]

log = logging.getLogger(__name__)

#: Seconds between two looks at the running children.
POLL_S = 0.02

#: Environment variables that, when set, leave the children's thread pools alone.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class WorkerDied(RuntimeError):
    """Jobs whose child process ended without handing back a status (killed)."""


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def child_threads(at_once: int) -> int | None:
    """BLAS/OpenMP threads per child: the usable cores shared by ``at_once`` children (at
    least 1); ``None`` where the environment sets a thread count itself."""
    if any(os.environ.get(name) for name in THREAD_VARIABLES):
        return None
    return max(1, usable_cores() // max(1, at_once))


class ForkLauncher(Launcher):
    """Runs each job of a sweep in a child forked from the sweep's process.

    Args:
        n_jobs: Jobs running at once; ``-1`` (default) is one per usable core, ``-k``
            all cores but ``k - 1``.
    """

    def __init__(self, n_jobs: int = -1) -> None:
        self.n_jobs = int(n_jobs)
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        """Keep what every job needs (Hydra calls this once per sweep)."""
        self.config = config
        self.task_function = task_function
        self.hydra_context = hydra_context

    def parallelism(self) -> int:
        """Jobs at once: ``n_jobs``, or one per usable core for ``-1``."""
        if self.n_jobs == 0:
            raise ConfigError("hydra.launcher.n_jobs=0: give the number of jobs at once "
                              "(1 or more), or -1 for one per core")
        cores = usable_cores()
        return self.n_jobs if self.n_jobs > 0 else max(1, cores + 1 + self.n_jobs)

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        """Run the batch's jobs, ``n_jobs`` at a time; their returns in batch order."""
        assert self.config is not None and self.hydra_context is not None
        if not hasattr(os, "fork"):
            return self._elsewhere(job_overrides, initial_job_idx)
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        at_once = self.parallelism()
        log.info(f"ForkLauncher(n_jobs={self.n_jobs}) is launching {len(job_overrides)} "
                 f"jobs, {at_once} at a time")
        log.info(f"Launching jobs, sweep output dir : {sweep_dir}")
        for idx, overrides in enumerate(job_overrides):
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
        returns: list[JobReturn | None] = [None] * len(job_overrides)
        running: dict[int, tuple[int, Path]] = {}
        threads = child_threads(at_once)
        # Set here, before the forks: every child inherits the limit (restored after).
        limits = threadpool_limits(limits=threads) if threads else None
        try:
            self._run_batch(job_overrides, initial_job_idx, at_once, returns, running)
        finally:
            if limits is not None:
                limits.restore_original_limits()
        dead = [initial_job_idx + pos for pos, ret in enumerate(returns) if ret is None]
        if dead:
            raise WorkerDied(f"the child process of job(s) {dead} ended without a result "
                             "(killed by the system when memory ran out, or by `kill -9`)")
        return [ret for ret in returns if ret is not None]

    # -- the sweep's process ------------------------------------------------------------
    def _run_batch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int,
                   at_once: int, returns: list[JobReturn | None],
                   running: dict[int, tuple[int, Path]]) -> None:
        """Fork the jobs ``at_once`` at a time and collect what they hand back."""
        with tempfile.TemporaryDirectory(prefix="loopsim-jobs-") as tmp:
            try:
                for pos, overrides in enumerate(job_overrides):
                    # Composed while the running jobs run, not after a slot frees.
                    cfg = self._job_config(overrides, initial_job_idx + pos)
                    while len(running) >= at_once:
                        self._reap(running, returns, block=True)
                    out = Path(tmp) / f"{pos}.pkl"
                    running[self._fork(cfg, out)] = (pos, out)
                while running:
                    self._reap(running, returns, block=True)
            except BaseException as stop:
                self._stop(running, returns, stop)
                raise

    def _job_config(self, overrides: Sequence[str], idx: int) -> DictConfig:
        """Job ``idx``'s config, as Hydra's launchers compose it (composed here: once per
        choice of config groups for the whole sweep)."""
        from loopsim.experiments.runs.warm import import_builtin_parts

        assert self.config is not None and self.hydra_context is not None
        cfg = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
        with open_dict(cfg):
            cfg.hydra.job.id = f"{cfg.hydra.job.name}_{idx}"
            cfg.hydra.job.num = idx
        import_builtin_parts(cfg)  # here, before the fork: every child inherits them
        return cfg

    def _fork(self, cfg: DictConfig, out: Path) -> int:
        """Start the job of ``cfg`` in a child process; its pid."""
        _flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            self._child(cfg, out)
        return pid

    def _reap(self, running: dict[int, tuple[int, Path]], returns: list[JobReturn | None],
              block: bool) -> None:
        """Collect the children that ended (waiting for one when ``block``)."""
        while True:
            ended = False
            for pid in list(running):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): ended
                    done = pid
                if not done:
                    continue
                ended = True
                pos, out = running.pop(pid)
                returns[pos] = _read_return(out)
            if ended or not block or not running:
                return
            time.sleep(POLL_S)  # polled: see supervise.py on blocking waits and signals

    def _stop(self, running: dict[int, tuple[int, Path]], returns: list[JobReturn | None],
              stop: BaseException) -> None:
        """Pass an interruption on to the running children and wait for them to record."""
        from loopsim.experiments.cli.signals import GRACE_S

        sig = signal.SIGINT if type(stop) is KeyboardInterrupt else signal.SIGTERM
        for pid in list(running):
            try:
                os.kill(pid, sig)
            except OSError:
                continue
        deadline = time.monotonic() + GRACE_S
        while running and time.monotonic() < deadline:
            try:
                self._reap(running, returns, block=False)
                time.sleep(POLL_S)
            except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
                break

    def _elsewhere(self, job_overrides: Sequence[Sequence[str]],
                   initial_job_idx: int) -> Sequence[JobReturn]:
        """The batch under joblib (installed) or Hydra's basic launcher: no ``os.fork``."""
        assert self.config is not None and self.hydra_context is not None
        inner: Launcher
        try:
            from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher
            inner = JoblibLauncher(n_jobs=self.n_jobs, backend=None, prefer="processes",
                                   require=None, verbose=0, timeout=None,
                                   pre_dispatch="2*n_jobs", batch_size="auto",
                                   temp_folder=None, max_nbytes=None, mmap_mode="r")
        except ImportError:
            from hydra._internal.core_plugins.basic_launcher import BasicLauncher
            inner = BasicLauncher()
        inner.setup(hydra_context=self.hydra_context, task_function=self.task_function,
                    config=self.config)
        return inner.launch(job_overrides, initial_job_idx)

    # -- the child --------------------------------------------------------------------
    def _child(self, cfg: DictConfig, out: Path) -> None:
        """Run the job, hand back its status in ``out``, and end the process."""
        from loopsim.experiments.cli.above_line import unwrap_streams

        code = 1
        try:
            unwrap_streams()  # the sweep's progress line is the parent's
            ret = run_job(hydra_context=self.hydra_context, task_function=self.task_function,
                          config=cfg, job_dir_key="hydra.sweep.dir",
                          job_subdir_key="hydra.sweep.subdir")
            _write_return(out, ret)
            code = 0
        except BaseException as exc:  # noqa: BLE001 - handed back: the sweep decides
            _write_return(out, JobReturn(overrides=list(cfg.hydra.overrides.task),
                                         status=JobStatus.FAILED, _return_value=exc))
            code = 130 if isinstance(exc, KeyboardInterrupt) else 1
        finally:
            _flush()
            os._exit(code)


def _write_return(out: Path, ret: JobReturn) -> None:
    """The parts of ``ret`` the sweep reads (not its configs), pickled to ``out``."""
    value = ret._return_value  # noqa: SLF001 - read without raising a failed job's error
    try:
        pickle.dumps(value)
    except Exception:  # noqa: BLE001 - an unpicklable return value: its text
        value = RuntimeError(repr(value)) if ret.status == JobStatus.FAILED else repr(value)
    slim = {"overrides": list(ret.overrides or []), "status": ret.status,
            "value": value, "working_dir": ret.working_dir, "task_name": ret.task_name}
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(slim))
    tmp.replace(out)


def _read_return(out: Path) -> JobReturn | None:
    """The return a child handed back, or ``None`` if it ended without one."""
    try:
        slim: dict[str, Any] = pickle.loads(out.read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError):
        return None
    return JobReturn(overrides=slim["overrides"], status=slim["status"],
                     _return_value=slim["value"], working_dir=slim["working_dir"],
                     task_name=slim["task_name"])


def _flush() -> None:
    """Flush Python's streams: a fork would write their buffers twice."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            continue
