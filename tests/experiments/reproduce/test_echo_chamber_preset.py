"""The echo-chamber preset: a sweep of exploration x drift that ends in user-side plots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.compare import plots
from loopsim.experiments.compare.cli import compare, main
from loopsim.simulator.io.results import write_summary

ROOT = Path(__file__).resolve().parents[3]
USER_METRICS = {"drift_distance", "user_entropy_window", "homogenization"}


def test_preset_sweeps_epsilon_by_drift_with_a_personalized_estimator() -> None:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["experiment=echo_chamber"], return_hydra_config=True)
    assert str(cfg.hydra.mode) == "RunMode.MULTIRUN"
    params = cfg.hydra.sweeper.params
    assert set(params) == {"policy.selector.epsilon", "world.drift", "seed"}
    assert len(str(params["policy.selector.epsilon"]).split(",")) >= 3
    assert "0.0" in str(params["world.drift"]).split(",")
    assert cfg.policy.selector._target_ == "loopsim.policies.selectors.EpsilonGreedySelector"
    assert cfg.policy.estimator._target_ == "loopsim.policies.estimators.TrueRelevance"
    assert cfg.world.personalization >= 0.5 and cfg.world.seed is not None
    metrics = list(cfg.hydra.callbacks.compare.metrics)
    assert {"drift_distance", "user_entropy_window"} <= set(metrics)


def test_a_tiny_echo_chamber_sweep_ends_in_user_side_trajectories(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "loopsim.experiments.cli.run", "-m", "experiment=echo_chamber",
           "hydra/launcher=basic", "horizon=4", "snapshot_interval=2", "world.n_users=80",
           "world.n_items=40", "quality_sessions_per_day=20", "progress=false",
           "policy.selector.epsilon=0.0,1.0", "world.drift=0.0,0.1", "seed=0",
           f"hydra.sweep.dir={out}"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Comparison of 4 runs" in done.stdout
    assert (out / "trajectories.png").is_file()
    rows = pl.concat([pl.read_parquet(p) for p in sorted(out.glob("*/metrics.parquet"))])
    assert USER_METRICS <= set(rows["metric"].to_list())
    drift = rows.filter(pl.col("metric") == "drift_distance", pl.col("t") == 4.0)
    assert sorted(drift["value"].to_list())[:2] == [0.0, 0.0]  # the two drift=0 runs
    assert min(sorted(drift["value"].to_list())[2:]) > 0.0


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Capture what compare hands to the figure drawing."""
    seen: dict[str, object] = {}

    def figures(**kwargs: object) -> dict[str, object]:
        seen.update(kwargs)
        return {}

    monkeypatch.setattr(plots, "figures", figures)
    return seen


def _run(path: Path, seed: int) -> None:
    (path / ".hydra").mkdir(parents=True)
    (path / ".hydra" / "overrides.yaml").write_text(f"- policy=oracle\n- seed={seed}\n")
    rows = [(t, m, 0.1 * t) for t in (1.0, 2.0)
            for m in ("gini_exposure", "drift_distance", "user_entropy_window")]
    pl.DataFrame(rows, schema={"t": pl.Float64, "metric": pl.Utf8, "value": pl.Float64},
                 orient="row").select(pl.lit(path.name).alias("run_id"),
                                      pl.lit("oracle").alias("policy"),
                                      pl.lit(seed).alias("seed"), pl.all()
                                      ).write_parquet(path / "metrics.parquet")
    pl.DataFrame({"item": [0, 1], "true_value": [0.1, 0.2], "exposure": [1, 2],
                  "clicks": [0, 1], "policy_score": 0.0, "arrival_time": 0.0,
                  "available": True}).write_parquet(path / "items.parquet")
    # sealed as a real run's: compare counts only runs whose checksums hold
    write_summary(path, {"status": "completed", "policy": "oracle", "seed": seed})


def test_compare_draws_the_trajectories_asked_for(tmp_path: Path, captured) -> None:
    for seed in (0, 1):
        _run(tmp_path / "sweep" / str(seed), seed)
    compare([tmp_path / "sweep"], trajectory_metrics=["user_entropy_window", "drift_distance",
                                                      "not_recorded"])
    traj = captured["trajectories"]
    assert traj["metric"].unique(maintain_order=True).to_list() == [
        "user_entropy_window", "drift_distance"]
    main([str(tmp_path / "sweep"), "--metrics", "drift_distance"])
    assert captured["trajectories"]["metric"].unique().to_list() == ["drift_distance"]
    compare([tmp_path / "sweep"])
    assert captured["trajectories"]["metric"].unique().to_list() == ["gini_exposure"]


def test_jiang_preset_sweeps_exploration_by_a_growing_pool_on_unbounded_interest() -> None:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["experiment=jiang"], return_hydra_config=True)
    assert cfg.world._target_ == "loopsim.simulator.InterestWorld"
    assert cfg.policy.estimator._target_ == "loopsim.policies.estimators.TrueRelevance"
    assert cfg.policy.selector.epsilon == 0.0
    params = cfg.hydra.sweeper.params
    assert set(params) == {"policy.selector.epsilon", "world.item_arrival_rate", "seed"}
    assert {"0.0", "1.0"} <= set(str(params["policy.selector.epsilon"]).split(","))


def test_a_tiny_jiang_run_moves_interest_beyond_the_sphere() -> None:
    from loopsim.experiments.reproduce.studies import final, run_preset

    result = run_preset("jiang", 0, ["horizon=30", "snapshot_interval=10"])
    assert final(result, "drift_distance") > 2.0  # impossible on the unit sphere
