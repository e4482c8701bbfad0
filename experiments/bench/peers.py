"""Measured processes that are not one loopsim run: the T-RECS peer and the real main job.

The T-RECS side is benchmark code outside the package (``benchmarks/trecs_peer.py``, with
its shims for T-RECS 0.2.1): it runs in its own interpreter from the checkout that holds
it, never inside loopsim's import path. From an installed wheel (no checkout), or without
T-RECS installed, it is skipped with the reason, and the loopsim side is reported alone.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: Runs ``benchmarks.trecs_peer.run_trecs`` with T-RECS imported before the clock starts,
#: and prints its result with the CPU seconds of the run.
_TRECS_CHILD = """
import json, sys, time
from benchmarks import trecs_peer
args = json.loads(sys.argv[1])
shims = getattr(trecs_peer, "_install_shims", None)
if shims is not None:
    shims()
try:
    import trecs.models  # noqa: F401  (imported before the clock starts)
except ImportError:
    pass
start = time.process_time()
out = trecs_peer.run_trecs(**args)
out.setdefault("cpu_s", time.process_time() - start)
out["steps"] = args["steps"]
print(json.dumps(out, default=str))
"""


def checkout_root() -> Path | None:
    """The checkout holding ``benchmarks/trecs_peer.py`` (``None`` from a wheel)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "benchmarks" / "trecs_peer.py").is_file():
            return parent
    cwd = Path.cwd()
    return cwd if (cwd / "benchmarks" / "trecs_peer.py").is_file() else None


def run_trecs(args: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """T-RECS's PopularityRecommender on ``args`` in a fresh interpreter, or why not."""
    root = checkout_root()
    if root is None:
        return {"status": "skipped", "reason": "the T-RECS peer is benchmark code of a "
                "checkout (benchmarks/trecs_peer.py), not in the installed package"}
    path = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryDirectory(prefix="loopsim-bench-trecs-") as scratch:
        # T-RECS writes a trecs.log into the working directory as soon as it is imported
        proc = subprocess.run([sys.executable, "-c", _TRECS_CHILD, json.dumps(args)],
                              cwd=scratch, env={**env, "PYTHONPATH": path},
                              capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"status": "crashed", "error": proc.stderr.strip().splitlines()[-1:]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if out.get("status") != "completed":
        out["status"] = "skipped"
        out["reason"] = out.get("reason") or (
            "T-RECS is not installed: pip install \"loopsim[bench]\" then "
            "pip install --no-deps trecs==0.2.1 (docs/performance.md)")
    return out


def loopsim_command() -> list[str]:
    """The ``loopsim`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("loopsim")
    if script.is_file():
        return [str(script)]
    found = shutil.which("loopsim")
    return [found] if found else [sys.executable, "-c",
                                  "from loopsim.experiments.cli.run import cli; cli()"]


def run_mainjob(overrides: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``loopsim -m <overrides>`` into a scratch folder: wall seconds and its CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="loopsim-bench-mainjob-") as scratch:
        command = [*loopsim_command(), "-m", *overrides, f"hydra.sweep.dir={scratch}/sweep",
                   "progress=false"]
        start = time.perf_counter()
        proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                              cwd=scratch)
        seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        return {"status": "crashed", "error": proc.stderr.strip().splitlines()[-1:]}
    return {"status": "completed", "seconds": seconds, "wall_s": seconds, "cpu_s": cpu,
            "command": " ".join(["loopsim", "-m", *overrides])}


def worker_env(blas_threads: int | None) -> dict[str, str]:
    """This environment, with ``blas_threads`` BLAS threads when given."""
    env = dict(os.environ)
    if blas_threads is not None:
        env.update(dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                  "MKL_NUM_THREADS"), str(blas_threads)))
    return env


__all__ = ["checkout_root", "loopsim_command", "run_mainjob", "run_trecs", "worker_env"]
