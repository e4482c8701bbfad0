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
  only the job's status (through a pipe), and ends with ``os._exit``.

At most ``n_jobs`` children run at once (``-1``: one per core this process may use), each
with its share of the cores for its BLAS and OpenMP threads (cores // n_jobs, at least 1,
as joblib gives its workers: ``threadpoolctl`` for the libraries loaded, the variables
for those the job loads), unless ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` or
``MKL_NUM_THREADS`` says otherwise: a thread pool per child as large as the machine made
two children on two cores spin against each other (the main job took 1.6x its CPU time).
A child that ends without handing back its status (killed, ``kill -9``) is reported
after the batch as :class:`WorkerDied`, which loopsim's sweeper answers as it answers a
dead joblib worker: the jobs without a result are launched again, then alone, then
recorded as failed. SIGTERM received by the sweep's process is passed on to the running
children, and so is Ctrl-C unless the terminal sent it to the whole process group
already; they record their runs as interrupted, and the launcher waits for them (at
most :data:`~loopsim.experiments.cli.signals.GRACE_S` seconds) and raises again. Other
errors wait for the running children to finish. While a child is forked, Ctrl-C and
SIGTERM are only noted, and replayed once it is tracked (a signal raised inside
``os.fork``'s hooks would be lost, and a child forked but not yet tracked would be
neither stopped nor waited for); the child replays what it noted inside its ``try``, so
nothing it raises can run the sweep's code.

Where ``os.fork`` does not exist, the batch goes to Hydra's joblib launcher if
it is installed, else to Hydra's basic launcher (one job at a time).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
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
from loopsim.experiments.runs.cores import usable_cores
from loopsim.experiments.runs.fork_signals import note_signals, replay_signal, restore_signals
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
        running: dict[int, _Child] = {}
        threads = child_threads(at_once)
        self._run_batch(job_overrides, initial_job_idx, at_once, threads, returns, running)
        dead = [initial_job_idx + pos for pos, ret in enumerate(returns) if ret is None]
        if dead:
            raise WorkerDied(f"the child process of job(s) {dead} ended without a result "
                             "(killed by the system when memory ran out, or by `kill -9`)")
        return [ret for ret in returns if ret is not None]

    # -- the sweep's process ------------------------------------------------------------
    def _run_batch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int,
                   at_once: int, threads: int | None, returns: list[JobReturn | None],
                   running: dict[int, _Child]) -> None:
        """Fork the jobs ``at_once`` at a time and collect what they hand back.

        An interruption (Ctrl-C, SIGTERM) is passed on to the running children, which
        record their runs; any other error waits for them to finish first.
        """
        try:
            for pos, overrides in enumerate(job_overrides):
                # Composed while the running jobs run, not after a slot frees.
                cfg = self._job_config(overrides, initial_job_idx + pos)
                while len(running) >= at_once:
                    self._reap(running, returns, block=True)
                self._fork(cfg, pos, threads, running)
            while running:
                self._reap(running, returns, block=True)
        except KeyboardInterrupt as stop:
            self._stop(running, returns, stop)
            raise
        except BaseException:
            self._wait(running, returns)
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

    def _fork(self, cfg: DictConfig, pos: int, threads: int | None,
              running: dict[int, _Child]) -> None:
        """Start the job of ``cfg`` in a child process and track it in ``running``.

        Ctrl-C and SIGTERM are only noted while the child is forked and tracked (as in
        :func:`~loopsim.experiments.runs.supervise.supervised`): raised inside
        ``os.fork``'s own hooks they would be lost, and raised before the child is
        tracked it would be neither stopped nor waited for. Each side replays what it
        noted once it is ready.
        """
        read_end, write_end = os.pipe()
        _flush()
        parent = os.getpid()
        saved, noted = note_signals()
        try:
            pid = os.fork()
        except BaseException:
            restore_signals(saved)
            os.close(read_end)
            os.close(write_end)
            raise
        if pid == 0:  # the child: never returns
            self._child(cfg, read_end, write_end, parent, threads, saved, noted)
        os.close(write_end)
        os.set_blocking(read_end, False)
        running[pid] = _Child(pos, read_end)
        restore_signals(saved)
        if noted:  # a signal that came during the fork: handled as if now
            replay_signal(saved, noted[0])

    def _reap(self, running: dict[int, _Child], returns: list[JobReturn | None],
              block: bool) -> None:
        """Read what the children wrote; collect those that ended (waiting for one when
        ``block``)."""
        while True:
            ended = False
            for pid in list(running):
                child = running[pid]
                child.read()
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): ended
                    done = pid
                if not done:
                    continue
                ended = True
                del running[pid]
                returns[child.pos] = child.result()
            if ended or not block or not running:
                return
            time.sleep(POLL_S)  # polled: see supervise.py on blocking waits and signals

    def _wait(self, running: dict[int, _Child], returns: list[JobReturn | None]) -> None:
        """Let the running children finish (a second Ctrl-C stops waiting)."""
        try:
            while running:
                self._reap(running, returns, block=True)
        except KeyboardInterrupt:
            return

    def _stop(self, running: dict[int, _Child], returns: list[JobReturn | None],
              stop: BaseException) -> None:
        """Pass an interruption on to the running children and wait for them to record.

        A Ctrl-C typed at the terminal reached every process of the sweep's group: it is
        not sent again (a second one could cut a job's record of the first short).
        """
        from loopsim.experiments.cli.signals import GRACE_S

        ctrl_c = type(stop) is KeyboardInterrupt
        if not (ctrl_c and _group_was_interrupted()):
            sig = signal.SIGINT if ctrl_c else signal.SIGTERM
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
        for child in running.values():
            child.close()

    def _elsewhere(self, job_overrides: Sequence[Sequence[str]],
                   initial_job_idx: int) -> Sequence[JobReturn]:
        """The batch under joblib (installed) or Hydra's basic launcher: no ``os.fork``."""
        assert self.config is not None and self.hydra_context is not None
        inner: Launcher
        try:
            from hydra_plugins.hydra_joblib_launcher.config import JobLibLauncherConf
            from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher

            settings = {key: value for key, value in asdict(JobLibLauncherConf()).items()
                        if key != "_target_"}
            inner = JoblibLauncher(**{**settings, "n_jobs": self.n_jobs})
        except ImportError:
            from hydra._internal.core_plugins.basic_launcher import BasicLauncher
            inner = BasicLauncher()
        inner.setup(hydra_context=self.hydra_context, task_function=self.task_function,
                    config=self.config)
        return inner.launch(job_overrides, initial_job_idx)

    # -- the child --------------------------------------------------------------------
    def _child(self, cfg: DictConfig, read_end: int, write_end: int, parent: int,
               threads: int | None, saved: dict[int, Any], noted: list[int]) -> None:
        """Run the job, hand back its status through ``write_end``, and end the process.

        Everything happens inside the ``try``: nothing raised here may escape into the
        sweep's code (it would run the parent's loop, cleanup and comparison in the
        child).
        """
        code = 1
        payload = b""
        try:
            from loopsim.experiments.cli.above_line import unwrap_streams
            from loopsim.experiments.cli.signals import Terminated

            os.close(read_end)
            restore_signals(saved)
            # Gone already? From the job's start on, its parent watch sees it (signals.py).
            if os.getppid() != parent:
                raise Terminated("the sweep's parent process is gone")
            if noted:
                replay_signal(saved, noted[0])
            unwrap_streams()  # the sweep's progress line is the parent's
            if threads:  # libraries loaded later by the job read the variables
                for name in THREAD_VARIABLES:
                    os.environ[name] = str(threads)
                threadpool_limits(limits=threads)
            ret = run_job(hydra_context=self.hydra_context, task_function=self.task_function,
                          config=cfg, job_dir_key="hydra.sweep.dir",
                          job_subdir_key="hydra.sweep.subdir")
            payload = _slim(ret)
            code = 0
        except BaseException as exc:  # noqa: BLE001 - handed back: the sweep decides
            with contextlib.suppress(BaseException):
                payload = _slim(JobReturn(overrides=list(cfg.hydra.overrides.task),
                                          status=JobStatus.FAILED, _return_value=exc))
            code = 130 if isinstance(exc, KeyboardInterrupt) else 1
        finally:
            with contextlib.suppress(BaseException):
                _flush()
                _write_all(write_end, payload)
            os._exit(code)


@dataclass
class _Child:
    """A running job's child process as the sweep's process sees it."""

    pos: int
    fd: int
    chunks: list[bytes] = field(default_factory=list)

    def read(self) -> None:
        """Read what the child wrote so far (never blocks)."""
        while self.fd >= 0:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:  # the child closed its end: ended
                self.close()
                return
            self.chunks.append(chunk)

    def result(self) -> JobReturn | None:
        """The return the child handed back (it has ended), or ``None``: none."""
        if self.fd >= 0:
            os.set_blocking(self.fd, True)
            self.read()
        return _read_return(b"".join(self.chunks))

    def close(self) -> None:
        """Close the read end."""
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1


def _group_was_interrupted() -> bool:
    """Whether a Ctrl-C reached the whole process group: the group is in the foreground
    of the terminal it runs on (the terminal sends SIGINT to every process of it)."""
    for stream in (sys.stdin, sys.stderr, sys.stdout):
        try:
            fd = stream.fileno()
            if os.isatty(fd):
                return os.tcgetpgrp(fd) == os.getpgrp()
        except (AttributeError, OSError, ValueError):
            continue
    return False


def _slim(ret: JobReturn) -> bytes:
    """The parts of ``ret`` the sweep reads (not its configs), pickled; a value that does
    not survive pickling goes as its text."""
    value = ret._return_value  # noqa: SLF001 - read without raising a failed job's error
    try:
        pickle.loads(pickle.dumps(value))
    except Exception:  # noqa: BLE001 - an unpicklable return value: its text
        value = RuntimeError(repr(value)) if ret.status == JobStatus.FAILED else repr(value)
    return pickle.dumps({"overrides": list(ret.overrides or []), "status": ret.status,
                         "value": value, "working_dir": ret.working_dir,
                         "task_name": ret.task_name})


def _write_all(fd: int, data: bytes) -> None:
    """Write ``data`` to ``fd`` whole, then close it."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _read_return(data: bytes) -> JobReturn | None:
    """The return a child handed back, or ``None`` if it handed back nothing (killed).

    What cannot be read back is a failed job whose error says so (not a dead worker,
    which would be launched again).
    """
    if not data:
        return None
    try:
        slim: dict[str, Any] = pickle.loads(data)
        return JobReturn(overrides=slim["overrides"], status=slim["status"],
                         _return_value=slim["value"], working_dir=slim["working_dir"],
                         task_name=slim["task_name"])
    except Exception as exc:  # noqa: BLE001 - cut or unreadable: the job failed
        return JobReturn(overrides=[], status=JobStatus.FAILED,
                         _return_value=RuntimeError(f"the job's result could not be read "
                                                    f"back: {exc!r}"))


def _flush() -> None:
    """Flush Python's streams: a fork would write their buffers twice."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            continue
