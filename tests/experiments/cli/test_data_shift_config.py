"""Shift, slices and monitor settings are refused before the run when they are wrong."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.config_checks import validate_config
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.cli.runner import monitor_options, slice_options
from loopsim.simulator.errors import ConfigError
from omegaconf import DictConfig

TINY = ["horizon=20", "world.n_users=50", "world.n_items=30"]


def composed(*overrides: str) -> DictConfig:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(config_name="config", overrides=[*TINY, *overrides])


def test_defaults_and_the_preset_groups_are_valid() -> None:
    validate_config(composed())
    assert slice_options(composed()) is None
    assert not monitor_options(composed()).enabled
    for shift in ("none", "shock", "cohort", "trend", "season"):
        for watch in ("none", "monitor", "guard"):
            validate_config(composed(f"+world/shift={shift}", f"+monitoring={watch}"))
    cfg = composed("+world/shift=shock", "+monitoring=guard", "slices.enabled=true")
    assert cfg.world.shift.shock_time == 15.0 and cfg.monitor.guard_threshold == 0.1
    assert slice_options(cfg).cohorts[0] == "activity"


@pytest.mark.parametrize(("overrides", "message"), [
    (["world.shift.item_drift=shock", "world.shift.shock_time=22"],
     r"^`world.shift.shock_time == 22(\.0)?`: must be in \[0.0, 20.0\]\.$"),
    (["world.shift.cohort_share=0.2", "world.shift.cohort_time=-1"],
     r"^`world.shift.cohort_time == -1(\.0)?`: must be in \[0.0, 20.0\]\.$"),
    (["world.shift.item_drift=shock", "world.shift.shock_time=2", "world.shift.shock_share=2"],
     r"^`world.shift.shock_share == 2(\.0)?`: must be in \[0.0, 1.0\]\.$"),
    (["world.shift.cohort_share=-0.1", "world.shift.cohort_time=2"],
     r"^`world.shift.cohort_share == -0.1`: must be in \[0.0, 1.0\)\.$"),
    (["slices.cohorts=[activity,country]"],
     r"`slices.cohorts` names unknown cohorts \['country'\]: allowed \['activity'"),
    (["monitor.guard_threshold=0.1"],
     r"`monitor.guard_threshold == 0.1` needs the monitor: set monitor.enabled=true"),
    (["monitor.enabled=true", "monitor.interval=30"],
     r"`monitor.interval == 30(\.0)?`: must be in \(0.0, 20.0\]"),
])
def test_bad_settings_name_the_field_and_what_is_allowed(overrides: list[str],
                                                          message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(composed(*overrides))
