"""Every built-in policy config (conf/policy/*.yaml) passes check_policy."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from loopsim.experiments.cli.run import CONF_DIR, builtin_policies
from loopsim.simulator import check_policy

# Files starting with "_" hold shared defaults, not policies.
POLICIES = builtin_policies()


def test_the_builtin_configs_are_found() -> None:
    assert {"popularity", "ctr", "random", "oracle"} <= set(POLICIES)


#: Pipelines serve pools of 50-100 candidates; the checker's tiny world has 15 items.
TINY_POOLS = {"pipeline": ["policy.retrieval.n=8"],
              "self_defeating": ["policy.retrieval.before.n=8", "policy.retrieval.after.n=8"],
              "learned_pipeline": ["policy.n=8"], "wu_": ["policy.n=8"]}


@pytest.mark.parametrize("name", POLICIES)
def test_builtin_policy_honours_the_contract(name: str) -> None:
    pools = next((v for k, v in TINY_POOLS.items() if name.startswith(k)), [])
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"policy={name}", *pools])
    check_policy(instantiate(cfg.policy, _convert_="all"), name=name)
