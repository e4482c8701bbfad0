"""``loopsim-bench``: loopsim's figures against its goals (issue 25), with one command.

Runs the scenarios of :mod:`loopsim.experiments.bench.scenarios` (each in a fresh
interpreter, so its peak resident memory is its own), computes the figures of
:mod:`loopsim.experiments.bench.figures` and prints them as tables:

* mf against ctr on the default world;
* the main job (``experiment=mitigation``), estimated from one seed of each policy;
* loopsim against T-RECS on the same work, metrics on and nearly off (the T-RECS side
  needs a checkout and the ``bench`` extra; without them loopsim's side is printed alone);
* global ``ctr`` against a bare numpy pipeline, 100,000 users x 10,000 items, closed world;
* with ``--full``: the pipeline at 1,000,000 users x 100,000 items over 7 days, the whole
  T-RECS run, and the real main job;
* with ``--scaling``: growth exponents in users and items of ``ctr`` and ``mf``, and peak
  memory at each size.

Times are CPU seconds (user + system) of each process, one BLAS thread: on a shared
machine they move far less than wall time. Nothing is asserted; goals are reported.

Examples::

    loopsim-bench                                   # the default figures, a few minutes
    loopsim-bench --scenarios default_ctr,default_mf
    loopsim-bench --full --scaling --json bench.json --markdown
    loopsim-bench --list                            # every scenario and its group
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from loopsim.experiments.bench import figures as bench_figures
from loopsim.experiments.bench import peers, render
from loopsim.experiments.bench.scenarios import REGISTRY, Scenario, select
from loopsim.simulator.io.results import atomic_text

#: Thread count of the BLAS in the workers (``--blas-threads``); ``None`` leaves it alone.
BLAS_THREADS: list[int | None] = [1]


def run_worker(overrides: list[str], name: str, spec: dict[str, Any] | None = None,
               after_first_update: bool = False, threads: int | None = None) -> dict[str, Any]:
    """Run one loopsim run (or a reference ``spec``) in a fresh interpreter; its result.

    ``after_first_update`` adds the serving figures after the policy's first update
    (:func:`loopsim.experiments.bench.timed_run.mark_first_update`); ``threads`` sets the
    BLAS threads of this run (default: :data:`BLAS_THREADS`). ``process_s`` is the wall
    time of the whole process, interpreter start and imports included.
    """
    spec_text = json.dumps(spec or {"overrides": overrides, "name": name,
                                    "after_first_update": after_first_update})
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "loopsim.experiments.bench.timed_run",
                           spec_text], env=peers.worker_env(threads or BLAS_THREADS[0]),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"status": "crashed", "error": proc.stderr.strip().splitlines()[-1:]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.setdefault("status", "completed")
    out["process_s"] = time.perf_counter() - start
    return out


def run_scenario(s: Scenario) -> dict[str, Any]:
    """Measure one scenario (a skipped one says why)."""
    from loopsim.experiments.bench.timed_run import policy_available

    if s.policy and not policy_available(s.policy):
        return {"status": "skipped", "reason": f"conf/policy/{s.policy}.yaml does not exist"}
    env = peers.worker_env(BLAS_THREADS[0])
    if s.kind == "loopsim":
        return run_worker(list(s.overrides), s.policy or s.name,
                          after_first_update=s.after_first_update, threads=s.threads)
    if s.kind == "reference":
        return run_worker([], s.name, {"reference": "global", "args": s.args})
    if s.kind == "trecs":
        return peers.run_trecs(dict(s.args), env)
    if s.kind == "mainjob":
        return peers.run_mainjob(list(s.overrides), env)
    raise ValueError(f"bench scenario {s.name!r}: unknown kind {s.kind!r}")


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of least CPU time among repeats, with every repeat's CPU seconds kept."""
    ok = [r for r in runs if r.get("status") == "completed"] or runs
    best = dict(min(ok, key=bench_figures.cpu))
    if len(runs) > 1:
        best["repeats_cpu_s"] = [bench_figures.cpu(r) for r in runs]
    return best


def machine() -> dict[str, Any]:
    """Where the figures were measured (cores, load, versions)."""
    cpu = ""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), "")
    except OSError:
        pass
    return {"cpu": cpu or platform.processor(), "cores": os.cpu_count(), "load_avg": _load(),
            "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform()}


def _load() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(prog="loopsim-bench", description=__doc__.split("\n")[0])
    p.add_argument("--full", action="store_true",
                   help="add the catalogue-scale pipeline (1M users x 100k items, 7 days), "
                   "the whole T-RECS run and the real main job (tens of minutes)")
    p.add_argument("--scaling", action="store_true",
                   help="add the sizes the growth exponents in users and items are fitted on")
    p.add_argument("--scenarios", default="",
                   help="comma-separated scenario names or patterns (mainjob_*) to run "
                   "instead of the groups (--list shows them)")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per scenario (the one of least CPU time kept)")
    p.add_argument("--blas-threads", type=int, default=1,
                   help="BLAS threads in every worker (0: leave the environment alone)")
    p.add_argument("--json", "--out", dest="json", default="",
                   help="also write the whole report as JSON to this file")
    p.add_argument("--markdown", action="store_true",
                   help="print the tables as Markdown (the performance page's)")
    return p.parse_args(argv)


def check_options(args: argparse.Namespace) -> list[str]:
    """Refuse meaningless options before any run, naming the option (exit status 2)."""
    problems = []
    if args.repeat < 1:
        problems.append(f"`--repeat {args.repeat}`: must be >= 1 (runs per scenario)")
    if args.blas_threads < 0:
        problems.append(f"`--blas-threads {args.blas_threads}`: must be >= 0")
    patterns = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    names = [n for n in REGISTRY if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    if bad := [p for p in patterns if not fnmatch.filter(REGISTRY, p)]:
        problems.append(f"`--scenarios {args.scenarios}`: unknown scenarios {bad}; "
                        "`loopsim-bench --list` shows them")
    if args.json:
        out = Path(args.json)
        if out.is_dir() or (out.exists() and not out.is_file()) or out.is_symlink():
            problems.append(f"`--json {args.json}`: is not a regular file path (a folder, a "
                            "special file or a symbolic link); give a new .json file")
    if problems:
        print("\n".join(f"loopsim-bench: {p}" for p in problems), file=sys.stderr)
        raise SystemExit(2)
    return names


def listing() -> str:
    """Every registered scenario: name, groups, what it runs."""
    rows = [[s.name, ",".join(sorted(s.groups)), s.kind, s.description]
            for s in REGISTRY.values()]
    return render.text_table(["scenario", "groups", "kind", "what"], rows)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Entry point of ``loopsim-bench``: run, print the tables, return the report."""
    args = parse(argv)
    if args.list:
        print(listing())
        return {}
    names = check_options(args)
    BLAS_THREADS[0] = args.blas_threads or None
    groups = {"default"} | ({"full"} if args.full else set()) | \
        ({"scaling"} if args.scaling else set())
    chosen = select(groups, names)
    command = shlex.join(["loopsim-bench", *(sys.argv[1:] if argv is None else argv)])
    rep: dict[str, Any] = {"machine": machine(), "started": time.strftime(
        "%Y-%m-%d %H:%M", time.gmtime()), "blas_threads": BLAS_THREADS[0],
        "command": command, "scenarios": {}}
    log = sys.stderr
    print(f"loopsim-bench: {len(chosen)} scenarios on {rep['machine']['cores']} cores, "
          f"load {render._load(rep['machine']['load_avg'])}", file=log, flush=True)
    for s in chosen:
        start = time.perf_counter()
        r = best_of([run_scenario(s) for _ in range(args.repeat)])
        rep["scenarios"][s.name] = {**r, "kind": s.kind, "overrides": list(s.overrides),
                                    "args": dict(s.args)}
        state = r.get("status") if r.get("status") != "completed" else \
            f"{bench_figures.cpu(r):.2f} s CPU"
        print(f"  {s.name:<28} {state} ({time.perf_counter() - start:.0f} s)", file=log,
              flush=True)
    rep["machine"]["load_avg_end"] = _load()
    rep["figures"] = bench_figures.compute(rep["scenarios"])
    rep["growth"] = bench_figures.growth(rep["scenarios"])
    print(render.report(rep, markdown=args.markdown))
    if args.json:
        atomic_text(Path(args.json), json.dumps(rep, indent=2, default=str) + "\n")
        print(f"written {args.json}", file=log)
    return rep


#: Sizes and horizons of the earlier grid, kept for ``benchmarks/against_commit.py``.
LEGACY_SIZES = {"small": (1_000, 1_250, 100.0), "medium": (100_000, 10_000, 10.0),
                "large": (1_000_000, 100_000, 2.0)}


def scenario_overrides(scenario: str, kind: str = "global") -> list[str]:
    """World size and horizon of a global-score run of the earlier grid (small/medium/large)."""
    users, items, horizon = LEGACY_SIZES[scenario]
    return [f"world.n_users={users}", f"world.n_items={items}", f"horizon={horizon}"]


def cli() -> None:
    """The ``loopsim-bench`` command: :func:`main`, exit status 0 once the report is printed.

    (A console script exits with what its function returns; :func:`main` returns the
    report for callers in Python, so the command goes through this wrapper.)
    """
    main()


if __name__ == "__main__":
    cli()
