"""No hidden randomness: a full simulation leaves the global random states untouched."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from loopsim.experiments.cli.run import CONF_DIR, builtin_policies
from loopsim.simulator import (
    CascadeModel,
    PositionBasedModel,
    Simulation,
    SimulationConfig,
    SyntheticWorld,
)
from loopsim.simulator.contract.policy import UsesItemAttributes, components


def global_states() -> tuple[object, ...]:
    state = np.random.get_state(legacy=False)  # noqa: NPY002 (the state under watch)
    return (state["state"]["key"].tobytes(), state["state"]["pos"], state["has_gauss"],
            state["gauss"], random.getstate())


# Files starting with "_" hold shared defaults, not policies.
POLICIES = builtin_policies()


#: Pipelines serve pools of 50-100 candidates; this world's catalogue shrinks to the slate
#: (5 items) as items expire, so their pools are the slate size here.
TINY_POOLS = {"pipeline": ["policy.retrieval.n=5"],
              "self_defeating": ["policy.retrieval.before.n=5", "policy.retrieval.after.n=5"],
              "learned_pipeline": ["policy.n=5"], "wu_": ["policy.n=5"]}


def built_in(name: str) -> object:
    pools = next((v for k, v in TINY_POOLS.items() if name.startswith(k)), [])
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"policy={name}", *pools])
    return instantiate(cfg.policy, _convert_="all")


@pytest.mark.parametrize("name", POLICIES)
@pytest.mark.parametrize("tick", [0.1, 0.0])
def test_a_full_run_leaves_global_random_states_untouched(name: str, tick: float) -> None:
    """Every built-in policy config, both serving modes, both click models, all processes."""
    np.random.seed(12345)  # noqa: NPY002 (a known global state to watch)
    random.seed(12345)
    before = global_states()
    # a content tower reads observable item attributes: give them to the policies that ask
    attributes = 8 if any(isinstance(p, UsesItemAttributes) and p.needs_item_attributes
                          for p in components(built_in(name))) else 0
    world = SyntheticWorld(n_users=80, n_items=40, item_arrival_rate=2.0, item_lifetime=3.0,
                           item_attributes=attributes)
    for click_model in (PositionBasedModel(), CascadeModel(continue_after_click=0.5)):
        config = SimulationConfig(horizon=4.0, tick=tick, slate_size=5, retrain_interval=0.5,
                                  feedback_delay=0.2, train_latency=0.1, progress=False)
        result = Simulation(world, click_model, built_in(name), config, seed=3).run()
        assert result.status == "completed"
        assert result.summary["impressions"] > 0
    assert global_states() == before
