"""Unbounded work and meaningless values are refused before the run, naming the field."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.config_checks import validate_config
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.cli.runner import monitor_options, slice_options
from loopsim.simulator.errors import ConfigError
from omegaconf import DictConfig, OmegaConf

TINY = ["horizon=10", "world.n_users=50", "world.n_items=30"]


def composed(*overrides: str) -> DictConfig:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(config_name="config", overrides=[*TINY, *overrides])


@pytest.mark.parametrize(("overrides", "message"), [
    (["world.shift.item_drift=trend", "world.shift.drift_rate=0.1",
      "world.shift.drift_step=1e-9"],
     r"`world.shift.drift_step == 1e-09` with `horizon == 10.0` schedules 1e\+10 steps, more "
     r"than 1,000,000 .*use world.shift.drift_step >= 1e-05"),
    (["monitor.enabled=true", "monitor.interval=1e-9"],
     r"`monitor.interval == 1e-09` with `horizon == 10.0` schedules 1e\+10 steps"),
    (["tick=1e-9"], r"`tick == 1e-09` with `horizon == 10.0` schedules"),
    (["snapshot_interval=1e-9"], r"`snapshot_interval == 1e-09`"),
    (["cold_start=random", "startup_days=10"],
     r"`startup_days == 10.0` is not shorter than `horizon == 10.0`"),
    (["world.shift.cohort_share=1", "world.shift.cohort_time=0"],
     r"`world.shift.cohort_share == 1`: must be in \[0.0, 1.0\)"),
])
def test_schedules_and_meaningless_values_are_refused(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(composed(*overrides))


@pytest.mark.parametrize(("overrides", "field"), [
    (["world.n_users=100000000000"], "world.n_users"),
    (["world.n_items=100000000000"], "world.n_items"),
    (["world.n_factors=10000000000"], "world.n_factors"),
    (["world.sessions_per_user_per_day=1e12"], "world.sessions_per_user_per_day"),
    (["world.organic=1e9", "world.n_items=100000", "world.n_users=100000"], "world.organic"),
    (["world.item_arrival_rate=1e12"], "world.item_arrival_rate"),
])
def test_sizes_beyond_memory_are_refused_naming_the_field(overrides: list[str],
                                                          field: str) -> None:
    with pytest.raises(ConfigError, match=r"of memory is available") as err:
        validate_config(composed(*overrides))
    assert f"`{field} == " in str(err.value)


def test_unknown_monitor_and_slices_keys_are_config_errors() -> None:
    bad = OmegaConf.create({"monitor": {"enabled": True, "intervall": 2.0}})
    with pytest.raises(ConfigError, match=r"`monitor` has unknown keys \['intervall'\]"):
        monitor_options(bad)
    bad = OmegaConf.create({"slices": {"enabled": True, "cohort": ["activity"]}})
    with pytest.raises(ConfigError, match=r"`slices` has unknown keys \['cohort'\]"):
        slice_options(bad)


@pytest.mark.parametrize(("override", "message"), [
    ("policy.ranker_train_until=-1", r"^`policy.ranker_train_until == -1`: must be >= 0.0\.$"),
    ("policy.retrieval_retrain_interval=nan",
     r"^`policy.retrieval_retrain_interval == nan`: must be a finite number > 0.0\.$"),
    ("policy.retrieval.n=-5", r"^`policy.retrieval.n == -5`: must be >= 1\.$"),
    ("policy.recall_sample=-2", r"^`policy.recall_sample == -2`: must be >= 0\.$"),
])
def test_negative_or_nan_pipeline_days_and_counts_are_refused(override: str,
                                                              message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(composed("policy=pipeline_mf", override))
