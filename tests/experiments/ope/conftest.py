"""Tiny logged runs shared by the OPE tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.cli.runner import run_config

SMALL = ["world.n_users=200", "world.n_items=40", "world.item_arrival_rate=1", "horizon=4",
         "slate_size=4", "progress=false", "log.impressions=true", "log.chunk_rows=1003"]


def logged_run(folder: Path, overrides: list[str]) -> Path:
    """Run a small simulation with the impression log and return its folder."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[*SMALL, *overrides])
    run_config(cfg, folder, overrides[0].split("=")[-1])
    return folder


@pytest.fixture(scope="session")
def eps_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An epsilon-greedy log (chunks of 1,003 rows: sessions cut across chunks)."""
    return logged_run(tmp_path_factory.mktemp("eps"), ["policy=epsilon_greedy",
                                                       "policy.selector.epsilon=0.3"])


@pytest.fixture(scope="session")
def random_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A uniform random log (slate propensities known)."""
    return logged_run(tmp_path_factory.mktemp("random"), ["policy=random"])


@pytest.fixture(scope="session")
def greedy_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deterministic log: every propensity is 1."""
    return logged_run(tmp_path_factory.mktemp("ctr"), ["policy=ctr"])
