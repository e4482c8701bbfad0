"""The peer comparison of ``loopsim-bench --peer trecs``: T-RECS and loopsim on the same work.

T-RECS 0.2.1 (the ``bench`` extra) needs three shims on Python 3.11 / numpy >= 2.4, all
kept here and applied only when the peer is run:

* ``import trecs`` imports ``lenskit`` (used only by its ImplicitMF model): an empty
  stub module stands in when lenskit is missing;
* numpy >= 2.4 removed ``np.trapz``, which one T-RECS metric calls: aliased to
  ``np.trapezoid`` when missing;
* ``pip install trecs`` fails (it pins pandas==1.0.5, without a wheel for 3.11): install
  with ``pip install --no-deps trecs==0.2.1`` plus numpy, scipy, networkx, tqdm, pandas.

Both sides are timed from the start of the simulation to its end (imports and start-up
excluded): T-RECS's ``run(timesteps)``, loopsim's event loop. Each side reports wall
seconds and CPU seconds of its process over that span (``cpu_s``); the ratio is taken on
CPU seconds, which a busy machine disturbs less than wall time. loopsim runs on the
closed world (``world.organic=0``: T-RECS has no organic consumption); ``--metrics-off``
adds a run with the snapshots and the sampled-session metrics nearly off, for the figure
beside it (T-RECS computes no metric unless asked).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import types
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from loopsim.experiments.bench.timed_run import build, run_timed

#: Runs a worker spec in a fresh interpreter
#: (``loopsim.experiments.bench.cli.run_worker``), or None.
Runner = Any


def _install_shims() -> list[str]:
    """Make ``import trecs`` work on this interpreter; return the shims applied."""
    applied = []
    try:
        import lenskit  # noqa: F401
    except ImportError:
        stub = types.ModuleType("lenskit")
        algorithms = types.ModuleType("lenskit.algorithms")
        algorithms.als = types.ModuleType("lenskit.algorithms.als")  # type: ignore[attr-defined]
        stub.algorithms = algorithms  # type: ignore[attr-defined]
        sys.modules.update({"lenskit": stub, "lenskit.algorithms": algorithms,
                            "lenskit.algorithms.als": algorithms.als})  # type: ignore[attr-defined]
        applied.append("lenskit stub module")
    if not hasattr(np, "trapz"):
        setattr(np, "trapz", np.trapezoid)  # noqa: B010 (removed in numpy 2.4)
        applied.append("np.trapz = np.trapezoid")
    return applied


def run_trecs(n_users: int, n_items: int, steps: int, slate: int, seed: int) -> dict[str, Any]:
    """T-RECS's PopularityRecommender: ``steps`` steps, one interaction per user each."""
    shims = _install_shims()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # T-RECS writes a trecs.log into the working directory
        try:
            try:
                from trecs.models import PopularityRecommender
            except ImportError as exc:
                return {"status": "skipped", "reason": (
                    f"T-RECS is not importable ({exc}); install it with the recipe of "
                    "docs/performance.md (pip install --no-deps trecs==0.2.1 ...).")}
            model = PopularityRecommender(num_users=n_users, num_items=n_items,
                                          num_items_per_iter=slate, seed=seed)
            start, cpu = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="No measurements",
                                        category=UserWarning)
                model.run(timesteps=steps, disable_tqdm=True)
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu
        finally:
            os.chdir(cwd)
    return {"status": "completed", "seconds": seconds, "cpu_s": cpu,
            "seconds_per_step": seconds / steps,
            "impressions": n_users * slate * steps, "shims": shims}


def run_loopsim(n_users: int, n_items: int, days: int, slate: int, seed: int,
                runner: Runner = None, repeat: int = 1,
                metrics_off: bool = False) -> dict[str, Any]:
    """loopsim's ``popularity`` on the same work: one session per user per day (in mean).

    ``repeat`` runs (each in a fresh interpreter with ``runner``); the fastest is kept,
    every run's time is in ``repeats_s``.
    """
    overrides = [
        "policy=popularity", f"world.n_users={n_users}", f"world.n_items={n_items}",
        "world.activity_sigma=0", "world.sessions_per_user_per_day=1",
        "world.item_arrival_rate=0", "world.organic=0", f"horizon={days}", "tick=1.0",
        "retrain_interval=1.0", "snapshot_interval=1.0", f"slate_size={slate}", f"seed={seed}",
    ]
    if metrics_off:  # one snapshot at the end, no sampled-session metrics
        overrides += [f"snapshot_interval={days}", "quality_sessions_per_day=0"]
    runs = [runner(overrides) if runner else timed_loopsim(overrides)
            for _ in range(max(1, repeat))]
    done = [r for r in runs if r.get("status") == "completed"]
    if not done:
        out = runs[0]
        return {"status": out.get("status"), "seconds": float("nan"), "error": out.get("error")}
    out = min(done, key=lambda r: r["cpu_s"])
    return {"status": out["status"], "seconds": out["run_s"], "cpu_s": out["cpu_s"],
            "impressions": out["impressions"], "sessions": out["sessions"],
            "overrides": overrides, "repeats_cpu_s": [r.get("cpu_s") for r in runs],
            "repeats_s": [r.get("run_s") for r in runs], "time_split": out.get("time_split", {})}


def timed_loopsim(overrides: list[str]) -> dict[str, Any]:
    """One loopsim run here: the bench worker's figures plus the CPU seconds of ``run``."""
    sim = build(overrides, "popularity")
    cpu = time.process_time()
    out = run_timed(sim)
    out["cpu_s"] = time.process_time() - cpu
    return out


def loopsim_in_a_fresh_interpreter(overrides: list[str]) -> dict[str, Any]:
    """:func:`timed_loopsim` in its own process, with one BLAS thread."""
    env = dict(os.environ, **dict.fromkeys(_BLAS_VARS, "1"))
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--loopsim-worker",
                           json.dumps(overrides)], capture_output=True, text=True,
                          check=False, env=env)
    if proc.returncode != 0:
        return {"status": "crashed", "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


_BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def compare(n_users: int = 1000, n_items: int = 1250, steps: int = 100, slate: int = 10,
            seed: int = 0, runner: Runner = None, repeat: int = 1,
            metrics_off: bool = False) -> dict[str, Any]:
    """Both simulations on the same work, and the ratio of their CPU seconds.

    Args:
        n_users: Users (T-RECS: one interaction each per step).
        n_items: Items.
        steps: T-RECS steps = loopsim days.
        slate: Items shown per interaction / session.
        seed: Seed of both.
        runner: :func:`loopsim_in_a_fresh_interpreter`, to run each side in a fresh
            interpreter with one BLAS thread; ``None`` runs both in this one.
        repeat: Runs of the loopsim side (lowest CPU kept); T-RECS runs once.
        metrics_off: Also run loopsim with its metrics nearly off (``loopsim_metrics_off``).

    Returns:
        ``{"trecs": {...}, "loopsim": {...}, "speedup": trecs_cpu / loopsim_cpu}`` (no
        speed-up when T-RECS is not installed), and ``speedup_metrics_off``.
    """
    loopsim = run_loopsim(n_users, n_items, steps, slate, seed, runner, repeat)
    args = {"n_users": n_users, "n_items": n_items, "steps": steps, "slate": slate, "seed": seed}
    trecs = _trecs_in_a_fresh_interpreter(args) if runner else run_trecs(**args)
    out: dict[str, Any] = {"work": {"users": n_users, "items": n_items, "steps": steps,
                                    "slate": slate}, "trecs": trecs, "loopsim": loopsim}
    if metrics_off:
        out["loopsim_metrics_off"] = run_loopsim(n_users, n_items, steps, slate, seed, runner,
                                                 repeat, metrics_off=True)
    if trecs["status"] == "completed" and loopsim.get("cpu_s", 0) > 0:
        out["speedup"] = trecs["cpu_s"] / loopsim["cpu_s"]
        out["speedup_wall"] = trecs["seconds"] / loopsim["seconds"]
        if metrics_off:
            out["speedup_metrics_off"] = trecs["cpu_s"] / out["loopsim_metrics_off"]["cpu_s"]
    return out


def _trecs_in_a_fresh_interpreter(args: dict[str, Any]) -> dict[str, Any]:
    """:func:`run_trecs` in its own process (its shims never touch this one)."""
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker",
                           json.dumps(args)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"status": "crashed", "reason": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


#: Target of loopsim's speed-up over T-RECS on the same work (issue 25: 500x, metrics on).
TARGET_PEER = 500.0


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """``python -m benchmarks.trecs_peer [--steps N] [--repeat R] [--metrics-off] [--out F]``."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.trecs_peer",
                                description="loopsim against T-RECS on the same work")
    p.add_argument("--steps", type=int, default=100, help="T-RECS steps = loopsim days")
    p.add_argument("--repeat", type=int, default=1, help="loopsim runs (lowest CPU kept)")
    p.add_argument("--metrics-off", action="store_true",
                   help="also time loopsim with its metrics nearly off")
    p.add_argument("--no-trecs", action="store_true",
                   help="time loopsim only (CPU seconds per step, to compare with a "
                        "recorded T-RECS figure)")
    p.add_argument("--out", default="peer.json", help="JSON output file")
    p.add_argument("--worker", help=argparse.SUPPRESS)  # internal: one T-RECS run
    p.add_argument("--loopsim-worker", help=argparse.SUPPRESS)  # internal: one loopsim run
    args = p.parse_args(argv)
    if args.worker:
        out = run_trecs(**json.loads(args.worker))
        print(json.dumps(out))
        return out
    if args.loopsim_worker:
        out = timed_loopsim(json.loads(args.loopsim_worker))
        print(json.dumps(out, default=str))
        return out
    if args.no_trecs:
        peer = {"loopsim": run_loopsim(1000, 1250, args.steps, 10, 0,
                                       loopsim_in_a_fresh_interpreter, args.repeat)}
        if args.metrics_off:
            peer["loopsim_metrics_off"] = run_loopsim(
                1000, 1250, args.steps, 10, 0, loopsim_in_a_fresh_interpreter, args.repeat,
                metrics_off=True)
        tr = {"status": "not run"}
    else:
        peer = compare(steps=args.steps, runner=loopsim_in_a_fresh_interpreter,
                       repeat=args.repeat, metrics_off=args.metrics_off)
        tr = peer["trecs"]
    lo = peer["loopsim"]
    line = (f"peer: loopsim {lo['cpu_s']:.3f} s CPU ({lo['cpu_s'] / args.steps * 1e3:.2f} ms "
            f"per step), {lo['seconds']:.3f} s wall")
    off = peer.get("loopsim_metrics_off")
    if off:
        line += f"; metrics nearly off {off['cpu_s']:.3f} s CPU"
    if tr["status"] == "completed":
        line += (f"; T-RECS {tr['cpu_s']:.1f} s CPU ({tr['seconds']:.1f} s wall): loopsim "
                 f"{peer['speedup']:.0f}x faster by CPU")
        if off:
            line += f", {peer['speedup_metrics_off']:.0f}x with metrics nearly off"
        peer["target"] = {"ratio": peer["speedup"], "target": TARGET_PEER,
                          "met": peer["speedup"] >= TARGET_PEER}
    elif not args.no_trecs:
        line += f"; T-RECS {tr['status']}: {tr.get('reason')}"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{line} (load average {load:.1f})", flush=True)
    Path(args.out).write_text(json.dumps(peer, indent=2, default=str) + "\n")
    return peer


__all__ = ["compare", "loopsim_in_a_fresh_interpreter", "main", "run_loopsim", "run_trecs",
           "timed_loopsim"]


if __name__ == "__main__":
    main()
