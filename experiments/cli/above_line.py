"""Other output prints above the sweep's progress line, never into it.

While a sweep's line is drawn in place on a terminal, whatever else the launching
process writes there (Hydra's launcher lines ``#3 : policy=ctr seed=1``, a job's
warning under the basic launcher) would land after the line's text, on the same row.
:func:`keep_above` routes ``sys.stdout``, ``sys.stderr`` and the logging handlers that
write to them through :class:`AboveLine`, which blanks the line before the text is
written; the line is redrawn at its next tick. It is what ``tqdm.write`` and
``logging_redirect_tqdm`` do for tqdm's bars.

Jobs in other processes (joblib, submitit, Ray workers) write to the terminal directly;
a sweep's jobs are quiet (``progress`` off, result lines in ``run.log``). A job forked from
the launching process (loopsim's launcher) calls :func:`unwrap_streams` first: the line
and its lock stay the launching process's.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol, TextIO


class SweepLine(Protocol):
    """What this module needs of the sweep's progress line
    (:class:`loopsim.experiments.cli.sweep_progress.SweepLine`, which imports this
    module: declared here, so that the two do not import each other)."""

    enabled: bool
    in_place: bool
    lock: AbstractContextManager[Any]

    def erase(self) -> None:
        """Blank the line on the terminal."""

    def hold(self, held: bool) -> None:
        """Stop (``True``) or resume redrawing the line."""

__all__ = ["AboveLine", "keep_above", "unwrap_streams"]


class AboveLine:
    """A text stream that writes to ``target`` above ``line``.

    Text that ends mid-row holds the line (no redraw) until a newline ends the row.
    Detached (:attr:`line` ``None``), it only passes text through.
    """

    def __init__(self, target: TextIO, line: SweepLine | None) -> None:
        self.target = target
        self.line = line

    def write(self, text: str) -> int:
        """Blank the line, write ``text``; hold the line while the row is open."""
        line = self.line
        if line is None or not text:
            return self.target.write(text)
        with line.lock:
            line.erase()
            written = self.target.write(text)
            self.target.flush()
            line.hold(not text.endswith("\n"))
        return written

    def flush(self) -> None:
        """Flush the target."""
        self.target.flush()

    def isatty(self) -> bool:
        """As the target."""
        return bool(self.target.isatty())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


def keep_above(line: SweepLine) -> Callable[[], None]:
    """While ``line`` is drawn in place, route the process's terminal output above it.

    Returns:
        A function that undoes it (streams and handlers back as they were; an
        :class:`AboveLine` something else still holds passes text through).
    """
    if not (line.enabled and line.in_place):
        return lambda: None
    saved_out, saved_err = sys.stdout, sys.stderr
    proxies = {id(saved_out): AboveLine(saved_out, line), id(saved_err): AboveLine(saved_err, line)}
    sys.stdout, sys.stderr = proxies[id(saved_out)], proxies[id(saved_err)]
    moved: list[tuple[logging.StreamHandler[Any], TextIO]] = []
    for handler in logging.getLogger().handlers:  # Hydra's console handler holds sys.stdout
        stream = getattr(handler, "stream", None)
        if isinstance(handler, logging.StreamHandler) and id(stream) in proxies:
            handler.setStream(proxies[id(stream)])
            moved.append((handler, stream))

    def undo() -> None:
        for proxy in proxies.values():
            proxy.line = None
        for handler, stream in moved:
            if handler.stream in proxies.values():
                handler.setStream(stream)
        if sys.stdout is proxies[id(saved_out)]:
            sys.stdout = saved_out
        if sys.stderr is proxies[id(saved_err)]:
            sys.stderr = saved_err

    return undo


def unwrap_streams() -> None:
    """Write straight to the terminal again: ``sys.stdout``, ``sys.stderr`` and the
    logging handlers that held an :class:`AboveLine` get its target back.

    For a process forked from the one that draws the line: the line is not this
    process's to blank, and its lock may have been held by the drawing thread at the
    fork (a copy that nothing will ever release).
    """
    if isinstance(sys.stdout, AboveLine):
        sys.stdout = sys.stdout.target
    if isinstance(sys.stderr, AboveLine):
        sys.stderr = sys.stderr.target
    for handler in logging.getLogger().handlers:
        stream = getattr(handler, "stream", None)
        if isinstance(handler, logging.StreamHandler) and isinstance(stream, AboveLine):
            handler.stream = stream.target  # not setStream: it would flush through the proxy
