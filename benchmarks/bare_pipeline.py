"""loopsim's global ``ctr`` against the bare numpy pipeline with O(1) user draws (issue 25).

The bare pipeline is what a global-score loop costs with nothing around it: Poisson
arrivals, users drawn in O(1) from an alias table (Walker/Vose), one shared slate
re-ranked at every retrain by a Beta-prior CTR, clicks under the position-based model,
exposure and click counters. loopsim runs ``policy=ctr`` on the same world size, closed
(``world.organic=0``) and global (``world.personalization=0``), metrics and SimPy
included. The printed ``share`` is loopsim's impressions per second over the bare
pipeline's (the issue's target: at least 0.3), by wall time and by CPU time (a busy
machine disturbs CPU time less). Each side runs ``--repeat`` times,
alternating, in fresh interpreters with one BLAS thread; the best of each is kept::

    python -m benchmarks.bare_pipeline                     # 100k users x 10k items, 10 days
    python -m benchmarks.bare_pipeline --repeat 5 --days 5

The bare side is ``loopsim.experiments.bench.reference.global_pipeline(...,
user_draw="alias")``, the reference ``loopsim-bench`` times (``bare_pipeline_100k``); this
script only alternates the two sides in fresh interpreters and prints the share.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from loopsim.experiments.bench.reference import global_pipeline


def bare_pipeline(n_users: int, n_items: int, days: float) -> dict[str, Any]:
    """The bare pipeline with alias-table user draws: the package's reference
    (:func:`loopsim.experiments.bench.reference.global_pipeline`), which ``loopsim-bench``
    times too."""
    return global_pipeline(n_users, n_items, days, user_draw="alias")


def loopsim_ctr(n_users: int, n_items: int, days: float) -> dict[str, Any]:
    """loopsim's global ``ctr`` on the closed world (the ``loopsim-bench`` worker)."""
    from loopsim.experiments.bench.timed_run import build, run_timed

    overrides = ["policy=ctr", "world.personalization=0.0", "world.organic=0",
                 "world.item_arrival_rate=0",  # as loopsim-bench's closed_ctr_100k
                 f"world.n_users={n_users}", f"world.n_items={n_items}", f"horizon={days}"]
    sim = build(overrides, "ctr")
    start = time.process_time()
    out = run_timed(sim)  # CPU seconds include the run's set-up: a lower bound of the share
    out["cpu_s"] = time.process_time() - start
    out["impressions_per_cpu_s"] = out["impressions"] / out["cpu_s"]
    return out


def _in_fresh_interpreter(side: str, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    code = ("import json, sys; from benchmarks.bare_pipeline import bare_pipeline, loopsim_ctr; "
            f"print(json.dumps({side}({args.users}, {args.items}, {args.days})))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run both sides alternately and print loopsim's share of the bare pipeline."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.bare_pipeline", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--items", type=int, default=10_000)
    p.add_argument("--days", type=float, default=10.0)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    bare, loop, bare_cpu, loop_cpu = [], [], [], []
    for _ in range(max(1, args.repeat)):
        b = _in_fresh_interpreter("bare_pipeline", args)
        run = _in_fresh_interpreter("loopsim_ctr", args)
        bare.append(b["impressions_per_s"])
        bare_cpu.append(b["impressions_per_cpu_s"])
        loop.append(run["impressions_per_s"])
        loop_cpu.append(run["impressions_per_cpu_s"])
        print(f"bare {bare[-1] / 1e6:6.1f}M/s ({bare_cpu[-1] / 1e6:.1f}M per CPU s)   "
              f"loopsim ctr {loop[-1] / 1e6:5.1f}M/s ({loop_cpu[-1] / 1e6:.1f}M per CPU s)   "
              f"split {json.dumps({k: round(v, 3) for k, v in run['time_split'].items()})}")
    share = max(loop) / max(bare)
    share_cpu = max(loop_cpu) / max(bare_cpu)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"best: bare {max(bare) / 1e6:.1f}M impressions/s, loopsim ctr {max(loop) / 1e6:.1f}M/s:"
          f" share {share:.3f} by wall time, {share_cpu:.3f} by CPU time (target 0.3); "
          f"load average {load:.1f}")
    return {"bare": bare, "loopsim": loop, "bare_cpu": bare_cpu, "loopsim_cpu": loop_cpu,
            "share": share, "share_cpu": share_cpu, "load": load}


if __name__ == "__main__":
    main()
