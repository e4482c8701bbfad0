"""hydra/launcher=ray on a local Ray cluster gives the joblib sweep's results, bit for bit.

Slow, and skipped unless the ``ray`` extra is installed (pip install "loopsim[ray]"):
Ray takes ~10-40 s to start. Its files go under a temporary folder (``_temp_dir``) and
its token under a temporary ``HOME``, never the user's home.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest

pytest.importorskip("hydra_plugins.hydra_ray_launcher",
                    reason="the ray extra is not installed (pip install 'loopsim[ray]')")

SWEEP = ["policy=ctr,popularity", "seed=0,1", "horizon=2", "world.n_users=100",
         "world.n_items=30", "progress=false", "hydra.callbacks.compare.plots=false"]


def sweep(tmp_path: Path, name: str, launcher: list[str], env: dict[str, str]
          ) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "loopsim.experiments.cli.run", "-m", *launcher, *SWEEP,
           f"hydra.sweep.dir={tmp_path / name}"]
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)


@pytest.mark.slow
def test_a_ray_sweep_matches_joblib(tmp_path: Path):
    # Ray's unix sockets live under _temp_dir: keep its path short (sockets max ~107 chars).
    ray_tmp = tempfile.mkdtemp(prefix="loopsim-ray-", dir="/tmp")
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    env.pop("RAY_DEDUP_LOGS", None)  # the preset alone keeps Ray's dedup notice out
    try:
        ray = sweep(tmp_path, "ray", ["hydra/launcher=ray_quiet",
                                      f"+hydra.launcher.ray.init._temp_dir={ray_tmp}",
                                      "+hydra.launcher.ray.init.num_cpus=2"], env)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert ray.returncode == 0, ray.stderr[-3000:]
    assert "_run_job pid=" not in ray.stdout + ray.stderr  # as plain as joblib's output
    assert "repeated" not in ray.stderr and "RAY_DEDUP_LOGS" not in ray.stderr
    # stderr holds the sweep's line, one line per run, and at most Ray's one notice that
    # a new local cluster has token authentication on (RAY_AUTH_MODE=token silences it)
    other = [x for x in ray.stderr.splitlines() if x.strip()
             and not re.match(r"(sweep: |\[\d/4\] )", x) and "Token authentication" not in x]
    assert not other, ray.stderr[-3000:]
    assert "sweep: 4/4 runs done, 0 failed" in ray.stderr
    assert "Comparison of 4 runs" in ray.stdout
    joblib = sweep(tmp_path, "joblib", ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
                   env)
    assert joblib.returncode == 0, joblib.stderr[-3000:]
    for job in range(4):
        a = pl.read_parquet(tmp_path / "ray" / str(job) / "metrics.parquet")
        b = pl.read_parquet(tmp_path / "joblib" / str(job) / "metrics.parquet")
        assert a.drop("run_id").equals(b.drop("run_id")), job
    ray_table = (tmp_path / "ray" / "summary.csv").read_text()
    joblib_table = (tmp_path / "joblib" / "summary.csv").read_text().replace(
        str(tmp_path / "joblib"), str(tmp_path / "ray"))
    # The runs are bit-identical (above); the table's aggregates may differ in the last
    # bit (the order of a sum): numbers within 1e-12, everything else exactly.
    ray_rows, joblib_rows = ray_table.splitlines(), joblib_table.splitlines()
    assert len(ray_rows) == len(joblib_rows)
    for ray_row, joblib_row in zip(ray_rows, joblib_rows, strict=True):
        for a, b in zip(ray_row.split(","), joblib_row.split(","), strict=True):
            try:
                x, y = float(a), float(b)
            except ValueError:
                assert a == b
            else:
                assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-15) or (
                    math.isnan(x) and math.isnan(y)), (a, b)
    assert not list((tmp_path / "home").glob("ray_results"))
