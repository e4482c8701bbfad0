"""Every built-in policy config composes, instantiates and runs through the engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR, builtin_policies
from loopsim.experiments.cli.runner import build
from loopsim.simulator.errors import ConfigError

from tests.policies.policy_sim import simulate

CONF = Path(CONF_DIR)
NAMES = builtin_policies()


def _policy(name: str, *overrides: str) -> object:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=[f"policy={name}", *overrides])
    return build(cfg.policy)


def test_issue_policies_have_configs() -> None:
    wanted = {"epsilon_greedy", "rand_topn", "rand_pair", "softmax", "pal", "coec", "ips",
              "thompson", "ucb", "mf"}
    assert wanted <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_config_runs_through_the_engine(name: str) -> None:
    # pools of 50-100 candidates
    staged = name.startswith(("pipeline", "self_defeating", "learned", "wu_"))
    reads_attributes = name.startswith(("wu_data_coarse", "wu_data_fixed", "wu_data_genre"))
    tower = {"item_attributes": 8} if reads_attributes else {}
    res = simulate(_policy(name), horizon=1.0, n_users=100, n_items=120 if staged else 30,
                   personalization=0.5, world=tower)
    assert res.status == "completed"


@pytest.mark.parametrize("estimator", ["popularity", "ctr", "coec", "ips", "pal", "mf", "oracle"])
def test_every_estimator_under_randomized_selectors(estimator: str) -> None:
    for name in ("epsilon_greedy", "rand_topn", "rand_pair", "softmax"):
        extra = (["policy.estimator.propensity=estimated"] if estimator in ("coec", "ips")
                 else [])
        policy = _policy(name, f"policy/estimator={estimator}", *extra)
        simulate(policy, horizon=0.5, n_users=50, n_items=25, personalization=0.5,
                 snapshot_interval=0.5)


def test_unknown_estimator_fails_at_composition() -> None:
    with pytest.raises(Exception, match=r"Could not find 'policy/estimator/coecc'"):  # noqa: PT011
        _policy("softmax", "policy/estimator=coecc")


@pytest.mark.parametrize("selector", ["thompson", "ucb"])
@pytest.mark.parametrize("estimator", ["popularity", "pal", "mf", "oracle", "reward"])
def test_bandit_selectors_refuse_an_estimator_without_a_posterior(
    selector: str, estimator: str
) -> None:
    with pytest.raises(ConfigError, match=rf"{selector} needs an estimator with a Beta posterior"):
        _policy(selector, f"policy/estimator={estimator}")


def test_estimator_and_selector_groups_compose_with_any_policy() -> None:
    policy = _policy("epsilon_greedy", "policy/estimator=coec", "policy.selector.epsilon=0.2")
    assert type(policy.estimator).__name__ == "ClicksOverExpected"
    assert policy.selector.epsilon == 0.2
