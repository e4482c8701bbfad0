"""One progress line for a whole sweep: runs done out of total, failures, ETA.

:class:`SweepLine` draws ``sweep: 12/60 runs done, 1 failed, 4.1 s/run, ETA 3m 20s``. On
a terminal or in a notebook the line is redrawn in place, and a failed run gets a line
of its own above it; in a log (not a terminal) each finished run writes one line.

:class:`SweepProgressCallback` (a Hydra callback, ``hydra.callbacks.progress``) runs it
in the process that launches the sweep: a thread reads the run folders' ``summary.json``
as they appear, so it works the same under the basic, joblib, submitit and Ray launchers
(the jobs write into the shared sweep folder). The jobs of a sweep draw no bar of their
own (``progress`` defaults to off in a sweep's jobs: :func:`quiet_in_sweep`).

The sweep's size, and under ``resume=true`` the runs already complete (their jobs skip
them), come from loopsim's sweeper (:mod:`loopsim.experiments.runs.plan`): a resumed
sweep starts at ``k/N runs done (k already complete)``. Under another sweeper the total
is read from ``multirun.yaml`` when it can be, and skipped runs are not counted.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from hydra.experimental.callback import Callback
from loopsim.experiments.cli.above_line import keep_above
from loopsim.experiments.runs import plan
from loopsim.simulator.loop.progress import redraws_in_place
from omegaconf import DictConfig

__all__ = ["SweepLine", "SweepProgressCallback", "redraws_in_place"]

#: Seconds between two reads of the sweep folder.
POLL_S = 1.0


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m {int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h {int(seconds % 3600 // 60):02d}m"


class SweepLine:
    """The sweep's progress line.

    Writes are serialised by :attr:`lock` (a watcher thread draws it while the main
    thread logs); :func:`~loopsim.experiments.cli.above_line.keep_above` lets other
    output to the terminal print above the line instead of into it.

    Args:
        total: Runs in the sweep (``None`` when unknown: no ETA).
        stream: Where to write (stderr by default).
        enabled: ``False`` writes nothing.
    """

    def __init__(self, total: int | None, stream: TextIO | None = None,
                 enabled: bool = True) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.done = 0
        self.failed = 0
        self.resumed = 0
        self.start = time.monotonic()
        self.lock = threading.RLock()
        self.in_place = redraws_in_place(self.stream)
        self._width = 0  # characters of the line on screen (0: not drawn)
        self._held = False  # another writer left the cursor mid-line: do not draw
        self._last = self.start  # when the last run finished

    def status(self) -> str:
        """The line's text; its clock stops when every run is done."""
        finished = self.total is not None and self.done >= self.total
        elapsed = (self._last if finished else time.monotonic()) - self.start
        of = f"/{self.total}" if self.total else ""
        text = f"sweep: {self.done}{of} runs done"
        if self.resumed:
            text += f" ({self.resumed} already complete)"
        text += f", {self.failed} failed"
        ran = self.done - self.resumed  # the pace is that of the runs this sweep ran
        if ran:
            per_run = elapsed / ran
            text += f", {per_run:.1f} s/run"
            if self.total:
                text += f", ETA {_duration(per_run * max(0, self.total - self.done))}"
        return text + f", {_duration(elapsed)} elapsed"

    def already_complete(self, n: int) -> None:
        """Count ``n`` runs a resumed sweep skips (complete before it started) as done:
        one line in a log, the line redrawn on a terminal."""
        if n <= 0:
            return
        with self.lock:
            self.done += n
            self.resumed += n
            self._last = time.monotonic()
            if not self.enabled:
                return
            if self.in_place:
                self.draw()
                return
            of = f" of {self.total}" if self.total else ""
            self._write(f"{n}{of} runs already complete, skipped (resume=true); "
                        f"{self.status()}\n")

    def run_done(self, label: str, ok: bool, detail: str = "") -> None:
        """Count a finished run; ``detail`` is shown for a failure (or in a log)."""
        with self.lock:
            self.done += 1
            self.failed += 0 if ok else 1
            self._last = time.monotonic()
            if not self.enabled:
                return
            if self.in_place:
                if not ok:
                    self.erase()
                    self._write(f"failed: {label}: {detail}\n")
                self.draw()
                return
            of = f"/{self.total}" if self.total else ""
            what = "done" if ok else "FAILED"
            self._write(f"[{self.done}{of}] {label}: {what}"
                        + (f" ({detail})" if detail else "") + f"; {self.status()}\n")

    def draw(self) -> None:
        """Redraw the line in place (terminal, notebook); nothing in a log."""
        with self.lock:
            if not (self.enabled and self.in_place) or self._held:
                return
            text = self.status()
            self._write("\r" + text.ljust(self._width))
            self._width = len(text)

    def erase(self) -> None:
        """Blank the line and put the cursor at its start (other text goes there)."""
        with self.lock:
            if self._width and self.enabled and self.in_place:
                self._write("\r" + " " * self._width + "\r")
            self._width = 0

    def hold(self, held: bool) -> None:
        """``True`` while another writer's text ends mid-line: no redraw until ``False``."""
        with self.lock:
            self._held = held

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        """End the line."""
        with self.lock:
            if not self.enabled:
                return
            if self.in_place:
                self._held = False
                self.draw()
                self._write("\n")
            else:
                self._write(self.status() + "\n")
            self._width = 0


def run_outcome(run_dir: Path) -> tuple[str, bool, str] | None:
    """``(label, ok, detail)`` of a finished run folder, ``None`` while it runs."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(summary, dict):
        return None
    labels = summary.get("labels") or {}
    label = f"{labels.get('policy', summary.get('policy', run_dir.name))} " \
            f"seed={labels.get('seed', summary.get('seed', '?'))}"
    if summary.get("status") == "failed":
        err = summary.get("error") or {}
        return label, False, f"{err.get('type', 'error')}: {err.get('message', '')}"
    final = summary.get("final_metrics") or {}
    regret = final.get("regret_window")
    return label, True, "" if regret is None else f"regret_window {regret:.3f}"


class SweepProgressCallback(Callback):
    """Draw the sweep's progress line while a multirun's jobs run (any launcher).

    Args:
        enabled: ``false`` draws nothing (``hydra.callbacks.progress.enabled=false``).
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._line: SweepLine | None = None
        self._undo: Callable[[], None] = lambda: None

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (launchers send the callbacks to their workers): no thread, no line."""
        return {"enabled": self.enabled}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Start watching the sweep folder."""
        if not self.enabled:
            return
        sweep_dir = Path(os.path.abspath(str(config.hydra.sweep.dir)))  # as the sweeper's
        plan.reset()
        self._line = SweepLine(None)
        self._undo = keep_above(self._line)  # Hydra's lines print above it on a terminal
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, args=(sweep_dir, time.time()),
                                        name="loopsim-sweep-progress", daemon=True)
        self._thread.start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Read the last runs and end the line."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=10)
        self._thread = None
        if self._line is not None:
            self._line.close()
        self._undo()
        self._undo = lambda: None

    def _watch(self, sweep_dir: Path, since: float) -> None:
        seen: set[Path] = set()
        line = self._line
        if line is None:
            return
        while True:
            stopping = self._stop.is_set()  # one last read after the sweep ended
            told = plan.current()  # loopsim's sweeper: the total, the runs resume skips
            if told.total is not None:
                line.total = told.total
            elif line.total is None and (sweep_dir / "multirun.yaml").is_file():
                line.total = _total_jobs(sweep_dir / "multirun.yaml")
            skipped = told.complete - seen
            seen |= skipped
            line.already_complete(len(skipped))
            for summary in sorted(sweep_dir.glob("*/summary.json")):
                run = summary.parent
                try:
                    if run in seen or summary.stat().st_mtime < since - 1:
                        continue  # counted, or a run older than this sweep
                except OSError:  # moved aside by a job that reruns it
                    continue
                outcome = run_outcome(run)
                if outcome is not None:
                    seen.add(run)
                    line.run_done(*outcome)
            if stopping:
                return
            line.draw()
            self._stop.wait(POLL_S)


def _total_jobs(multirun_yaml: Path) -> int | None:
    """Jobs of the sweep that ``multirun.yaml`` describes (Hydra's basic sweeper or
    loopsim's, which expands the same way), else ``None`` (another sweeper: the line
    counts without a total)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    try:
        cfg = OmegaConf.to_container(OmegaConf.load(multirun_yaml).hydra, resolve=False)
        target = str(cfg["sweeper"].get("_target_", ""))
        if not target.endswith(("BasicSweeper", "LoopsimSweeper")):
            return None
        params = [f"{k}={v}" for k, v in (cfg["sweeper"].get("params") or {}).items()]
        task = list(cfg["overrides"].get("task") or [])
        parsed = OverridesParser.create().parse_overrides(params + task)
        return len(BasicSweeper.split_arguments(parsed, None)[0]) or None
    except Exception:  # noqa: BLE001 - an unreadable sweep: count without a total
        return None


def quiet_in_sweep(progress: bool | None, multirun: bool) -> bool | None:
    """A job's ``progress`` setting: off in a sweep unless set to ``true`` explicitly
    (the sweep draws one line for all its jobs), unchanged in a single run."""
    if multirun and progress is None:
        return False
    return progress
