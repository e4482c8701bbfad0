"""docs/loop.md is drawn from the code's real names: each one it cites exists."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[3] / "docs" / "loop.md"

#: The names the page cites, by the module that must define them.
CITED = {
    "loopsim.simulator.loop.serving": ["sessions", "serve"],
    "loopsim.simulator.loop.organic_sessions": ["organic_process", "organic_between"],
    "loopsim.simulator.loop.item_arrivals": ["item_arrivals", "expire"],
    "loopsim.simulator.loop.shift_schedule": ["shifting"],
    "loopsim.simulator.loop.training": ["training", "deploy_later", "Trainer"],
    "loopsim.simulator.loop.snapshots": ["snapshots", "progress"],
    "loopsim.simulator.monitoring.guard": ["monitoring", "Guard"],
    "loopsim.simulator.loop.state": ["RunState", "MetricRows"],
    "loopsim.simulator.loop.deployment": ["Deployment"],
    "loopsim.simulator.loop.user_sampler": ["UserSampler"],
    "loopsim.simulator.loop.feedback_queue": ["FeedbackQueue"],
    "loopsim.simulator.loop.clock": ["CATALOGUE", "SERVE", "TRAIN", "DEPLOY", "SNAPSHOT"],
    "loopsim.simulator.contract.registry": ["HOOKS"],
}


@pytest.mark.parametrize("module", sorted(CITED))
def test_every_name_the_loop_page_cites_exists(module: str) -> None:
    text = PAGE.read_text()
    mod = importlib.import_module(module)
    for name in CITED[module]:
        assert name in text, f"docs/loop.md no longer cites {name}"
        assert hasattr(mod, name), f"{module} has no {name} (docs/loop.md cites it)"


def test_the_methods_the_page_cites_exist() -> None:
    from loopsim.simulator.loop.config import SimulationConfig
    from loopsim.simulator.loop.deployment import Deployment
    from loopsim.simulator.loop.training import Trainer
    from loopsim.simulator.loop.user_sampler import UserSampler

    for cls, names in [(Deployment, ["rank", "update", "scores", "policy_metrics",
                                     "rollback"]),
                       (Trainer, ["after_serving", "collect"]), (UserSampler, ["reset"]),
                       (SimulationConfig, ["online_learning"])]:
        for name in names:
            assert hasattr(cls, name), f"{cls.__name__}.{name} (cited in docs/loop.md)"
