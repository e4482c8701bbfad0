"""A run's body in a child process, watched by the job's own process.

Whatever the run does -- a policy that calls ``os._exit``, raises ``KeyboardInterrupt``,
crashes the interpreter, or a kill by the system when memory runs out (the kernel kills
the largest process: the child doing the work) -- the supervising process survives it,
records the run as failed (``summary.json`` status ``failed``, the cause in its error),
and returns, so a sweep's other jobs go on and ``resume=true`` reruns exactly this one.

* :func:`supervised` -- run ``body`` in a forked child; return an :class:`Outcome`.
* :func:`enable` / :func:`enabled` -- the ``loopsim`` command turns supervision on for
  itself and the worker processes of its sweeps (``LOOPSIM_SUPERVISE=1``); code that
  calls the Hydra task in-process (tests, notebooks) runs the body inline, because a
  fork after polars started its thread pool could hang the child.

The child reports how it ended through a pipe; a child that ends without reporting
ended abruptly, and its exit status (``os._exit(n)``, a signal) names the cause.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from loopsim.experiments.runs.fork_signals import note_signals, replay_signal, restore_signals

__all__ = ["ENV", "Outcome", "enable", "enabled", "supervised"]

#: Set to ``1`` by the ``loopsim`` command: supervise every job of this process and its
#: worker processes (inherited through the environment).
ENV = "LOOPSIM_SUPERVISE"

_PR_SET_PDEATHSIG = 1
#: Seconds between two looks at the child.
POLL_S = 0.05


@dataclass(frozen=True)
class Outcome:
    """How a supervised body ended.

    Attributes:
        code: Exit code: 0 done, 1 the run failed, 2 a configuration error, 130/143
            interrupted.
        kind: ``"returned"``, ``"exit"`` (``SystemExit`` with ``code``), ``"interrupted"``
            (``KeyboardInterrupt`` in the body), ``"error"`` (another exception escaped
            the body) or ``"abrupt"`` (the child ended without reporting).
        cause: For ``"abrupt"``: how the child ended, in words.
        signalled: The supervising process itself got Ctrl-C or SIGTERM while waiting
            (the exception it got; re-raise it after recording).
    """

    code: int
    kind: str
    cause: str = ""
    signalled: BaseException | None = None


def enable() -> None:
    """Supervise the jobs of this process and of the worker processes it starts."""
    os.environ[ENV] = "1"


def enabled() -> bool:
    """True when jobs are supervised (see :func:`enable`) and ``os.fork`` exists."""
    return os.environ.get(ENV) == "1" and hasattr(os, "fork")


def supervised(body: Callable[[], None]) -> Outcome:
    """Run ``body`` in a forked child process and wait for it.

    The child inherits open files (the run folder's lock included), so the folder stays
    locked until both have ended. Ctrl-C or SIGTERM received by this process while it
    waits is passed on to the child (SIGTERM), which records the run as interrupted; the
    exception is returned in :attr:`Outcome.signalled` for the caller to re-raise.
    """
    read_end, write_end = os.pipe()
    _flush()
    supervisor = os.getpid()
    # Ctrl-C and SIGTERM are only noted around the fork: raised inside os.fork's own
    # at-fork hooks (the logging lock's) they would be printed and lost, in the parent
    # and in the child alike. Each side replays what it noted once its handlers are set.
    saved, noted = note_signals()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(body, write_end, supervisor, noted)
    os.close(write_end)
    signalled: BaseException | None = None
    status = 0
    while True:
        try:
            if saved:  # inside the try: what the real handlers raise is passed on
                restore_signals(saved)
                saved, replay = {}, saved
                if noted:  # a signal that came during the fork: handled as if now
                    replay_signal(replay, noted[0])
            # Polled, not a blocking wait: a signal delivered to another thread of this
            # process (BLAS, the parent watcher) would not interrupt a blocking waitpid,
            # and Python runs its handler only when the main thread comes back.
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if signalled is not None:
                # Passed on again at every look until the child ends: a signal that
                # reaches the child before Python's after-fork step is dropped there, and
                # the child ignores every one after the first it handles.
                _pass_on(pid, signalled)
            time.sleep(POLL_S)
        except KeyboardInterrupt as exc:  # Ctrl-C or Terminated (SIGTERM) here
            signalled = signalled or exc
            _pass_on(pid, signalled)
        except ChildProcessError:
            break
    report = _read_report(read_end)
    if report is None:
        return Outcome(1, "abrupt", describe_status(status), signalled)
    return Outcome(int(report.get("code", 1)), str(report.get("kind", "error")), "",
                   signalled)


def _pass_on(pid: int, signalled: BaseException) -> None:
    """Send the child the signal that interrupted this process: SIGINT for Ctrl-C,
    SIGTERM otherwise (SIGTERM, the sweep's parent gone)."""
    sig = signal.SIGINT if type(signalled) is KeyboardInterrupt else signal.SIGTERM
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def describe_status(status: int) -> str:
    """An exit status of ``os.waitpid`` in words, naming the likely cause."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
        why = (" (the system kills the largest process this way when memory runs out; "
               "an external `kill -9` looks the same)" if sig == signal.SIGKILL else "")
        return f"the run's process was killed by {name}{why}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return (f"the run's process ended with exit code {code} before it finished "
            "(os._exit() or a crash in the policy or a library)")


def _child(body: Callable[[], None], write_end: int, supervisor: int,
           noted: list[int]) -> None:
    """Run the body, report how it ended, and leave with ``os._exit``.

    ``noted``: the signals this child received during the fork (replayed once its own
    handlers are set).
    """
    report: dict[str, object] = {"kind": "returned", "code": 0}
    try:
        # Inside the try: nothing raised here may escape and run the parent's code in
        # the child; an interruption is reported like any other.
        _die_with_parent()
        _interrupt_once(supervisor)
        if noted:
            signal.raise_signal(noted[0])
        body()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        report = {"kind": "exit", "code": code}
    except KeyboardInterrupt as exc:
        report = {"kind": "interrupted", "code": 143 if type(exc) is not KeyboardInterrupt
                  else 130}
    except BaseException:  # noqa: BLE001 - reported to the parent, which exits non-zero
        traceback.print_exc()
        report = {"kind": "error", "code": 1}
    finally:
        with contextlib.suppress(BaseException):
            _flush()
            os.write(write_end, json.dumps(report).encode())
        os._exit(int(report["code"]) & 0xFF)  # type: ignore[call-overload]


def _read_report(fd: int) -> dict[str, object] | None:
    chunks = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    finally:
        os.close(fd)
    try:
        report = json.loads(b"".join(chunks).decode())
    except ValueError:
        return None
    return report if isinstance(report, dict) else None


def _interrupt_once(supervisor: int) -> None:
    """In the child: the first Ctrl-C or SIGTERM interrupts the run, later ones are
    ignored, so the run's record of its interruption is not cut short."""
    from loopsim.experiments.cli.signals import Terminated

    def handler(signum: int, frame: object) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if _sweep_parent_gone():
            raise Terminated("the sweep's parent process is gone")
        if os.getppid() != supervisor:
            raise Terminated("the job's own process died while the run went on (killed by "
                             "the system when memory ran out, or by `kill -9`)")
        if signum == signal.SIGTERM:
            raise Terminated(f"stopped by {signal.Signals(signum).name}")
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _sweep_parent_gone() -> bool:
    """True when the ``loopsim`` process of this sweep no longer exists."""
    from loopsim.experiments.cli.signals import PARENT_ENV

    pid = os.environ.get(PARENT_ENV, "")
    if not pid.isdigit() or int(pid) == os.getppid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _die_with_parent() -> None:
    """Linux: SIGTERM this child when its supervisor dies (e.g. SIGKILLed)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
