"""End to end: a tiny multirun ends with a comparison; launchers agree; presets compose."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR

ROOT = Path(__file__).resolve().parents[3]
TINY = ["horizon=3", "world.n_users=100", "world.n_items=60", "quality_sessions_per_day=50",
        "world.seed=0", "progress=false"]


def sweep(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m loopsim.experiments.cli.run -m ...`` with its sweep folder in ``out``."""
    cmd = [sys.executable, "-m", "loopsim.experiments.cli.run", "-m", *TINY, *args,
           f"hydra.sweep.dir={out}"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_a_tiny_multirun_ends_with_a_comparison(tmp_path: Path):
    out = tmp_path / "sweep"
    done = sweep(out, "policy=popularity,random", "seed=0,1")
    assert "Comparison of 4 runs" in done.stdout
    for name in ("summary.csv", "summary.md", "runs.csv", "tradeoff.png", "lorenz.svg"):
        assert (out / name).is_file(), name
    summary = pl.read_csv(out / "summary.csv")
    assert summary["group"].to_list() == ["popularity", "random"]
    for row in summary.iter_rows(named=True):
        finals = [json.loads((out / str(i) / "summary.json").read_text())
                  for i in range(4)]
        gini = [f["final_metrics"]["gini_exposure"] for f in finals
                if f["policy"] == row["group"]]
        assert row["runs"] == 2
        assert row["gini_exposure_mean"] == pytest.approx(sum(gini) / 2)
        assert row["unpredictability"] is not None  # world.seed is fixed


def _metrics(out: Path) -> pl.DataFrame:
    frames = [pl.read_parquet(p).drop("run_id") for p in sorted(out.glob("*/metrics.parquet"))]
    return pl.concat(frames).sort("policy", "seed", "t", "metric")


@pytest.mark.slow
def test_launchers_give_the_same_metrics(tmp_path: Path):
    args = ("policy=popularity,ctr", "seed=0,1", "hydra.callbacks.compare.enabled=false")
    results = {}
    for launcher in ("basic", "loopsim", "joblib", "submitit_local"):
        out = tmp_path / launcher
        sweep(out, *args, f"hydra/launcher={launcher}")
        results[launcher] = _metrics(out)
        assert results[launcher]["seed"].n_unique() == 2
    assert results["basic"].height > 0
    assert results["basic"].equals(results["loopsim"])
    assert results["basic"].equals(results["joblib"])
    assert results["basic"].equals(results["submitit_local"])


#: Presets whose world follows the seed (intervals over worlds) rather than one fixed world.
WORLD_PER_SEED = {"mitigation", "misspecification"}


@pytest.mark.parametrize("name", ["mitigation", "degenerate_loop", "feedback_delay",
                                  "prior_sensitivity", "misspecification"])
def test_presets_compose_as_sweeps_of_existing_policies(name):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[f"experiment={name}"], return_hydra_config=True)
    assert str(cfg.hydra.mode) == "RunMode.MULTIRUN"
    params = cfg.hydra.sweeper.params
    assert "seed" in params
    assert (cfg.world.seed is None) == (name in WORLD_PER_SEED)
    policies = str(params.get("policy", cfg.hydra.runtime.choices.get("policy", ""))).split(",")
    known = {p.stem for p in Path(CONF_DIR, "policy").glob("*.yaml")}
    assert set(policies) <= known, f"{name} lists unknown policies {set(policies) - known}"


def test_prior_sensitivity_sweeps_prior_mean_and_strength_of_each_job():
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["experiment=prior_sensitivity"],
                      return_hydra_config=True)
        params = cfg.hydra.sweeper.params
        assert str(params["policy.estimator.prior_mean"]).split(",")[0] == "null"
        assert str(params["policy.estimator.prior_strength"]).split(",")[0] == "null"
        assert cfg.cold_start == "none"
        # one job of the sweep composes with the preset's own values
        job = compose("config", overrides=["experiment=prior_sensitivity", "policy=ips",
                                           "policy.estimator.prior_mean=0.05",
                                           "policy.estimator.prior_strength=5"])
    assert job.policy.estimator.prior_mean == 0.05
    assert job.policy.estimator.prior_strength == 5
    assert job.policy.estimator._target_.endswith("InversePropensityCTR")


def test_every_preset_chooses_a_cold_start():
    for path in Path(CONF_DIR, "experiment").glob("*.yaml"):
        assert "\ncold_start:" in "\n" + path.read_text(), f"{path.name} sets no cold_start"


def test_mitigation_preset_covers_every_family():
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["experiment=mitigation"], return_hydra_config=True)
    policies = set(str(cfg.hydra.sweeper.params.policy).split(","))
    assert {"popularity", "ctr", "epsilon_greedy", "rand_topn", "rand_pair", "softmax", "pal",
            "coec", "ips", "thompson", "random", "oracle"} <= policies
    assert str(cfg.hydra.sweeper.params.seed) == "range(5)"


def test_misspecification_crosses_the_true_bias_with_the_debiasers():
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["experiment=misspecification"],
                      return_hydra_config=True)
        biases = str(cfg.hydra.sweeper.params["+true_bias"]).split(",")
        assert {"coec", "ips", "pal", "thompson", "ctr"} <= set(
            str(cfg.hydra.sweeper.params.policy).split(","))
        models = {}
        for bias in biases:
            job = compose("config", overrides=["experiment=misspecification", "policy=coec",
                                               f"+true_bias={bias}"])
            assert job.policy.estimator.propensity == "learned"  # never handed the truth
            models[bias] = (job.click_model._target_.rsplit(".", 1)[-1],
                            job.click_model.get("eta"))
    assert models == {"pbm_0.5": ("PositionBasedModel", 0.5), "pbm_1": ("PositionBasedModel", 1),
                      "pbm_2": ("PositionBasedModel", 2), "cascade": ("CascadeModel", None)}


def test_mitigation_pairs_policies_by_seed_over_several_worlds(tmp_path: Path):
    """Common random numbers: at one seed every policy meets the same world and the same
    sessions; another seed is another world."""
    from loopsim.experiments.cli.runner import run_config

    def run(policy: str, seed: int) -> tuple[pl.DataFrame, dict]:
        with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
            cfg = compose("config", overrides=["experiment=mitigation", f"policy={policy}",
                                               f"seed={seed}", "horizon=1", "progress=false",
                                               "world.n_users=200", "world.n_items=80"])
        out = tmp_path / f"{policy}{seed}"
        run_config(cfg, out, policy)
        summary = json.loads((out / "summary.json").read_text())
        return pl.read_parquet(out / "items.parquet"), summary

    (a, sa), (b, sb), (c, _) = run("popularity", 1), run("coec", 1), run("popularity", 2)
    assert a["true_value"].equals(b["true_value"])
    assert a["arrival_time"].equals(b["arrival_time"])
    assert sa["sessions"] == sb["sessions"] and sa["organic_sessions"] == sb["organic_sessions"]
    assert not a["true_value"].equals(c["true_value"])


def test_slurm_launcher_preset_composes_on_submitit():
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["experiment=mitigation", "hydra/launcher=slurm",
                                           "hydra.launcher.partition=cpu"],
                      return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert launcher.partition == "cpu" and launcher.cpus_per_task == 1
