"""The loopsim command: config composition, outputs, determinism, and the loop itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.cli.runner import run_config
from omegaconf import DictConfig

ROOT = Path(__file__).resolve().parents[3]
SMALL = ["world.n_users=300", "world.n_items=80", "horizon=5", "progress=false"]


def config(overrides: list[str]) -> DictConfig:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(config_name="config", overrides=overrides)


def run(tmp_path: Path, overrides: list[str], name: str = "run") -> Path:
    cfg = config(overrides)
    out = tmp_path / name
    run_config(cfg, out, "ctr")
    return out


def test_outputs_are_written_with_labels(tmp_path: Path) -> None:
    out = run(tmp_path, [*SMALL, "policy=ctr", "seed=3"])
    assert sorted(p.name for p in out.iterdir()) == ["items.parquet", "metrics.parquet",
                                                     "summary.json"]
    metrics = pl.read_parquet(out / "metrics.parquet")
    assert metrics.columns == ["run_id", "policy", "seed", "t", "slice", "metric", "value"]
    assert set(metrics["policy"]) == {"ctr"} and set(metrics["seed"]) == {3}
    items = pl.read_parquet(out / "items.parquet")
    assert {"item", "true_value", "exposure", "clicks", "policy_score"} <= set(items.columns)
    assert items["exposure"].sum() == json.loads((out / "summary.json").read_text())["impressions"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["seed"] == 3
    assert summary["impressions_per_second"] > 0 and "numpy" in summary["versions"]
    assert summary["final_metrics"]["gini_exposure"] is not None
    assert summary["config"]["policy"]["estimator"]["_target_"] == \
        "loopsim.policies.estimators.BetaCTR"


def test_same_config_and_seed_give_identical_metrics(tmp_path: Path) -> None:
    a = pl.read_parquet(run(tmp_path, [*SMALL, "seed=1"], "a") / "metrics.parquet")
    b = pl.read_parquet(run(tmp_path, [*SMALL, "seed=1"], "b") / "metrics.parquet")
    assert a.drop("run_id").equals(b.drop("run_id"))


def test_cli_runs_and_prints_a_headline(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", *SMALL, "policy=random",
         f"hydra.run.dir={tmp_path / 'cli'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "random seed=0: gini_exposure=" in proc.stdout
    assert (tmp_path / "cli" / "metrics.parquet").exists()


def test_cli_config_error_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", *SMALL, "slate_size=500",
         f"hydra.run.dir={tmp_path / 'bad'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "configuration error: `slate_size == 500`" in proc.stderr


def _final(out: Path, metric: str) -> float:
    m = pl.read_parquet(out / "metrics.parquet")
    rows = m.filter(pl.col("metric") == metric).sort("t")
    return float(rows["value"][-1])


def _series(out: Path, metric: str) -> np.ndarray:
    m = pl.read_parquet(out / "metrics.parquet")
    return m.filter(pl.col("metric") == metric).sort("t")["value"].to_numpy()


def test_the_degenerate_loop_forms_on_the_default_world(tmp_path: Path) -> None:
    """Default world, 30 days: popularity concentrates exposure and loses the true order."""
    base = ["horizon=30", "progress=false"]
    outs = {p: run(tmp_path, [*base, f"policy={p}"], p) for p in ("popularity", "random", "oracle")}
    gini = _series(outs["popularity"], "gini_exposure")
    assert gini[-1] > gini[0]                     # concentration rises over the run
    assert gini[-1] > _final(outs["random"], "gini_exposure") + 0.5
    clicks = {p: _final(o, "expected_clicks_window") for p, o in outs.items()}
    assert clicks["oracle"] > clicks["popularity"] and clicks["oracle"] > clicks["random"]
    assert _final(outs["popularity"], "tau_popularity") < _final(outs["oracle"], "tau_popularity")
