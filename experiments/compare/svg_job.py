"""The comparison's SVG figures, drawn in a second process while the first draws the PNGs.

Drawing is most of a comparison's time (the main job's: about 10 s of 12, half of it the
SVG copies), and the sweep's worker processes are gone by then: one core idles. With
``compare(..., draw_workers=2)`` (what ``loopsim-compare`` and the comparison at the end
of a sweep use on a machine with two or more cores) the figures' inputs go to a fresh
interpreter (``python -m loopsim.experiments.compare.svg_job FILE``: a new process, not a
fork, so no inherited polars thread pool; not :mod:`multiprocessing`, so a user's script
is never imported again) that builds the same figures and writes their SVG files, while
this process writes the PNGs and the report. The figures are those one process writes:
same inputs, same code, same matplotlib settings (the parent's ``rcParams`` go with the
inputs); only coordinates differ, in the last digits (one process lays the SVG out after
drawing the PNG, at another resolution: within 0.01 pt, ``tests/experiments/compare/
test_svg_job.py``). If the second process fails, this one writes the SVG files itself
and says why in the log.

* :func:`start` -- hand the inputs to a second process; returns a :class:`SvgJob`.
* :meth:`SvgJob.finish` -- wait for it; write here what it did not.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SvgJob", "main", "start"]

log = logging.getLogger(__name__)

#: Seconds the second process may take before this one writes the SVGs itself.
TIMEOUT_S = 600.0


@dataclass
class SvgJob:
    """A second process writing ``<name>.svg`` of each figure into ``out_dir``."""

    out_dir: Path
    process: subprocess.Popen[bytes] | None
    payload: Path | None

    def finish(self, drawn: dict[str, Any]) -> list[Path]:
        """Wait for the second process; write in this one any SVG it did not write.

        Args:
            drawn: This process's figures, by name (the same as the second one draws).

        Returns:
            The SVG file of each figure of ``drawn``, in its order.
        """
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
        missing = [n for n in drawn if error or not (self.out_dir / f"{n}.svg").is_file()]
        if missing:
            from loopsim.experiments.compare import plots

            log.warning("the SVG figures' second process failed (%s); writing %s here",
                        error or "files missing", ", ".join(missing))
            plots.save(self.out_dir, {n: drawn[n] for n in missing}, formats=("svg",))
        return [self.out_dir / f"{name}.svg" for name in drawn]


def start(out_dir: Path, inputs: dict[str, Any]) -> SvgJob:
    """Start a second process that draws :func:`plots.figures(**inputs)
    <loopsim.experiments.compare.plots.figures>` and writes them as SVG into ``out_dir``.
    """
    import matplotlib

    job = SvgJob(Path(out_dir), None, None)
    try:
        fd, name = tempfile.mkstemp(prefix=".svg_job_", suffix=".pkl", dir=out_dir)
        job.payload = Path(name)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump({"out_dir": str(out_dir), "inputs": inputs,
                         "rc": _picklable_rc(dict(matplotlib.rcParams))}, fh)
        job.process = subprocess.Popen(
            [sys.executable, "-m", "loopsim.experiments.compare.svg_job", name],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.warning("could not start the SVG figures' second process: %s", exc)
        job.process = None
    return job


def _picklable_rc(rc: dict[str, Any]) -> dict[str, Any]:
    """The settings of ``rc`` that survive pickling (backend-specific ones are left)."""
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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the second process: ``python -m loopsim.experiments.compare.svg_job
    FILE`` with ``FILE`` as :func:`start` writes it."""
    args = sys.argv[1:] if argv is None else argv
    with open(args[0], "rb") as fh:
        job = pickle.load(fh)  # noqa: S301 - written by this process's parent, just now
    import matplotlib

    matplotlib.rcParams.update(job["rc"])
    from loopsim.experiments.compare import plots

    drawn = plots.figures(**job["inputs"])
    plots.save(Path(job["out_dir"]), drawn, formats=("svg",))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
