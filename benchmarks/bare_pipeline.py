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

``loopsim.experiments.bench.reference.global_pipeline`` (the ``loopsim-bench``
reference) draws users with ``searchsorted`` instead, about 2.5x slower than this one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np


def alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table of ``weights`` (Vose's construction, vectorised per round).

    Returns ``(prob, alias)``: draw ``i`` uniform in ``[0, n)`` and ``u`` uniform in
    ``[0, 1)``; the sample is ``i`` if ``u < prob[i]`` else ``alias[i]``.
    """
    n = weights.shape[0]
    prob = weights * (n / weights.sum())
    alias = np.arange(n, dtype=np.int64)
    small = list(np.flatnonzero(prob < 1.0))
    large = list(np.flatnonzero(prob >= 1.0))
    while small and large:
        s, g = small.pop(), large[-1]
        alias[s] = g
        prob[g] -= 1.0 - prob[s]
        if prob[g] < 1.0:
            small.append(large.pop())
    prob[large] = 1.0
    prob[small] = 1.0
    return prob, alias


def bare_pipeline(n_users: int, n_items: int, days: float, tick: float = 0.05, k: int = 10,
                  retrain: float = 0.25, seed: int = 0) -> dict[str, Any]:
    """Time the bare global-score loop with alias-table user draws."""
    rng = np.random.default_rng(seed)
    rates = np.exp(rng.standard_normal(n_users) - 0.5)
    prob, alias = alias_table(rates)
    total = float(rates.sum())
    quality = rng.beta(2.0, 6.0, n_items)
    exam = 1.0 / np.arange(1, k + 1)
    exposure = np.zeros(n_items, dtype=np.int64)
    clicks = np.zeros(n_items, dtype=np.int64)
    steps = max(1, round(days / tick))
    every = max(1, round(retrain / tick))
    impressions = 0
    start, cpu = time.perf_counter(), time.process_time()
    for step in range(steps):
        n = int(rng.poisson(total * tick))
        u = rng.random(n) * n_users
        i = u.astype(np.int64)
        users = np.where(u - i < prob[i], i, alias[i])  # one uniform: index and coin
        np.sort(rng.random(n))  # session times
        if step % every == 0:
            ctr = (clicks + 1.0) / (exposure + 20.0)
            slate = np.argpartition(-ctr, k - 1)[:k]
            slate = slate[np.argsort(-ctr[slate])]
            p = quality[slate] * exam
        c = rng.random((users.shape[0], k)) < p
        exposure[slate] += n
        clicks[slate] += c.sum(axis=0)
        impressions += n * k
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return {"impressions": impressions, "seconds": seconds, "cpu_s": cpu,
            "impressions_per_s": impressions / seconds,
            "impressions_per_cpu_s": impressions / cpu}


def loopsim_ctr(n_users: int, n_items: int, days: float) -> dict[str, Any]:
    """loopsim's global ``ctr`` on the closed world (the ``loopsim-bench`` worker)."""
    from loopsim.experiments.bench.timed_run import build, run_timed

    overrides = ["policy=ctr", "world.personalization=0.0", "world.organic=0",
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
