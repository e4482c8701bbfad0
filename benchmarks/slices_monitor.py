"""What sliced metrics and the monitor cost: the same runs with them off and on.

    OPENBLAS_NUM_THREADS=1 python benchmarks/slices_monitor.py [--repeat 3] [--scenarios a,b]

Each scenario runs with ``off`` (the defaults), ``slices`` (``slices.enabled=true``),
``monitor`` (``monitor.enabled=true``), ``guard`` (monitor and ``guard_threshold=0.1``)
and ``both`` (slices and the guard), interleaved round by round so that the machine's
load falls on every setting alike; the fastest of ``--repeat`` rounds is kept. Prints
the event-loop seconds (``run_s``, set-up excluded), the process's CPU seconds over the
run (``cpu_s``: steadier than wall time on a loaded machine) and the cost against ``off``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from loopsim.experiments.bench.timed_run import build  # noqa: E402

#: Scenarios: (name, overrides).
SCENARIOS = {
    "small_global": ["policy=ctr", "world.n_users=1000", "world.n_items=1250",
                     "world.personalization=0", "horizon=100"],
    "medium_global": ["policy=ctr", "world.n_users=100000", "world.n_items=10000",
                      "world.personalization=0", "horizon=10"],
    "default_personal": ["policy=epsilon_greedy", "world.n_users=2000", "world.n_items=1000",
                         "horizon=30"],
}
SETTINGS = {
    "off": [],
    "slices": ["slices.enabled=true"],
    "monitor": ["monitor.enabled=true"],
    "guard": ["monitor.enabled=true", "monitor.guard_threshold=0.1"],
    "both": ["slices.enabled=true", "monitor.enabled=true", "monitor.guard_threshold=0.1"],
}


def main() -> None:
    """Run the grid and print one line per scenario and setting."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    for scenario in args.scenarios.split(","):
        best: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for _ in range(args.repeat):
            for setting, extra in SETTINGS.items():
                sim = build([*SCENARIOS[scenario], *extra], scenario)
                start = time.process_time()
                result = sim.run()
                used = time.process_time() - start
                result.raise_for_status()
                wall = float(result.summary["wall_time_s"])
                best[setting] = min(best.get(setting, float("inf")), wall)
                cpu[setting] = min(cpu.get(setting, float("inf")), used)
        for setting, seconds in best.items():
            print(f"{scenario:17s} {setting:8s} run_s={seconds:7.3f} "
                  f"({100 * (seconds / best['off'] - 1):+6.1f}%)  cpu_s={cpu[setting]:7.3f} "
                  f"({100 * (cpu[setting] / cpu['off'] - 1):+6.1f}%)")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
