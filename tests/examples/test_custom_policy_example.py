"""The tutorial of examples/custom_policy runs end to end, as the README says."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
from loopsim.experiments.runs.faults import read_summary
from loopsim.simulator import check_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "custom_policy"


def test_the_example_policy_passes_check_policy() -> None:
    spec = importlib.util.spec_from_file_location("fading_popularity",
                                                  EXAMPLE / "fading_popularity.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    check_policy(module.FadingPopularity(half_life=2.0))


def test_the_example_runs_in_a_sweep_beside_builtins(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": f"examples/custom_policy{os.pathsep}{ROOT}"}
    proc = subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", "-m",
         "hydra.searchpath=[file://examples/custom_policy/conf]",
         "policy=popularity,fading_popularity", "horizon=3", "world.n_users=60",
         "world.n_items=30", f"hydra.sweep.dir={tmp_path}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    labels = []
    for run in ("0", "1"):
        summary = read_summary(tmp_path / run)
        assert summary is not None and summary["status"] == "completed"
        labels.append(summary["labels"]["policy"])
        metrics = pl.read_parquet(tmp_path / run / "metrics.parquet")
        assert metrics["t"].max() == 3.0
    assert labels == ["popularity", "fading_popularity"]
    scores = pl.read_parquet(tmp_path / "1" / "items.parquet")["policy_score"]
    assert scores.max() > 0  # item_scores was used for the items table


def test_the_example_estimator_runs_under_builtin_selectors(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": f"examples/custom_policy{os.pathsep}{ROOT}"}
    proc = subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", "-m",
         "hydra.searchpath=[file://examples/custom_policy/conf]", "policy=thompson",
         "policy/estimator=ctr,forgetful_ctr", "policy.estimator.prior_strength=10",
         "horizon=3", "world.n_users=60", "world.n_items=30", "hydra/launcher=basic",
         "hydra.callbacks.compare.plots=false", f"hydra.sweep.dir={tmp_path}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    summary = read_summary(tmp_path / "1")
    assert summary is not None and summary["status"] == "completed"
    assert summary["config"]["policy"]["estimator"]["_target_"] == "forgetful_ctr.ForgetfulCTR"
    groups = pl.read_csv(tmp_path / "summary.csv")["group"].to_list()
    assert sorted(groups) == ["thompson estimator=ctr", "thompson estimator=forgetful_ctr"]


def test_the_example_estimator_is_checked_by_its_own_signature(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": f"examples/custom_policy{os.pathsep}{ROOT}"}
    proc = subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run",
         "hydra.searchpath=[file://examples/custom_policy/conf]", "policy=thompson",
         "policy/estimator=forgetful_ctr", "policy.estimator.half_life=0",
         f"hydra.run.dir={tmp_path}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("loopsim: configuration error: "
                                   "`policy.estimator.half_life == 0`: must be > 0.0.")
