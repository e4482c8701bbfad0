"""The literature presets compose, override only what differs, and run."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.experiments.reproduce.studies import final, preset, run_preset


@pytest.mark.parametrize("name", ["musiclab_independent", "musiclab_social", "chaney"])
def test_preset_sweeps_eight_seeds(name: str) -> None:
    from hydra import compose, initialize_config_dir
    from loopsim.experiments.cli.run import CONF_DIR

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[f"experiment={name}"], return_hydra_config=True)
    assert str(cfg.hydra.mode) == "RunMode.MULTIRUN"
    assert cfg.hydra.sweeper.params.seed == "range(8)"


def test_musiclab_presets_differ_only_in_the_social_signal_and_the_order() -> None:
    indep, social = preset("musiclab_independent"), preset("musiclab_social")
    assert indep.world.seed == social.world.seed is not None  # the same songs
    assert indep.world.social_weight == 0 and social.world.social_weight > 0
    assert indep.policy._target_ == "loopsim.policies.Random"
    assert social.policy.estimator._target_ == "loopsim.policies.estimators.RewardCount"
    assert social.policy.selector._target_ == "loopsim.policies.selectors.Greedy"
    trial_offer = "loopsim.simulator.TrialOfferModel"
    assert indep.click_model._target_ == social.click_model._target_ == trial_offer
    assert indep.slate_size == social.slate_size == 48


def test_musiclab_social_runs_and_reports_download_concentration() -> None:
    result = run_preset("musiclab_social", 0, ["horizon=0.3"])
    downloads = result.items["reward"].to_numpy()
    clicks = result.items["clicks"].to_numpy()
    assert 0 < downloads.sum() < clicks.sum()  # a download needs a listen
    assert np.all(downloads <= clicks)
    assert 0 < final(result, "gini_reward") < 1


def test_chaney_preset_runs_with_startup_and_homogenization() -> None:
    result = run_preset("chaney", 0, ["policy=popularity", "world.n_items=100",
                                      "slate_size=100", "horizon=20", "snapshot_interval=5"])
    h = final(result, "homogenization")
    assert 0 < h <= 1
    # no repeat consumption: a user consumes at most one item per day and each item once
    assert result.items["clicks"].to_numpy().max() <= 100
