"""tracking=mlflow against a real local MLflow store (SQLite), and a tracker that fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

mlflow = pytest.importorskip("mlflow", reason="MLflow is not installed "
                             "(pip install 'loopsim[tracking]')")
pytest.importorskip("sqlalchemy", reason="the SQLite store needs sqlalchemy")

from loopsim.experiments.tracking.mlflow_log import flatten, metric_steps  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

SMALL = ["horizon=2", "world.n_users=100", "world.n_items=30", "slate_size=5",
         "progress=false"]


def loopsim(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [a for a in args if a.startswith("-")]
    overrides = [a for a in args if not a.startswith("-")]
    return subprocess.run([sys.executable, "-m", "loopsim.experiments.cli.run", *flags, *SMALL,
                           *overrides],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)


def test_steps_are_snapshot_indices():
    t = pl.Series("t", [0.5, 1.0, 1.5, 2.0, 2.25])
    assert metric_steps(t, 0.5).to_list() == [1, 2, 3, 4, 5]
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": None}) == {"a.b": "1", "a.c": "[1, 2]",
                                                                 "d": "None"}


@pytest.mark.slow  # ~70 s on a busy 2-core machine: each job creates or opens the store
def test_a_sweep_lands_in_a_sqlite_store(tmp_path: Path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    # two joblib workers open the new store at once: the parent creates it first
    done = loopsim(tmp_path, "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                   "policy=ctr,popularity", "seed=0", "tracking=mlflow",
                   f"tracking.uri={uri}", "tracking.experiment=sweeps",
                   f"hydra.sweep.dir={tmp_path / 'sweep'}",
                   "hydra.callbacks.compare.plots=false")
    assert done.returncode == 0, done.stderr
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("sweeps")
    runs = client.search_runs([experiment.experiment_id])
    jobs = [r for r in runs if r.data.tags.get("loopsim.kind") != "sweep"]
    sweeps = [r for r in runs if r.data.tags.get("loopsim.kind") == "sweep"]
    assert len(jobs) == 2 and len(sweeps) == 1
    assert {r.data.tags["loopsim.policy"] for r in jobs} == {"ctr", "popularity"}
    for run in jobs:
        assert run.info.status == "FINISHED"
        assert run.data.tags["mlflow.parentRunId"] == sweeps[0].info.run_id
        assert run.data.params["world.n_users"] == "100"
        assert run.data.params["tracking.backend"] == "mlflow"
        history = client.get_metric_history(run.info.run_id, "gini_exposure")
        assert [m.step for m in history] == [1, 2]  # snapshots at t = 1, 2 (interval 1)
        times = client.get_metric_history(run.info.run_id, "t")
        assert sorted((m.step, m.value) for m in times) == [(1, 1.0), (2, 2.0)]
        run_dir = Path(run.data.tags["loopsim.run_dir"])
        frame = pl.read_parquet(run_dir / "metrics.parquet").filter(
            (pl.col("metric") == "gini_exposure") & (pl.col("slice") == "all"))
        assert [m.value for m in history] == pytest.approx(frame["value"].to_list())
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["tracking"]["run_id"] == run.info.run_id
        assert run.data.metrics["summary.impressions"] == summary["impressions"]
        files = {f.path for f in client.list_artifacts(run.info.run_id)}
        assert "summary.json" in files
    sweep_files = {f.path for f in client.list_artifacts(sweeps[0].info.run_id)}
    assert {"summary.csv", "summary.md"} <= sweep_files
    if (tmp_path / "sweep" / "report.html").is_file():
        assert "report.html" in sweep_files


@pytest.mark.slow  # ~60 s: three runs, each logged by its own MLflow process
def test_a_sweep_on_the_basic_launcher_logs_every_run(tmp_path: Path):
    """Reproduction: the second job of a tracked sweep hung for good, forked from a
    process in which the first job's logging had started polars' and MLflow's threads."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", "-m", *SMALL, "policy=ctr",
         "seed=0,1,2", "tracking=mlflow", f"tracking.uri={uri}",
         f"hydra.sweep.dir={tmp_path / 'sweep'}", "hydra.callbacks.compare.plots=false"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("loopsim")
    runs = client.search_runs([experiment.experiment_id])
    assert sum(r.data.tags.get("loopsim.kind") != "sweep" for r in runs) == 3
    for job in ("0", "1", "2"):
        summary = json.loads((tmp_path / "sweep" / job / "summary.json").read_text())
        assert summary["status"] == "completed" and "run_id" in summary["tracking"]


@pytest.mark.slow  # ~30 s: one run plus MLflow's import
def test_a_failing_tracker_keeps_the_runs_outputs(tmp_path: Path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the store's folder should be\n")
    uri = f"sqlite:///{blocker / 'mlflow.db'}"
    done = loopsim(tmp_path, "tracking=mlflow", f"tracking.uri={uri}",
                   f"hydra.run.dir={tmp_path / 'run'}")
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert (tmp_path / "run" / "metrics.parquet").is_file()
    assert "not logged" in summary["tracking"]["error"]
    assert any("tracking" in w for w in summary["warnings"])


def test_an_unknown_backend_is_refused_before_the_run(tmp_path: Path):
    done = loopsim(tmp_path, "tracking.backend=wandb", f"hydra.run.dir={tmp_path / 'run'}")
    assert done.returncode == 2
    assert "tracking.backend" in done.stderr
