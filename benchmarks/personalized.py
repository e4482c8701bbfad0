"""Personalized loops against global ones, side by side (issue 25, item 1).

    python -m benchmarks.personalized ratio --days 100 --repeat 2
    python -m benchmarks.personalized settings --days 30 --seeds 5
    python -m benchmarks.personalized organic --days 100 --seeds 5
    python -m benchmarks.personalized pipeline            # 1M users x 100k items, 7 days

``ratio``: ``policy=ctr`` and ``policy=mf`` on the default world, interleaved (ctr, mf,
ctr, mf...) in fresh processes with one BLAS thread, so both meet the same load; prints
each pair's wall seconds, mf's ALS seconds and the ratio mf/ctr, with the load average.

``settings``: mf's ALS settings (sweeps per retrain, CG steps) over seeds: wall seconds
and the final ``regret_window``, ``gini_exposure``, ``ndcg_window`` (mean and 95%
interval), to choose a default by measurement.

``organic``: the organic picks of personal worlds drawn by rejection (now) against the
former whole-row draws, over seeds, for ``ctr`` and ``mf``: final Gini and regret with
their 95% intervals (the two samplers draw the same distribution; the numbers must agree
within the intervals).

``pipeline``: :mod:`loopsim.experiments.bench.pipeline_full` (wall seconds and peak RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

METRICS = ("regret_window", "gini_exposure", "ndcg_window")

#: Run in a fresh interpreter: ``python -c WORKER '<json spec>'`` prints one JSON line.
WORKER = r"""
import json, os, resource, sys, time
spec = json.loads(sys.argv[1])
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.cli.runner import build_simulation
if spec.get("row_organic"):
    from loopsim.simulator.world import organic_choice
    organic_choice.rejection_picks = organic_choice.row_picks
from loopsim.policies.estimators import mf
als = [0.0]
update = mf.ImplicitMF.update
def timed(self, feedback):
    start = time.perf_counter(); update(self, feedback); als[0] += time.perf_counter() - start
mf.ImplicitMF.update = timed
with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
    cfg = compose("config", overrides=[*spec["overrides"], "progress=false"])
sim = build_simulation(cfg, "bench")
start, cpu = time.perf_counter(), time.process_time()
result = sim.run()
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
result.raise_for_status()
last = result.metrics.filter(result.metrics["t"] == result.metrics["t"].max())
values = dict(zip(last["metric"].to_list(), last["value"].to_list()))
print(json.dumps({"wall": wall, "cpu": cpu, "als": als[0], "metrics": values,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(overrides: list[str], **flags: Any) -> dict[str, Any]:
    """One run in a fresh process (one BLAS thread): wall, ALS seconds, final metrics."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", WORKER, json.dumps({"overrides": overrides,
                                                                     **flags})],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"run {overrides} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def interval(values: list[float]) -> str:
    """Mean and 95% Student-t interval half-width."""
    from scipy.stats import t

    mean = statistics.mean(values)
    if len(values) < 2:
        return f"{mean:.4f}"
    half = t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / len(values) ** 0.5
    return f"{mean:.4f} ± {half:.4f}"


def ratio(args: argparse.Namespace) -> None:
    """mf against ctr, interleaved."""
    print(f"default world, {args.days:g} days, load before: {load()}")
    print("| pair | ctr wall s | mf wall s | mf ALS s | mf / ctr (wall) | ctr CPU s | "
          "mf CPU s | mf / ctr (CPU) | load |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    walls, cpus = [], []
    for i in range(args.repeat):
        ctr = run(["policy=ctr", f"horizon={args.days}", f"seed={i}"])
        mf = run(["policy=mf", f"horizon={args.days}", f"seed={i}", *args.mf])
        walls.append(mf["wall"] / ctr["wall"])
        cpus.append(mf["cpu"] / ctr["cpu"])
        print(f"| {i} | {ctr['wall']:.2f} | {mf['wall']:.2f} | {mf['als']:.2f} | "
              f"{walls[-1]:.2f} | {ctr['cpu']:.2f} | {mf['cpu']:.2f} | {cpus[-1]:.2f} | "
              f"{load()} |", flush=True)
    print(f"median ratio mf/ctr: {statistics.median(walls):.2f} (wall), "
          f"{statistics.median(cpus):.2f} (CPU)")


def settings(args: argparse.Namespace) -> None:
    """mf's ALS settings over seeds (interleaved seed by seed)."""
    setups = {"2 sweeps, 3 CG steps": ["policy.estimator.iterations=2",
                                       "policy.estimator.cg_steps=3"],
              "1 sweep, 3 CG steps": ["policy.estimator.iterations=1",
                                      "policy.estimator.cg_steps=3"],
              "1 sweep, 2 CG steps": ["policy.estimator.iterations=1",
                                      "policy.estimator.cg_steps=2"]}
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in setups}
    print(f"default world, policy=mf, {args.days:g} days, {args.seeds} seeds, load {load()}")
    for seed in range(args.seeds):
        for name, overrides in setups.items():
            out[name].append(run(["policy=mf", f"horizon={args.days}", f"seed={seed}",
                                  *overrides]))
    table(out)
    print(f"load after: {load()}")


def organic(args: argparse.Namespace) -> None:
    """Rejection against whole-row organic picks over seeds."""
    out: dict[str, list[dict[str, Any]]] = {}
    print(f"default world, {args.days:g} days, {args.seeds} seeds, load {load()}")
    for seed in range(args.seeds):
        for policy in args.policies.split(","):
            for name, flag in (("rows (before)", True), ("rejection (now)", False)):
                out.setdefault(f"{policy}, {name}", []).append(
                    run([f"policy={policy}", f"horizon={args.days}", f"seed={seed}"],
                        row_organic=flag))
    table(out, ("gini_exposure", "regret_window", "gini_organic"))
    print(f"load after: {load()}")


def table(out: dict[str, list[dict[str, Any]]], metrics: tuple[str, ...] = METRICS) -> None:
    """Median wall and the metrics' mean ± 95% interval per setup."""
    print("| setup | wall s (median) | " + " | ".join(metrics) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in metrics) + " |")
    for name, runs in out.items():
        cells = [interval([r["metrics"][m] for r in runs]) for m in metrics]
        print(f"| {name} | {statistics.median(r['wall'] for r in runs):.2f} | "
              + " | ".join(cells) + " |")


def pipeline(args: argparse.Namespace) -> None:
    """The production-scale pipeline scenario."""
    from loopsim.experiments.bench.pipeline_full import main as full

    start = time.perf_counter()
    full(["--days", str(args.days)] if args.days != 100 else [])
    print(f"(benchmark wall incl. set-up {time.perf_counter() - start:.0f} s)")


def main() -> None:
    """Parse the mode and print its table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("ratio", "settings", "organic", "pipeline"))
    parser.add_argument("--days", type=float, default=100)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--policies", default="ctr,mf")
    parser.add_argument("--mf", nargs="*", default=[], help="extra overrides of the mf runs")
    args = parser.parse_args()
    {"ratio": ratio, "settings": settings, "organic": organic, "pipeline": pipeline}[
        args.mode](args)


if __name__ == "__main__":
    main()
