"""One progress line for a whole sweep: runs done out of total, failures, ETA.

:class:`SweepLine` draws ``sweep: 12/60 runs done, 1 failed, 4.1 s/run, ETA 3m 20s``. On
a terminal or in a notebook the line is redrawn in place, and a failed run gets a line
of its own above it; in a log (not a terminal) each finished run writes one line.

:class:`SweepProgressCallback` (a Hydra callback, ``hydra.callbacks.progress``) runs it
in the process that launches the sweep: a thread reads the run folders' ``summary.json``
as they appear, so it works the same under the basic, joblib, submitit and Ray launchers
(the jobs write into the shared sweep folder). The jobs of a sweep draw no bar of their
own (``progress`` defaults to off in a sweep's jobs: :func:`quiet_in_sweep`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from hydra.experimental.callback import Callback
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
        self.start = time.monotonic()
        self._width = 0
        self._in_place = redraws_in_place(self.stream)

    def status(self) -> str:
        """The line's text."""
        elapsed = time.monotonic() - self.start
        of = f"/{self.total}" if self.total else ""
        text = f"sweep: {self.done}{of} runs done, {self.failed} failed"
        if self.done:
            per_run = elapsed / self.done
            text += f", {per_run:.1f} s/run"
            if self.total:
                text += f", ETA {_duration(per_run * (self.total - self.done))}"
        return text + f", {_duration(elapsed)} elapsed"

    def run_done(self, label: str, ok: bool, detail: str = "") -> None:
        """Count a finished run; ``detail`` is shown for a failure (or in a log)."""
        self.done += 1
        self.failed += 0 if ok else 1
        if not self.enabled:
            return
        if self._in_place:
            if not ok:
                self._write_above(f"failed: {label}: {detail}")
            self.draw()
        else:
            of = f"/{self.total}" if self.total else ""
            what = "done" if ok else "FAILED"
            self.stream.write(f"[{self.done}{of}] {label}: {what}"
                              + (f" ({detail})" if detail else "") + f"; {self.status()}\n")
            self.stream.flush()

    def draw(self) -> None:
        """Redraw the line in place (terminal, notebook); nothing in a log."""
        if not (self.enabled and self._in_place):
            return
        text = self.status()
        self.stream.write("\r" + text.ljust(self._width))
        self._width = len(text)
        self.stream.flush()

    def _write_above(self, text: str) -> None:
        self.stream.write("\r" + text.ljust(self._width) + "\n")
        self._width = 0

    def close(self) -> None:
        """End the line."""
        if not self.enabled:
            return
        if self._in_place:
            self.draw()
            self.stream.write("\n")
        else:
            self.stream.write(self.status() + "\n")
        self.stream.flush()


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

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (launchers send the callbacks to their workers): no thread, no line."""
        return {"enabled": self.enabled}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Start watching the sweep folder."""
        if not self.enabled:
            return
        sweep_dir = Path(str(config.hydra.sweep.dir))
        self._line = SweepLine(None)
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

    def _watch(self, sweep_dir: Path, since: float) -> None:
        seen: set[Path] = set()
        line = self._line
        if line is None:
            return
        while True:
            stopping = self._stop.is_set()  # one last read after the sweep ended
            if line.total is None and (sweep_dir / "multirun.yaml").is_file():
                line.total = _total_jobs(sweep_dir / "multirun.yaml")
            for summary in sorted(sweep_dir.glob("*/summary.json")):
                run = summary.parent
                if run in seen or summary.stat().st_mtime < since - 1:
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
