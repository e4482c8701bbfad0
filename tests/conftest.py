"""Shared fixtures: tiny worlds and a helper that runs one simulation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.io.results import RunResult


def tiny_world(**overrides: Any) -> SyntheticWorld:
    """A world small enough for a run in well under a second."""
    params: dict[str, Any] = dict(n_users=200, n_items=60, personalization=0.3,
                                  item_arrival_rate=2.0)
    params.update(overrides)
    return SyntheticWorld(**params)


def run_sim(
    policy: Any,
    seed: int = 0,
    world: SyntheticWorld | None = None,
    click_model: Any = None,
    **config: Any,
) -> RunResult:
    """Run one simulation of ``policy`` on a tiny world (config overrides as keywords)."""
    params: dict[str, Any] = dict(horizon=10.0, tick=0.1, slate_size=5, progress=False)
    params.update(config)
    sim = Simulation(
        world if world is not None else tiny_world(),
        click_model if click_model is not None else PositionBasedModel(eta=1.0),
        policy,
        SimulationConfig(**params),
        seed=seed,
    )
    return sim.run()


@pytest.fixture
def run() -> Callable[..., RunResult]:
    """The :func:`run_sim` helper as a fixture."""
    return run_sim
