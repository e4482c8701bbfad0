"""Optional wall-clock split of a run by phase (serving, clicks, metrics, training...).

The engine calls :meth:`PhaseTimer.start` before a phase and :meth:`PhaseTimer.lap` at
its end. The default :class:`NullTimer` does nothing, so an untimed run pays one empty
method call per phase and batch; ``Simulation(..., timing=True)`` uses a
:class:`PhaseTimer` (two ``time.perf_counter`` calls per phase, ~0.1 µs).
"""

from __future__ import annotations

import time

#: Phases the engine reports, in the order they happen within a batch.
PHASES = ("arrivals", "serving", "clicks", "metrics", "logging", "world", "training",
          "catalogue", "organic")


class NullTimer:
    """A timer that records nothing (the default: timing off)."""

    enabled = False

    def start(self) -> None:
        """Do nothing."""

    def lap(self, phase: str) -> None:
        """Do nothing."""

    def totals(self) -> dict[str, float]:
        """No phases were timed: an empty dict."""
        return {}


class PhaseTimer:
    """Accumulates seconds per phase between :meth:`start`/:meth:`lap` marks."""

    enabled = True

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self._mark = time.perf_counter()

    def start(self) -> None:
        """Set the mark: the next :meth:`lap` measures from now."""
        self._mark = time.perf_counter()

    def lap(self, phase: str) -> None:
        """Add the time since the last mark to ``phase`` and move the mark to now."""
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + (now - self._mark)
        self._mark = now

    def totals(self) -> dict[str, float]:
        """Seconds accumulated per phase."""
        return dict(self.seconds)


def split(totals: dict[str, float], wall: float) -> dict[str, float]:
    """The phase totals plus ``simpy_overhead``: wall time not inside any timed phase.

    Args:
        totals: Seconds per phase (from :meth:`PhaseTimer.totals`).
        wall: Wall time of the whole event loop, in seconds.

    Returns:
        A copy of ``totals`` with ``simpy_overhead = max(0, wall - sum(totals))``.
    """
    out = dict(totals)
    out["simpy_overhead"] = max(0.0, wall - sum(totals.values()))
    return out


__all__ = ["PHASES", "NullTimer", "PhaseTimer", "split"]
