"""Speed of OPE on a large impression log (the figure in docs/performance.md).

Makes (once) a logged run of about 10,000,000 impressions, then times ``evaluate`` of a
policy-config target (greedy CTR trained on the first half, evaluated on the second) and
of a frozen model (the logging run's own final scores, over the whole log), pass by
pass. Nothing is asserted; the figures are printed with the machine's load.

    python -m benchmarks.ope_speed --run /tmp/ope10m        # makes it when absent

(run from the repository root with ``-m``.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from loopsim.experiments.ope.evaluate import evaluate
from loopsim.experiments.ope.log import open_run
from loopsim.experiments.ope.target import model_target, policy_target

#: The logged run: 20,000 users x 1 session a day x 50 days x 10 ranks = 10M impressions.
MAKE = ["policy=rand_topn", "world.n_users=20000", "world.n_items=1000", "horizon=50",
        "world.item_arrival_rate=5", "log.impressions=true", "progress=false"]


def main() -> None:
    """Make the log if needed, then time both targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, default=Path("/tmp/ope10m"))
    args = parser.parse_args()
    if not (args.run / "summary.json").is_file():
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "loopsim.experiments.cli.run", *MAKE,
                        f"hydra.run.dir={args.run}"], check=True)
        print(f"log made in {time.perf_counter() - start:.1f} s")
    log = open_run(args.run)
    rows = sum(1 for _ in log.files)
    print(f"log: {args.run}, {rows} chunks; load {os.getloadavg()[0]:.2f}")
    for name, target in [("policy ctr", lambda: policy_target(log, "ctr")),
                         ("frozen model", lambda: model_target(log, args.run))]:
        start = time.perf_counter()
        report = evaluate(args.run, target())
        wall = time.perf_counter() - start
        passes = ", ".join(f"{k} {v:.2f}" for k, v in report.seconds.items())
        print(f"{name:<13} {report.n_sessions * log.k:>11,} impressions evaluated, "
              f"{wall:6.2f} s total ({passes}); "
              f"ips {report.estimates['ips'].value:.4f} vs truth {report.true_value:.4f}")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
