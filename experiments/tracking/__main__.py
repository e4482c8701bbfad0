"""``python -m loopsim.experiments.tracking [--uri URI] [--experiment NAME] FOLDER...``

Log run folders (and the sweep folders that hold them, as parent runs) to MLflow after
the fact: a run whose tracking failed, or runs made before tracking was on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from loopsim.experiments.runs.table import find_run_dirs
from loopsim.experiments.tracking.callback import track_run, tracking_client
from loopsim.experiments.tracking.mlflow_log import log_sweep_folder
from loopsim.experiments.tracking.options import TrackingOptions


def main(argv: list[str] | None = None) -> None:
    """Track every run folder found under the given folders."""
    parser = argparse.ArgumentParser(prog="python -m loopsim.experiments.tracking",
                                     description=__doc__.split("\n\n")[1])
    parser.add_argument("folders", nargs="*", type=Path,
                        help="run or sweep folders (none: only open the store and the experiment)")
    parser.add_argument("--uri", default=None, help="MLflow tracking URI")
    parser.add_argument("--experiment", default="loopsim", help="MLflow experiment name")
    parser.add_argument("--sweep", type=Path, default=None,
                        help="log the given run folders as jobs of this sweep folder "
                             "(its parent run is logged when the sweep ends)")
    args = parser.parse_args(argv)
    options = TrackingOptions("mlflow", args.uri, args.experiment)
    options.validate()
    tracking_client(options)  # creates the store and the experiment when missing
    if args.sweep is not None:
        for run_dir in args.folders:
            print(f"{run_dir}: MLflow run {track_run(options, run_dir, args.sweep)}")
        return
    for root in args.folders:
        runs = find_run_dirs([root])
        sweep = root if runs and runs != [root] else None
        for run_dir in runs:
            print(f"{run_dir}: MLflow run {track_run(options, run_dir, sweep)}")
        if sweep is not None:
            client, experiment_id = tracking_client(options)
            print(f"{sweep}: MLflow run {log_sweep_folder(client, experiment_id, sweep)}")


if __name__ == "__main__":
    main()
