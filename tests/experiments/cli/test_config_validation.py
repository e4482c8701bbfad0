"""Bad overrides fail before the run, naming the field, the value and what is allowed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.config_checks import validate_config
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.simulator.errors import ConfigError
from omegaconf import DictConfig, OmegaConf, open_dict

ROOT = Path(__file__).resolve().parents[3]
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
        (["world.item_lifetime=0"], r"^`world.item_lifetime == 0`: must be > 0.0\.$"),
        (["world.seed=-1"], r"^`world.seed == -1`: must be >= 0\.$"),
        (["click_model.eta=-1"], r"^`click_model.eta == -1`: must be >= 0.0\.$"),
        (["click_model=cascade", "click_model.continue_after_click=2"],
         r"`click_model.continue_after_click == 2`: must be in \[0.0, 1.0\]"),
        (["click_model.examination=[1,0.5]"],
         r"`click_model.examination` has 2 values but `slate_size == 10`"),
        (["slate_size=2", "click_model.examination=[1,1.5]"],
         r"`click_model.examination\[1\] == 1.5`: must be in \[0.0, 1.0\]"),
        (["policy=ctr", "policy.estimator.prior_mean=abc"],
         r"^`policy.estimator.prior_mean == 'abc'`: must be a finite number in \(0.0, 1.0\)\.$"),
        (["policy=ctr", "policy.estimator.prior_mean=2"],
         r"^`policy.estimator.prior_mean == 2`: must be in \(0.0, 1.0\)\.$"),
        (["policy=ctr", "policy.estimator.prior_strength=0"],
         r"`policy.estimator.prior_strength == 0`: must be > 0"),
        (["policy=epsilon_greedy", "policy.selector.epsilon=1.2"],
         r"^`policy.selector.epsilon == 1.2`: must be in \[0.0, 1.0\]\.$"),
        (["policy=rand_topn", "policy.selector.n=0"], r"^`policy.selector.n == 0`: must be >= 1"),
        (["policy=thompson", "policy.estimator.propensity=guess"],
         r"^`policy.estimator.propensity == 'guess'`: must be one of "
         r"\['learned', 'em', 'known', 'estimated'\]"),
        (["world=musiclab", "+world.n_songz=3"],
         r"^`world.n_songz == 3`: MusicLabWorld has no parameter `n_songz`; it takes "
         r"\['appeal_alpha', .*'social_weight'\]\.$"),
        (["world=musiclab", "+world.n_userz=3"],
         r"MusicLabWorld has no parameter `n_userz`; .* Did you mean `world.n_users`\?$"),
        (["click_model=trial_offer", "click_model.outside_weight=-1"],
         r"^`click_model.outside_weight == -1`: must be >= 0.0\.$"),
        (["world.n_items=many"], r"^`world.n_items == 'many'`: must be an integer >= 1\.$"),
        (["+policy.selector.epsilon=0.2"],
         r"^`policy.selector.epsilon == 0.2`: Greedy has no parameter `epsilon`; it takes \[\]"),
        (["policy.estimator._target_=nowhere.Estimator"],
         r"^`policy.estimator._target_ == 'nowhere.Estimator'`: cannot be imported"),
        # a misspelt top-level key added with `+` (Hydra's own hint) would run the default
        (["+polcy=ctr"], r"^`polcy` is not a loopsim setting \(added with `\+polcy=...`\?\): "
                         r"did you mean `policy`\?"),
        (["+horizn=1"], r"^`horizn` is not a loopsim setting .*did you mean `horizon`\?"),
        (["+zzz=1"], r"^`zzz` is not a loopsim setting .*the top-level settings are \[.*'horizon'"),
        # a required value nobody gave: one line, not omegaconf's MissingMandatoryValue
        (["policy=custom"], r"^`policy._target_` is required and has no value"),
    ],
)
def test_bad_value_names_field_value_and_allowed(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(composed(*overrides))


class MyWorld:
    """A user's world: keys are checked against its own constructor, not a built-in's."""

    def __init__(self, n_users: int = 5, personalization: float = 0.0) -> None:
        self.n_users, self.personalization = n_users, personalization


def test_a_users_own_class_is_checked_against_its_own_signature() -> None:
    cfg = composed()
    cfg.world = OmegaConf.create({"_target_": f"{__name__}.MyWorld", "personalization": 7})
    validate_config(cfg)  # MyWorld declares no range
    with open_dict(cfg.world):
        cfg.world.n_items = 30
    with pytest.raises(ConfigError, match=r"^`world.n_items == 30`: MyWorld has no parameter"):
        validate_config(cfg)


@pytest.mark.parametrize(
    ("override", "key", "error"),
    [("tick=abc", "tick", "could not be converted to Float"),
     ("slate_size=many", "slate_size", "could not be converted to Integer"),
     ("world.n_user=5", "world.n_user", "Key 'n_user' is not in struct"),
     ("world=musiclab world.n_songz=3", "world.n_songz", "Key 'n_songz' is not in struct")],
)
def test_wrong_types_and_unknown_keys_fail_at_composition(
    override: str, key: str, error: str
) -> None:
    with pytest.raises(Exception) as info:  # noqa: PT011 (Hydra's own exception types)
        composed(*override.split())
    message = f"{info.value}\n{info.value.__cause__}"
    assert error in message
    assert f"full_key: {key}" in message


def run_loopsim(*overrides: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", *TINY,
         f"hydra.run.dir={tmp_path}/run",
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


@pytest.mark.parametrize(
    ("overrides", "line"),
    [(["world=musiclab", "+world.n_songz=3", "world.n_users=50"],
      "`world.n_songz == 3`: MusicLabWorld has no parameter `n_songz`"),
     (["click_model=trial_offer", "click_model.outside_weight=-1"],
      "`click_model.outside_weight == -1`: must be >= 0.0."),
     (["policy=ctr", "policy.estimator.prior_mean=2"],
      "`policy.estimator.prior_mean == 2`: must be in (0.0, 1.0)."),
     (["policy=thompson", "policy/estimator=mf"],
      "policy.selector thompson needs an estimator with a Beta posterior")],
)
def test_command_exits_2_with_one_line_naming_the_field(
    overrides: list[str], line: str, tmp_path: Path
) -> None:
    proc = run_loopsim(*overrides, tmp_path=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("loopsim: configuration error: ")
    assert line in lines[0]
    assert not (tmp_path / "run" / "summary.json").exists()


def test_command_reports_a_wrong_type_without_a_traceback(tmp_path: Path) -> None:
    proc = run_loopsim("slate_size=abc", tmp_path=tmp_path)
    assert proc.returncode == 1
    assert "full_key: slate_size" in proc.stderr
    assert "Traceback" not in proc.stderr


class PlainFloats:
    """A user's policy whose parameters declare no range (plain ``float`` and no hint)."""

    def __init__(self, half_life: float = 7.0, weights=None) -> None:  # noqa: ANN001
        self.half_life, self.weights = half_life, weights


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("half_life", float("nan"), r"^`policy.half_life == nan`: must be a finite number"),
        ("half_life", float("inf"), r"^`policy.half_life == inf`: must be a finite number"),
        ("weights", [1.0, float("-inf")], r"^`policy.weights\[1\] == -inf`: must be a finite"),
        ("weights", {"a": float("nan")}, r"^`policy.weights.a == nan`: must be a finite"),
    ],
)
def test_nan_and_infinities_are_refused_where_no_range_is_declared(
        key: str, value: object, message: str) -> None:
    cfg = composed()
    cfg.policy = OmegaConf.create({"_target_": f"{__name__}.PlainFloats", key: value})
    with pytest.raises(ConfigError, match=message):
        validate_config(cfg)
    cfg.policy = OmegaConf.create({"_target_": f"{__name__}.PlainFloats", "half_life": 0.5,
                                   "weights": [1.0, 2.0]})
    validate_config(cfg)  # finite values of a plain float pass (no range declared)


def test_a_required_world_file_left_unset_is_named_in_one_line() -> None:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(config_name="config", overrides=["world=ratings", "horizon=2"])
    with pytest.raises(ConfigError, match=r"^`world.path` is required and has no value "
                       r"\(`\?\?\?` in its config\): give it on the command line "
                       r"\(`world.path=...`\) or in your config file\.$"):
        validate_config(cfg)
