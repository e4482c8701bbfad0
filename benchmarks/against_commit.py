"""Time one bench scenario here and in a checkout of an older commit, alternately.

Speed budgets ("within 10% of commit X") need both sides measured in the same minutes:
on a shared or throttled machine two runs of the same code a minute apart differ by
more than 10%. This runs the ``loopsim-bench`` worker of each side in a fresh
interpreter (one BLAS thread), alternating, and prints every pair and the best of each::

    git worktree add /tmp/base 8555e4b
    python -m benchmarks.against_commit /tmp/base --scenario medium --policy ctr --pairs 4
    python -m benchmarks.against_commit /tmp/base --scenario small --policy ctr -- world.organic=0
    python -m benchmarks.against_commit /tmp/base --bench trecs_work --pairs 10 --inner 3

``--bench NAME`` runs a scenario of ``loopsim-bench`` (``--list``) on both sides, with
the same overrides, and compares the CPU seconds of the event loop (``cpu_loop_s``, the
figure ``loopsim-bench`` reports) instead of ``run_s``; ``--inner N`` runs it N times in
each interpreter and keeps the least (a figure of sub-second runs moves less).

The older side is run as ``python -m experiments.bench_run`` from its checkout (the
layout before the ``loopsim`` package) when it has no ``loopsim/`` folder, else as
``python -m loopsim.experiments.bench_run`` (before the sub-package layout) or
``python -m loopsim.experiments.bench.timed_run`` from a temporary import root whose
``loopsim/`` links the checkout's ``simulator/``, ``policies/``, ``experiments/`` and
``conf/`` (the wheel's layout), so that nothing of the installed package leaks in. "Here"
is the installed ``loopsim``. Overrides after ``--`` go to this side only (the older
one may not know the keys).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def old_worker_module(base: Path, packaged: bool) -> str:
    """The older checkout's bench worker module, by the layout it has."""
    if not packaged:
        return "experiments.bench_run"
    if (base / "experiments" / "bench_run.py").is_file():
        return "loopsim.experiments.bench_run"  # before the sub-package layout
    return "loopsim.experiments.bench.timed_run"


def worker_spec(scenario: str, policy: str, extra: list[str]) -> str:
    """The JSON spec of one ``bench_run`` worker (a global world, as ``loopsim-bench``)."""
    from loopsim.experiments.bench.cli import scenario_overrides

    overrides = [f"policy={policy}", "world.personalization=0.0",
                 *scenario_overrides(scenario, "global"), *extra]
    return json.dumps({"overrides": overrides, "name": policy, "after_first_update": False})


def import_root(checkout: Path, into: Path) -> Path:
    """A folder holding ``loopsim/`` laid out as in the wheel, made of links to ``checkout``."""
    package = into / "loopsim"
    package.mkdir(parents=True)
    for entry in (checkout / "loopsim").iterdir():
        (package / entry.name).symlink_to(entry.resolve())
    for part in ("simulator", "policies", "experiments", "conf"):
        (package / part).symlink_to((checkout / part).resolve())
    return into


def bench_spec(name: str) -> str:
    """The JSON spec of the ``loopsim-bench`` scenario ``name`` (its own overrides)."""
    from loopsim.experiments.bench.scenarios import REGISTRY

    if name not in REGISTRY or REGISTRY[name].kind != "loopsim":
        raise SystemExit(f"--bench {name!r}: not a loopsim scenario of loopsim-bench --list")
    return json.dumps({"overrides": list(REGISTRY[name].overrides), "name": name})


#: Runs the worker ``sys.argv[2]`` times on the spec ``sys.argv[1]`` and prints the least
#: ``cpu_loop_s`` as the last line (``--inner``).
_INNER = ("import json, sys; from {module} import worker; spec = json.loads(sys.argv[1]); "
          "print(json.dumps({{'cpu_loop_s': min(worker(spec)['cpu_loop_s'] "
          "for _ in range(int(sys.argv[2])))}}))")


def run_s(command: list[str], cwd: Path, env: dict[str, str], key: str = "run_s") -> float:
    """The ``run_s`` (event loop seconds), or another figure ``key``, one worker reports."""
    out = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                         check=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1])[key])


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run the pairs, print them and the best of each side."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", type=Path, help="checkout of the older commit")
    parser.add_argument("--scenario", choices=["small", "medium", "large"], default="medium")
    parser.add_argument("--policy", default="ctr")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--bench", help="a loopsim scenario of loopsim-bench (CPU compared)")
    parser.add_argument("--inner", type=int, default=1, help="runs per interpreter (--bench)")
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    packaged = (args.base / "loopsim").is_dir()
    old_module = old_worker_module(args.base, packaged)
    scratch = Path(tempfile.mkdtemp(prefix="against_commit_"))
    old_path = import_root(args.base, scratch) if packaged else args.base
    old_env = dict(env, PYTHONPATH=str(old_path))
    old_cmd = [sys.executable, "-m", old_module, worker_spec(args.scenario, args.policy, [])]
    new_cmd = [sys.executable, "-m", "loopsim.experiments.bench.timed_run",
               worker_spec(args.scenario, args.policy, extra)]
    key, label = "run_s", f"{args.scenario} {args.policy}"
    if args.bench:
        spec, inner = bench_spec(args.bench), str(max(1, args.inner))
        old_cmd = [sys.executable, "-c", _INNER.format(module=old_module), spec, inner]
        new_cmd = [sys.executable, "-c",
                   _INNER.format(module="loopsim.experiments.bench.timed_run"), spec, inner]
        key, label = "cpu_loop_s", f"{args.bench} (CPU)"
    old, new = [], []
    for _ in range(args.pairs):
        old.append(run_s(old_cmd, old_path, old_env, key))
        new.append(run_s(new_cmd, Path.cwd(), env, key))
        print(f"{label}: base {old[-1]:.3f} s, here {new[-1]:.3f} s, "
              f"base/here {old[-1] / new[-1]:.2f}", flush=True)
    ratios = sorted(o / n for o, n in zip(old, new, strict=True))
    print(f"best: base {min(old):.3f} s, here {min(new):.3f} s "
          f"({100 * (min(new) / min(old) - 1):+.0f}%); base/here per pair: median "
          f"{ratios[len(ratios) // 2]:.2f}, range {ratios[0]:.2f}-{ratios[-1]:.2f}")


if __name__ == "__main__":
    main()
