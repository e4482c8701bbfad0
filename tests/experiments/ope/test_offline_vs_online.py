"""experiment=offline_vs_online: the preset composes; the analysis on a tiny sweep."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.ope.log import open_run
from loopsim.experiments.ope.offline_vs_online import analyse, summarize, write_report
from loopsim.experiments.ope.truth_reader import Truth
from loopsim.simulator.errors import DataError

from tests.experiments.ope.conftest import logged_run


def test_preset_sweeps_exploring_loggers() -> None:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["experiment=offline_vs_online",
                                           "+ope_logging=softmax_0.05"], return_hydra_config=True)
    assert cfg.policy.selector._target_.endswith("SoftmaxSelector")
    assert cfg.policy.selector.temperature == 0.05
    assert cfg.log.impressions is True and cfg.label == "softmax_0.05"
    params = cfg.hydra.sweeper.params
    assert "eps_0.05" in params["+ope_logging"] and "rand_topn" in params["+ope_logging"]
    assert list(cfg.hydra.callbacks.offline_vs_online.targets) == [
        "popularity", "ctr", "coec", "pal", "oracle"]


def test_analysis_of_a_tiny_sweep(tmp_path: Path) -> None:
    for i, ov in enumerate([["+ope_logging=eps_0.5"], ["+ope_logging=softmax_0.1"]]):
        logged_run(tmp_path / str(i), [*ov, "world.seed=0"])
    frame = analyse(tmp_path, ["ctr", "oracle"], train_until=2.0)
    assert set(frame["logging"]) == {"eps_0.5", "softmax_0.1"}
    assert frame.height == 2 * 2 * 4  # logs x targets x estimators
    oracle = frame.filter(pl.col("target") == "oracle")
    # the oracle does not learn: frozen and deployed are the same slates on the same sessions
    assert (oracle["true_value"] - oracle["online_value"]).abs().max() < 1e-12
    tables = summarize(frame)
    assert set(tables) == {"estimators", "by_logging", "ranking", "ranking_by_logging", "gap"}
    assert "## gap" in write_report(tmp_path, frame) and (tmp_path / "ope_runs.csv").is_file()


def test_concordance_and_bias_by_hand() -> None:
    frame = pl.DataFrame({
        "run_dir": ["a"] * 3, "logging": ["l"] * 3, "estimator": ["ips"] * 3,
        "target": ["x", "y", "z"],
        "estimate": [1.0, 2.0, 3.0], "true_value": [1.5, 2.0, 2.5], "online_value": [3.0, 2.0, 1.0],
        "error": [-0.5, 0.0, 0.5], "covered": [True, True, False]})
    t = summarize(frame)
    assert t["ranking"]["pairs_vs_online"][0] == 0.0 and t["ranking"]["pairs_vs_frozen"][0] == 1.0
    assert t["estimators"]["bias"][0] == pytest.approx(0.0)
    assert t["estimators"]["rmse"][0] == pytest.approx((0.5 / 3) ** 0.5)
    assert t["gap"].filter(pl.col("target") == "x")["gap"][0] == pytest.approx(-1.5)


def test_truth_of_a_drifting_world_is_refused(tmp_path: Path) -> None:
    run = logged_run(tmp_path / "drift", ["policy=random", "world.drift=0.2"])
    with pytest.raises(DataError, match=r"truth.json: field `stationary` is false"):
        Truth(open_run(run))
