"""Bad overrides fail before the run, naming the field, the value and what is allowed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from loopsim.experiments.run import CONF_DIR
from loopsim.experiments.validate import validate_config
from loopsim.simulator.errors import ConfigError
from omegaconf import DictConfig

ROOT = Path(__file__).resolve().parents[2]
TINY = ["horizon=2", "world.n_users=50", "world.n_items=30"]


def composed(*overrides: str) -> DictConfig:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(config_name="config", overrides=[*TINY, *overrides])


def test_the_default_config_is_valid() -> None:
    validate_config(composed())
    validate_config(composed("click_model=cascade", "policy=ctr", "world.item_lifetime=5"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["slate_size=0"], r"^`slate_size == 0`: must be >= 1\.$"),
        (["slate_size=40"], r"`slate_size == 40` is larger than the catalogue "
                            r"\(`world.n_items == 30`\): use slate_size <= world.n_items"),
        (["tick=-1"], r"^`tick == -1.0`: must be >= 0.0\.$"),
        (["horizon=0"], r"^`horizon == 0.0`: must be > 0.0\.$"),
        (["snapshot_interval=5"], r"snapshot_interval == 5.0` is longer than `horizon == 2.0`"),
        (["seed=-3"], r"^`seed == -3`: must be >= 0\.$"),
        (["world.personalization=1.5"],
         r"^`world.personalization == 1.5`: must be in \[0.0, 1.0\]"),
        (["world.n_users=0"], r"^`world.n_users == 0`: must be >= 1\.$"),
        (["world.item_lifetime=0"], r"^`world.item_lifetime == 0.0`: must be > 0.0\.$"),
        (["world.seed=-1"], r"^`world.seed == -1`: must be >= 0\.$"),
        (["click_model.eta=-1"], r"^`click_model.eta == -1.0`: must be >= 0.0\.$"),
        (["click_model=cascade", "click_model.continue_after_click=2"],
         r"`click_model.continue_after_click == 2.0`: must be in \[0.0, 1.0\]"),
        (["click_model.examination=[1,0.5]"],
         r"`click_model.examination` has 2 values but `slate_size == 10`"),
        (["slate_size=2", "click_model.examination=[1,1.5]"],
         r"`click_model.examination\[1\] \(rank 2\) == 1.5`: must be in \[0.0, 1.0\]"),
        (["policy=ctr", "policy.prior_mean=abc"],
         r"^`policy.prior_mean == 'abc'`: must be a finite number in \(0.0, 1.0\)\.$"),
        (["policy=ctr", "policy.prior_strength=0"], r"`policy.prior_strength == 0`: must be > 0"),
        (["+policy.epsilon=1.2"], r"`policy.epsilon == 1.2`: must be in \[0.0, 1.0\]"),
        (["+policy.n=0"], r"`policy.n == 0`: must be >= 1"),
    ],
)
def test_bad_value_names_field_value_and_allowed(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(composed(*overrides))


def test_a_users_own_world_class_is_not_range_checked() -> None:
    validate_config(composed("world._target_=my.World", "world.personalization=7"))


@pytest.mark.parametrize(
    ("override", "key", "error"),
    [("tick=abc", "tick", "could not be converted to Float"),
     ("world.n_items=many", "world.n_items", "could not be converted to Integer"),
     ("world.n_user=5", "world.n_user", "Key 'n_user' not in 'SyntheticWorldSchema'")],
)
def test_wrong_types_and_unknown_keys_fail_at_composition(
    override: str, key: str, error: str
) -> None:
    with pytest.raises(Exception) as info:  # noqa: PT011 (Hydra's own exception types)
        composed(override)
    message = f"{info.value}\n{info.value.__cause__}"
    assert error in message
    assert f"full_key: {key}" in message


def run_loopsim(*overrides: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.run", *TINY, f"hydra.run.dir={tmp_path}/run",
         *overrides],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def test_command_exits_2_with_one_line_and_no_run(tmp_path: Path) -> None:
    proc = run_loopsim("world.personalization=1.5", tmp_path=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "loopsim: configuration error: `world.personalization == 1.5`: must be in [0.0, 1.0]."
    ]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "run" / "summary.json").exists()


def test_command_reports_a_wrong_type_without_a_traceback(tmp_path: Path) -> None:
    proc = run_loopsim("slate_size=abc", tmp_path=tmp_path)
    assert proc.returncode == 1
    assert "full_key: slate_size" in proc.stderr
    assert "Traceback" not in proc.stderr
