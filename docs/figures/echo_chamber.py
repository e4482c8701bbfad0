"""Draw the README's echo-chamber figure from an ``experiment=echo_chamber`` sweep.

The figure is ``loopsim-compare``'s trajectory plot, on the runs of one drift rate
only (one line per exploration rate), with the user-side metrics and, for contrast,
the item-side Gini of exposure::

    loopsim -m experiment=echo_chamber hydra.sweep.dir=/tmp/echo
    python docs/figures/echo_chamber.py /tmp/echo --drift 0.05
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from loopsim.experiments.compare.cli import compare
from loopsim.experiments.runs.table import find_run_dirs, read_overrides

METRICS = ["drift_distance", "user_entropy_window", "homogenization", "gini_exposure"]
OUT = Path(__file__).resolve().parent / "echo_chamber.png"


def main() -> None:
    """Select the runs of one drift rate, compare them, copy the trajectory figure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sweep", help="folder of an experiment=echo_chamber sweep")
    parser.add_argument("--drift", default="0.05", help="world.drift of the runs drawn")
    parser.add_argument("--out", default=str(OUT), help="PNG file to write")
    args = parser.parse_args()
    runs = [p for p in find_run_dirs([args.sweep])
            if read_overrides(p).get("world.drift") == args.drift]
    if not runs:
        raise SystemExit(f"no run with world.drift={args.drift} under {args.sweep}")
    with tempfile.TemporaryDirectory() as tmp:
        compare(runs, tmp, trajectory_metrics=METRICS)
        shutil.copyfile(Path(tmp) / "trajectories.png", args.out)
    print(f"{len(runs)} runs with world.drift={args.drift} -> {args.out}")


if __name__ == "__main__":
    main()
