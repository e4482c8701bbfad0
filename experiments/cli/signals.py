"""Signals and parents: SIGTERM stops a run like Ctrl-C, and a worker never outlives its sweep.

* :func:`handle_sigterm` -- SIGTERM (sent by ``timeout``, ``kill`` and SLURM's
  ``scancel`` or time limit) raises :class:`Terminated`, a ``KeyboardInterrupt``, in
  the main thread: the running job records itself as failed (interrupted) with its
  metrics so far, and ``loopsim`` exits with 143 after comparing what exists. A sweep
  run by joblib forwards the signal to its workers and waits for them to record.
* :func:`watch_parent` -- in a worker process of a sweep (joblib), a daemon thread
  checks twice a second that the process that started the worker is still its parent.
  When the parent is gone (SIGKILLed), the worker's run is interrupted like Ctrl-C,
  records itself as failed, and the worker exits instead of starting other jobs.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
import time
from types import FrameType

__all__ = ["PARENT_ENV", "Terminated", "exit_if_worker", "handle_sigterm", "is_worker",
           "mark_sweep_parent", "parent_gone", "watch_parent"]

#: The environment variable holding the pid of the ``loopsim`` process of a sweep.
PARENT_ENV = "LOOPSIM_SWEEP_PID"
#: Seconds a worker whose parent is gone gets to record its failure before it exits.
GRACE_S = 20.0

_orphaned = threading.Event()
_watching = threading.Event()


class Terminated(KeyboardInterrupt):
    """SIGTERM was received, or the sweep's parent process is gone."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    if _orphaned.is_set():
        raise Terminated("the sweep's parent process is gone")
    _stop_workers(signum)
    raise Terminated(f"stopped by {signal.Signals(signum).name}")


def _stop_workers(signum: int) -> None:
    """Forward the signal to the sweep's joblib workers and give them time to record.

    Without it joblib kills them (SIGKILL) as the parent stops, before they can write
    that their run was interrupted. Only a parent that already uses joblib does this.
    """
    module = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(module, "_executor", None)
    workers = list((getattr(executor, "_processes", None) or {}).values())
    for worker in workers:
        try:
            os.kill(worker.pid, signum)
        except (OSError, AttributeError):
            continue
    deadline = time.monotonic() + GRACE_S
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))


def is_worker() -> bool:
    """True in a worker process of a sweep (its parent runs the sweep)."""
    parent = os.environ.get(PARENT_ENV)
    return parent is not None and parent != str(os.getpid())


def handle_sigterm() -> None:
    """Make SIGTERM raise :class:`Terminated` (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


def mark_sweep_parent() -> None:
    """Record this process as the parent that worker processes watch."""
    os.environ[PARENT_ENV] = str(os.getpid())


def watch_parent(interval: float = 0.5) -> None:
    """In a worker of a sweep, start the daemon thread that watches its parent (once)."""
    if not is_worker() or _watching.is_set():
        return
    _watching.set()
    first = os.getppid()

    def watch() -> None:
        while os.getppid() == first:
            time.sleep(interval)
        _orphaned.set()
        # Runs the SIGTERM handler in the main thread: Terminated in the run, which
        # records itself (a plain KeyboardInterrupt where no handler is installed).
        _thread.interrupt_main(signal.SIGTERM)
        time.sleep(GRACE_S)
        os._exit(1)

    threading.Thread(target=watch, name="loopsim-parent-watch", daemon=True).start()


def parent_gone() -> bool:
    """True once the watched parent process is gone."""
    return _orphaned.is_set()


def exit_if_worker() -> None:
    """End a worker at once after an interruption (called after recording), so that it
    starts no other job of a sweep that is stopping."""
    if is_worker():
        os._exit(143 if not _orphaned.is_set() else 1)
