"""Deferred (2-D) snapshot metrics against per-snapshot ones, in one checkout.

``python -m benchmarks.deferred_metrics [--scenario trecs_work] [--pairs 6]`` runs a
``loopsim-bench`` scenario alternately with the snapshot metrics deferred (the default:
``simulator/metrics/item_batch.py``, ``user_batches.py``) and computed at each snapshot
(``loopsim.simulator.loop.snapshots.defer`` switched off), each in a fresh interpreter,
and prints the CPU seconds of each run (event loop and result, as ``cpu_loop_s``), the
ratio per pair and whether the metric rows are identical.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

_WORKER = """
import hashlib, json, pickle, sys, time
from loopsim.experiments.bench.scenarios import REGISTRY
from loopsim.experiments.bench.timed_run import build
from loopsim.simulator.loop import snapshots
name, eager = sys.argv[1], sys.argv[2] == "1"
if eager:
    snapshots.defer = lambda state: None
sim = build(list(REGISTRY[name].overrides), name)
start = time.process_time()
result = sim.run()
cpu = time.process_time() - start
rows = [tuple(r) for r in result.metrics.iter_rows()]
print(json.dumps({"cpu_s": cpu, "rows": hashlib.sha256(pickle.dumps(rows)).hexdigest()}))
"""


def run(name: str, eager: bool) -> dict[str, float]:
    """One run of scenario ``name`` in a fresh interpreter (one BLAS thread)."""
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", _WORKER, name, "1" if eager else "0"],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Alternate deferred and eager runs and print each pair."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="trecs_work")
    p.add_argument("--pairs", type=int, default=6)
    args = p.parse_args()
    ratios, same = [], True
    for i in range(args.pairs):
        deferred, eager = run(args.scenario, False), run(args.scenario, True)
        same &= deferred["rows"] == eager["rows"]
        ratios.append(eager["cpu_s"] / deferred["cpu_s"])
        print(f"pair {i}: deferred {deferred['cpu_s']:.3f} s, eager {eager['cpu_s']:.3f} s, "
              f"eager/deferred {ratios[-1]:.2f}")
    ratios.sort()
    print(f"median eager/deferred {ratios[len(ratios) // 2]:.2f} "
          f"(range {ratios[0]:.2f}-{ratios[-1]:.2f}); metric rows identical: {same}")


if __name__ == "__main__":
    main()
