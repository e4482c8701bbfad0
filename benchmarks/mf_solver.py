"""mf's ALS solvers side by side: wall time and final metrics over seeds (issue 25).

    python benchmarks/mf_solver.py --days 30 --seeds 5

Runs ``policy=mf`` on the default world with ``policy.estimator.solver=exact`` and
``=cg`` (and ``policy=ctr`` for scale), interleaved seed by seed, each run with one BLAS
thread, and prints wall seconds and the final ``regret_window``, ``gini_exposure`` and
``ndcg_window`` (mean and standard deviation over seeds).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from hydra import compose, initialize_config_dir  # noqa: E402
from loopsim.experiments.cli.run import CONF_DIR  # noqa: E402
from loopsim.experiments.cli.runner import build_simulation  # noqa: E402

METRICS = ("regret_window", "gini_exposure", "ndcg_window")


def run(overrides: list[str]) -> tuple[float, dict[str, float]]:
    """Wall seconds and the final metrics of one run."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[*overrides, "progress=false"])
    sim = build_simulation(cfg, "bench")
    start = time.perf_counter()
    result = sim.run()
    wall = time.perf_counter() - start
    result.raise_for_status()
    last = result.metrics.filter(result.metrics["t"] == result.metrics["t"].max())
    values = dict(zip(last["metric"].to_list(), last["value"].to_list(), strict=True))
    return wall, {m: values[m] for m in METRICS}


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    setups = {"ctr": ["policy=ctr"],
              "mf exact": ["policy=mf", "policy.estimator.solver=exact"],
              "mf cg": ["policy=mf", "policy.estimator.solver=cg"]}
    out: dict[str, list[tuple[float, dict[str, float]]]] = {k: [] for k in setups}
    for seed in range(args.seeds):
        for name, overrides in setups.items():
            out[name].append(run([*overrides, f"horizon={args.days}", f"seed={seed}"]))
    print("| setup | wall s (median) | " + " | ".join(METRICS) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in METRICS) + " |")
    for name, runs in out.items():
        walls = statistics.median(w for w, _ in runs)
        cells = []
        for m in METRICS:
            values = [v[m] for _, v in runs]
            sd = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.4f} ± {sd:.4f}")
        print(f"| {name} | {walls:.2f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
