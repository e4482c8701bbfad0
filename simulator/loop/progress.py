"""A small progress bar in simulated days, on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def redraws_in_place(stream: TextIO) -> bool:
    """True on a terminal and in a Jupyter notebook (both honour ``\\r``), false in a log."""
    if bool(getattr(stream, "isatty", lambda: False)()):
        return True
    return type(stream).__module__.startswith("ipykernel")


#: Show the bar only once a run has taken this long (seconds), in automatic mode.
AUTO_AFTER_SECONDS = 2.0


class ProgressBar:
    """Draws ``[#####.....] day 12.0/100 12% 3.1M imp/s ETA 5s`` at most a few times a second.

    On a terminal and in a Jupyter notebook the line is redrawn in place (one updating
    line per run); elsewhere (logs, CI) a line is written at the start and every quarter
    of the run, so a log gets a few lines per run.

    Args:
        horizon: Simulated days of the run.
        label: Shown before the bar (the policy's name).
        enabled: ``True`` always, ``False`` never, ``None`` after ``AUTO_AFTER_SECONDS``.
        stream: Where to write (stderr by default).
    """

    def __init__(
        self, horizon: float, label: str, enabled: bool | None, stream: TextIO | None = None
    ) -> None:
        self.horizon = horizon
        self.label = label
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._last_decile = -1
        self._drawn = False
        self._tty = redraws_in_place(self.stream)

    def update(self, day: float, impressions: int) -> None:
        """Report progress at simulated ``day`` with ``impressions`` served so far."""
        if self.enabled is False:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        if self.enabled is None and elapsed < AUTO_AFTER_SECONDS:
            return
        fraction = min(1.0, day / self.horizon) if self.horizon > 0 else 1.0
        if self._tty:
            if now - self._last_draw < 0.2 and fraction < 1.0:
                return
            end = "\r"
        else:
            quarter = int(fraction * 4)
            if quarter == self._last_decile:
                return
            self._last_decile = quarter
            end = "\n"
        self._last_draw = now
        self._drawn = True
        self.stream.write(self._line(day, fraction, impressions, elapsed) + end)
        self.stream.flush()

    def _line(self, day: float, fraction: float, impressions: int, elapsed: float) -> str:
        filled = int(fraction * 30)
        rate = impressions / elapsed if elapsed > 0 else 0.0
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else float("inf")
        return (
            f"{self.label} [{'#' * filled}{'.' * (30 - filled)}] day {day:.1f}/{self.horizon:g} "
            f"{fraction:4.0%} {rate / 1e6:.2f}M imp/s ETA {eta:.0f}s"
        )

    def close(self) -> None:
        """End the line if anything was drawn on a terminal."""
        if self._drawn and self._tty:
            self.stream.write("\n")
            self.stream.flush()
