"""Shared fixtures: tiny worlds and a helper that runs one simulation.

The suite runs with one BLAS thread unless ``OPENBLAS_NUM_THREADS`` is set (the golden
steps of ``.ci/run`` set 1 and 2): its matrices are small, and OpenBLAS threads wait
by spinning, so two of them on a busy 2-core machine (CI runs two test jobs at once)
made the pipeline tests 5x slower in wall time and 7x in CPU (measured:
``tests/experiments/cli/test_golden.py`` and ``test_no_hidden_randomness.py``,
``-k "wu_ or learned"``: 84 s against 419 s wall, load 5). It must be set before numpy
loads OpenBLAS, so it comes first; subprocesses (the ``loopsim`` command) inherit it.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from collections.abc import Callable  # noqa: E402
from typing import Any

import pytest  # noqa: E402
from loopsim.simulator import (  # noqa: E402
    PositionBasedModel,
    Simulation,
    SimulationConfig,
    SyntheticWorld,
)
from loopsim.simulator.io.results import RunResult  # noqa: E402


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
