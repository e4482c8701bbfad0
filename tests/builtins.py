"""Built-in policies for tests, built exactly as the CLI builds them (config + overrides)."""

from __future__ import annotations

from typing import Any

from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.cli.runner import build


def make_policy(name: str, *overrides: str) -> Any:
    """The policy of ``loopsim policy=<name> <overrides>`` (e.g. ``policy.selector.epsilon=0``)."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[f"policy={name}", *overrides])
    return build(cfg.policy)
