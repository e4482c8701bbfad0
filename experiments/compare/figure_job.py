"""Comparison figures drawn in a second process while the first draws the others.

Drawing is most of a comparison's time (the main job's: about 9 s of 11), and the
sweep's worker processes are gone by then: one core idles. With
``compare(..., draw_workers=2)`` (what ``loopsim-compare`` and the comparison at the end
of a sweep use where two cores are there) the figures' inputs go to a fresh interpreter
(``python -m loopsim.experiments.compare.figure_job FILE``: a new process, not a fork, so
no inherited polars thread pool; not :mod:`multiprocessing`, so a user's script is never
imported again) that draws :data:`SECOND_PROCESS` (the trajectories' small multiples,
about 40% of the drawing) and writes their PNG and SVG files, while this process draws
and writes the other figures and the report. The figures are the ones one process
draws: same inputs, same code, same matplotlib settings (the parent's ``rcParams`` go
with the inputs). The files may differ in their last digits: under matplotlib 3.8 an SVG
coordinate can move in its 6th decimal, and clip-path ids depend on the process. If
the second process fails, this one draws its figures itself and says why in the log.

* :func:`start` -- hand the inputs to a second process; returns a :class:`FigureJob`.
* :meth:`FigureJob.finish` -- wait for it; draw here what it did not write.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SECOND_PROCESS", "FigureJob", "main", "start"]

log = logging.getLogger(__name__)

#: The figures the second process draws (the rest are drawn in the first).
SECOND_PROCESS = ("trajectories",)
#: Seconds the second process may take before this one draws its figures itself.
TIMEOUT_S = 600.0


@dataclass
class FigureJob:
    """A second process writing the files of :data:`SECOND_PROCESS` into ``out_dir``."""

    out_dir: Path
    inputs: dict[str, Any]
    process: subprocess.Popen[bytes] | None
    payload: Path | None

    def finish(self) -> list[Path]:
        """Wait for the second process; draw here what it did not write.

        Returns:
            The files of its figures (PNG and SVG of each, in :data:`SECOND_PROCESS`'s
            order); none for a figure without data.
        """
        from loopsim.experiments.compare import plots

        error = "it could not be started" if self.process is None else None
        if self.process is not None:
            try:
                _, err = self.process.communicate(timeout=TIMEOUT_S)
                if self.process.returncode != 0:
                    error = (f"it exited with {self.process.returncode}: "
                             f"{err.decode(errors='replace').strip()[-2000:]}")
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()
                error = f"it took more than {TIMEOUT_S:.0f} s"
        if self.payload is not None:
            self.payload.unlink(missing_ok=True)
        done = self.out_dir / ".figure_job_done"
        names = done.read_text().split() if done.is_file() and not error else None
        done.unlink(missing_ok=True)
        if names is None:
            log.warning("the comparison's second drawing process failed (%s); drawing %s "
                        "here", error or "it did not finish", ", ".join(SECOND_PROCESS))
            drawn = plots.figures(**self.inputs, only=set(SECOND_PROCESS))
            return plots.save(self.out_dir, drawn)
        return [self.out_dir / f"{n}.{fmt}" for n in names for fmt in plots.FORMATS]


def start(out_dir: Path, inputs: dict[str, Any]) -> FigureJob:
    """Start a second process that draws :data:`SECOND_PROCESS` of
    :func:`plots.figures(**inputs) <loopsim.experiments.compare.plots.figures>` and
    writes them into ``out_dir``."""
    import matplotlib

    job = FigureJob(Path(out_dir), inputs, None, None)
    (job.out_dir / ".figure_job_done").unlink(missing_ok=True)
    try:
        fd, name = tempfile.mkstemp(prefix=".figure_job_", suffix=".pkl", dir=out_dir)
        job.payload = Path(name)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump({"out_dir": str(out_dir), "inputs": inputs,
                         "rc": _picklable_rc(dict(matplotlib.rcParams))}, fh)
        job.process = subprocess.Popen(
            [sys.executable, "-m", "loopsim.experiments.compare.figure_job", name],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.warning("could not start the comparison's second drawing process: %s", exc)
        job.process = None
    return job


def _picklable_rc(rc: dict[str, Any]) -> dict[str, Any]:
    """The settings of ``rc`` that survive pickling (the backend is left to the child)."""
    out = {}
    for key, value in rc.items():
        if key == "backend":
            continue
        try:
            pickle.dumps(value)
        except Exception:  # noqa: BLE001 - a setting that cannot travel stays default
            continue
        out[key] = value
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the second process: ``python -m
    loopsim.experiments.compare.figure_job FILE`` with ``FILE`` as :func:`start` writes it;
    writes ``.figure_job_done`` (the names of the figures written) when done."""
    args = sys.argv[1:] if argv is None else list(argv)
    with open(args[0], "rb") as fh:
        job = pickle.load(fh)  # noqa: S301 - written by this process's parent, just now
    import matplotlib

    matplotlib.rcParams.update(job["rc"])
    from loopsim.experiments.compare import plots

    out_dir = Path(job["out_dir"])
    drawn = plots.figures(**job["inputs"], only=set(SECOND_PROCESS))
    plots.save(out_dir, drawn)
    (out_dir / ".figure_job_done").write_text(" ".join(drawn))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
