"""Ctrl-C and SIGTERM around ``os.fork``: noted while a child is forked, handled after.

A signal whose Python handler raises inside ``os.fork``'s own at-fork hooks (the logging
lock's) is printed and lost, in the parent and in the child alike; one that raises
between the fork and the parent's bookkeeping leaves a child nobody tracks. Both
:func:`~loopsim.experiments.runs.supervise.supervised` and loopsim's launcher
(:mod:`.fork_launcher`) set note-only handlers around the fork and, once each side is
ready, handle what was noted as the saved handler would have.
"""

from __future__ import annotations

import signal
from typing import Any

__all__ = ["INTERRUPTS", "note_signals", "replay_signal", "restore_signals"]

#: The signals noted around a fork.
INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


def note_signals() -> tuple[dict[int, Any], list[int]]:
    """Set handlers that only note Ctrl-C and SIGTERM; return the saved handlers and
    the list the numbers are noted in (nothing is changed outside the main thread)."""
    noted: list[int] = []

    def note(signum: int, frame: object) -> None:
        noted.append(signum)

    saved: dict[int, Any] = {}
    try:
        for sig in INTERRUPTS:
            saved[sig] = signal.signal(sig, note)
    except ValueError:  # not the main thread: signals are not handled here anyway
        restore_signals(saved)
        return {}, noted
    return saved, noted


def restore_signals(saved: dict[int, Any]) -> None:
    """Put back the handlers :func:`note_signals` replaced."""
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def replay_signal(saved: dict[int, Any], signum: int) -> None:
    """Handle a noted signal now, as its saved handler would have (it may raise)."""
    handler = saved.get(signum)
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)
