"""Every built-in policy config composes, instantiates and runs through the engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from loopsim.experiments.run import CONF_DIR
from loopsim.simulator.errors import ConfigError
from policy_sim import simulate

CONF = Path(CONF_DIR)
NAMES = sorted(p.stem for p in (CONF / "policy").glob("*.yaml") if not p.stem.startswith("_"))


def _policy(name: str, *overrides: str) -> object:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=[f"policy={name}", *overrides])
    return instantiate(cfg.policy, _convert_="all")


def test_issue_policies_have_configs() -> None:
    wanted = {"epsilon_greedy", "rand_topn", "rand_pair", "softmax", "pal", "coec", "ips",
              "thompson", "ucb", "mf"}
    assert wanted <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_config_runs_through_the_engine(name: str) -> None:
    staged = name.startswith(("pipeline", "self_defeating"))  # pools of 50-100 candidates
    res = simulate(_policy(name), horizon=1.0, n_users=100, n_items=120 if staged else 30,
                   personalization=0.5)
    assert res.status == "completed"


@pytest.mark.parametrize("estimator", ["popularity", "ctr", "coec", "ips", "pal", "mf", "oracle"])
def test_every_estimator_under_randomized_selectors(estimator: str) -> None:
    for name in ("epsilon_greedy", "rand_topn", "rand_pair", "softmax"):
        policy = _policy(name, f"policy.estimator={estimator}", "policy.propensity=estimated")
        simulate(policy, horizon=0.5, n_users=50, n_items=25, personalization=0.5,
                 snapshot_interval=0.5)


def test_unknown_estimator_fails_before_the_run() -> None:
    with pytest.raises(ConfigError, match=r"policy.estimator == 'coecc'.*'coec'"):
        simulate(_policy("softmax", "policy.estimator=coecc"), horizon=1.0)
