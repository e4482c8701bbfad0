"""Hydra callback: every multirun ends with ``loopsim-compare`` on its sweep folder.

Registered in ``conf/config.yaml`` under ``hydra.callbacks.compare``. Hydra stops a
multirun at the first failed job without calling ``on_multirun_end``; the callback then
still compares what was written (failed runs are listed) when the process exits.
"""

from __future__ import annotations

import atexit
import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger(__name__)


class CompareCallback(Callback):
    """Run :func:`~loopsim.experiments.compare.cli.compare` on the sweep folder after a multirun.

    A name the sweep lacks (the reference, the sort metric, a trajectory metric) is
    skipped with a warning, never refused: the runs of a sweep are compared whatever
    names its preset gives.

    Args:
        plots: Draw the figures too (tables only when false).
        metrics: Metrics drawn as trajectories (``None``: compare's default list); a
            preset sets ``hydra.callbacks.compare.metrics``.
        enabled: Set false to skip the comparison (``hydra.callbacks.compare.enabled=false``).
        reference: The policy (or group) every group is compared to, paired by seed;
            absent from the sweep (a sweep without ``ctr``): a warning, no differences.
        sort: The metric the printed table is sorted by (``None``: regret over the run;
            absent from the runs: a warning, the default).
    """

    def __init__(self, plots: bool = True, enabled: bool = True,
                 metrics: list[str] | None = None, reference: str | None = "ctr",
                 sort: str | None = None) -> None:
        self.plots = plots
        self.metrics = metrics
        self.reference = reference
        self.sort = sort
        self.enabled = enabled
        self._sweep_dir: Path | None = None
        self._done = False

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Remember the sweep folder; compare at exit if the multirun stops early."""
        if self.enabled:
            self._sweep_dir = Path(str(config.hydra.sweep.dir))
            atexit.register(self._compare_if_pending)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Compare the runs of the finished sweep."""
        if self.enabled:
            self._sweep_dir = Path(str(config.hydra.sweep.dir))
            self._compare()

    def _compare_if_pending(self) -> None:
        if not self._done and self._sweep_dir is not None and self._sweep_dir.is_dir():
            log.warning("The multirun stopped early; comparing the runs it wrote.")
            self._compare()

    def _compare(self) -> None:
        from loopsim.experiments.compare.cli import compare, default_draw_workers
        from loopsim.simulator.errors import LoopsimError

        self._done = True
        try:
            result = compare([self._sweep_dir], plots=self.plots,
                             trajectory_metrics=self.metrics, reference=self.reference,
                             sort=self.sort, draw_workers=default_draw_workers())
        except LoopsimError as exc:  # e.g. no job ran: a named cause, no traceback
            log.warning("loopsim-compare on %s: %s", self._sweep_dir, exc)
            return
        except Exception:  # noqa: BLE001 - the runs are safe on disk; report, do not lose them
            log.exception("loopsim-compare failed on %s; rerun it with "
                          "`loopsim-compare %s`", self._sweep_dir, self._sweep_dir)
            return
        for note in result.notes:  # e.g. the preset's reference is not in this sweep
            log.warning("loopsim-compare on %s: %s", self._sweep_dir, note)
        status = result.runs["status"].to_list()
        counts = ", ".join(f"{status.count(s)} {s}" for s in ("completed", "failed", "missing"))
        print(f"Comparison of {result.runs.height} runs ({counts}) -> {self._sweep_dir}\n"
              f"{result.table()}\n"
              f"Full table: {self._sweep_dir / 'summary.md'}; "
              f"report: {self._sweep_dir / 'report.html'}")
