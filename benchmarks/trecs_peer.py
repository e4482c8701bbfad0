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
excluded): T-RECS's ``run(timesteps)``, loopsim's event loop.
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
from loopsim.experiments.bench.cli import run_worker
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
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="No measurements",
                                        category=UserWarning)
                model.run(timesteps=steps, disable_tqdm=True)
            seconds = time.perf_counter() - start
        finally:
            os.chdir(cwd)
    return {"status": "completed", "seconds": seconds, "seconds_per_step": seconds / steps,
            "impressions": n_users * slate * steps, "shims": shims}


def run_loopsim(n_users: int, n_items: int, days: int, slate: int, seed: int,
                runner: Runner = None, repeat: int = 1) -> dict[str, Any]:
    """loopsim's ``popularity`` on the same work: one session per user per day (in mean).

    ``repeat`` runs (each in a fresh interpreter with ``runner``); the fastest is kept,
    every run's time is in ``repeats_s``.
    """
    overrides = [
        "policy=popularity", f"world.n_users={n_users}", f"world.n_items={n_items}",
        "world.activity_sigma=0", "world.sessions_per_user_per_day=1",
        "world.item_arrival_rate=0", f"horizon={days}", "tick=1.0", "retrain_interval=1.0",
        "snapshot_interval=1.0", f"slate_size={slate}", f"seed={seed}",
    ]
    runs = [runner(overrides, "popularity") if runner
            else run_timed(build(overrides, "popularity")) for _ in range(max(1, repeat))]
    done = [r for r in runs if r.get("status") == "completed"]
    if not done:
        out = runs[0]
        return {"status": out.get("status"), "seconds": float("nan"), "error": out.get("error")}
    out = min(done, key=lambda r: r["run_s"])
    return {"status": out["status"], "seconds": out["run_s"], "impressions": out["impressions"],
            "sessions": out["sessions"], "overrides": overrides,
            "repeats_s": [r.get("run_s") for r in runs], "time_split": out.get("time_split", {})}


def compare(n_users: int = 1000, n_items: int = 1250, steps: int = 100, slate: int = 10,
            seed: int = 0, runner: Runner = None, repeat: int = 1) -> dict[str, Any]:
    """Both simulations on the same work, and the ratio of their simulation times.

    Args:
        n_users: Users (T-RECS: one interaction each per step).
        n_items: Items.
        steps: T-RECS steps = loopsim days.
        slate: Items shown per interaction / session.
        seed: Seed of both.
        runner: ``loopsim.experiments.bench.cli.run_worker``, to run each side in a fresh
            interpreter
            with the same environment (BLAS threads); ``None`` runs both in this one.
        repeat: Runs of the loopsim side (fastest kept); T-RECS runs once.

    Returns:
        ``{"trecs": {...}, "loopsim": {...}, "speedup": trecs_s / loopsim_s}`` (no
        speed-up when T-RECS is not installed).
    """
    loopsim = run_loopsim(n_users, n_items, steps, slate, seed, runner, repeat)
    args = {"n_users": n_users, "n_items": n_items, "steps": steps, "slate": slate, "seed": seed}
    trecs = _trecs_in_a_fresh_interpreter(args) if runner else run_trecs(**args)
    out: dict[str, Any] = {"work": {"users": n_users, "items": n_items, "steps": steps,
                                    "slate": slate}, "trecs": trecs, "loopsim": loopsim}
    if trecs["status"] == "completed" and loopsim["seconds"] > 0:
        out["speedup"] = trecs["seconds"] / loopsim["seconds"]
    return out


def _trecs_in_a_fresh_interpreter(args: dict[str, Any]) -> dict[str, Any]:
    """:func:`run_trecs` in its own process (its shims never touch this one)."""
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker",
                           json.dumps(args)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"status": "crashed", "reason": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


#: Target of loopsim's speed-up over T-RECS on the same work.
TARGET_PEER = 200.0


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """``python -m benchmarks.trecs_peer [--steps N] [--repeat R] [--out peer.json]``."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.trecs_peer",
                                description="loopsim against T-RECS on the same work")
    p.add_argument("--steps", type=int, default=100, help="T-RECS steps = loopsim days")
    p.add_argument("--repeat", type=int, default=1, help="loopsim runs (fastest kept)")
    p.add_argument("--out", default="peer.json", help="JSON output file")
    p.add_argument("--worker", help=argparse.SUPPRESS)  # internal: one T-RECS run
    args = p.parse_args(argv)
    if args.worker:
        out = run_trecs(**json.loads(args.worker))
        print(json.dumps(out))
        return out
    peer = compare(steps=args.steps, runner=run_worker, repeat=args.repeat)
    lo, tr = peer["loopsim"], peer["trecs"]
    line = f"peer: loopsim {lo['seconds']:.3f} s"
    if tr["status"] == "completed":
        line += f", T-RECS {tr['seconds']:.1f} s, loopsim {peer['speedup']:.0f}x faster"
        peer["target"] = {"ratio": peer["speedup"], "target": TARGET_PEER,
                          "met": peer["speedup"] >= TARGET_PEER}
    else:
        line += f"; T-RECS {tr['status']}: {tr.get('reason')}"
    print(line, flush=True)
    Path(args.out).write_text(json.dumps(peer, indent=2, default=str) + "\n")
    return peer


__all__ = ["compare", "main", "run_loopsim", "run_trecs"]


if __name__ == "__main__":
    main()
