"""Faults lose nothing: failed runs keep their outputs, sweeps go on, resume skips done runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from loopsim.experiments.runs.faults import failed_runs, is_complete, read_summary, record_failure
from loopsim.simulator.io.results import versions, write_summary
from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parents[3]
TINY = ["horizon=3", "world.n_users=50", "world.n_items=30", "retrain_interval=0.5"]

CRASH_POLICY = '''
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import ClickCount
from loopsim.policies.selectors import Greedy


class CrashAt(ComposedPolicy):
    """Popularity that raises in rank() from day `at` on."""

    def __init__(self, at: float) -> None:
        super().__init__(ClickCount(), Greedy())
        self.at = at

    def rank(self, request):
        if request.t >= self.at:
            raise RuntimeError("my model ran out of ideas")
        return super().rank(request)
'''


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    """A user's folder: a crashing policy module and its config in a search path."""
    (tmp_path / "crash_policy.py").write_text(CRASH_POLICY)
    (tmp_path / "conf" / "policy").mkdir(parents=True)
    (tmp_path / "conf" / "policy" / "crash.yaml").write_text(
        "_target_: crash_policy.CrashAt\nat: 1.5\n")
    return tmp_path


def loopsim(user_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{user_dir}{os.pathsep}{ROOT}"}
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", *[a for a in args if a == "-m"],
         *TINY,
         f"hydra.searchpath=[file://{user_dir}/conf]", *[a for a in args if a != "-m"]],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def test_single_run_failure_keeps_metrics_and_exits_1(user_dir: Path) -> None:
    run = user_dir / "run"
    proc = loopsim(user_dir, "policy=crash", f"hydra.run.dir={run}")
    assert proc.returncode == 1, proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith("loopsim: run failed: crash seed=0: Policy crash raised "
                            "RuntimeError in rank() at t=1.5")
    assert "Traceback" not in proc.stderr
    summary = read_summary(run)
    assert summary is not None and summary["status"] == "failed"
    assert summary["error"]["t"] == pytest.approx(1.5)
    assert pl.read_parquet(run / "metrics.parquet")["t"].unique().to_list() == [1.0]
    assert "my model ran out of ideas" in (run / "error.txt").read_text()


def test_sweep_goes_on_lists_the_failure_and_resumes(user_dir: Path) -> None:
    sweep = user_dir / "sweep"
    args = ("-m", "policy=popularity,crash", f"hydra.sweep.dir={sweep}")
    proc = loopsim(user_dir, *args)
    assert proc.returncode == 1, proc.stderr
    ok, bad = read_summary(sweep / "0"), read_summary(sweep / "1")
    assert ok is not None and ok["status"] == "completed"
    assert bad is not None and bad["status"] == "failed"
    assert "loopsim: 1 run(s) of the sweep failed" in proc.stderr
    assert f"{sweep / '1'}: PolicyRuntimeError: Policy crash raised RuntimeError" in proc.stderr

    done = (sweep / "0" / "summary.json").stat().st_mtime_ns
    again = loopsim(user_dir, *args, "resume=true")
    assert again.returncode == 1
    assert "popularity seed=0: already complete" in again.stdout
    assert (sweep / "0" / "summary.json").stat().st_mtime_ns == done  # skipped
    assert "Policy crash raised RuntimeError" in again.stderr  # the failed run ran again
    # The sweep's line counts the skipped run as done; the rerun fails again.
    assert "1 of 2 runs already complete, skipped (resume=true)" in again.stderr
    assert "sweep: 2/2 runs done (1 already complete), 1 failed" in again.stderr


def test_config_error_in_a_sweep_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    proc = loopsim(tmp_path, "-m", "slate_size=5,40", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 1
    assert read_summary(sweep / "0")["status"] == "completed"  # type: ignore[index]
    bad = read_summary(sweep / "1")
    assert bad is not None and bad["status"] == "failed"
    assert bad["error"]["type"] == "ConfigError"
    assert "`slate_size == 40` is larger than the catalogue" in proc.stderr


# -- the pieces, without a subprocess ---------------------------------------------------


def test_is_complete_needs_a_completed_run_of_the_same_config(tmp_path: Path) -> None:
    cfg = OmegaConf.create({"seed": 1, "horizon": 2.0, "resume": True})
    assert not is_complete(tmp_path, cfg)
    summary = {"status": "completed", "config": {"seed": 1, "horizon": 2.0, "resume": False},
               "versions": versions()}
    write_summary(tmp_path, summary)
    assert not is_complete(tmp_path, cfg)  # parquet files missing
    for name in ("metrics.parquet", "items.parquet"):
        pl.DataFrame({"x": [1.0]}).write_parquet(tmp_path / name)
    summary = write_summary(tmp_path, summary)
    assert is_complete(tmp_path, cfg)
    assert not is_complete(tmp_path, OmegaConf.create({"seed": 2, "horizon": 2.0}))
    (tmp_path / "summary.json").write_text(json.dumps({**summary, "status": "failed"}))
    assert not is_complete(tmp_path, cfg)
    (tmp_path / "summary.json").write_text("{truncated")
    assert not is_complete(tmp_path, cfg)


def test_record_failure_keeps_an_existing_summary(tmp_path: Path) -> None:
    cfg = OmegaConf.create({"seed": 4})
    try:
        raise ValueError("bad thing")
    except ValueError as exc:
        record_failure(tmp_path / "a", cfg, "mine", exc)
    summary = read_summary(tmp_path / "a")
    assert summary is not None
    assert summary["status"] == "failed" and summary["policy"] == "mine"
    assert summary["error"] == {"type": "ValueError", "message": "bad thing", "t": None}
    assert "raise ValueError" in (tmp_path / "a" / "error.txt").read_text()

    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "summary.json").write_text(json.dumps({"status": "failed", "x": 1}))
    record_failure(tmp_path / "b", cfg, "mine", RuntimeError("later"))
    assert read_summary(tmp_path / "b") == {"status": "failed", "x": 1}
    assert failed_runs(tmp_path) == [tmp_path / "a", tmp_path / "b"]
