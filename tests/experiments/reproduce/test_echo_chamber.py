"""The bounded echo chamber: preferences on the unit sphere drift toward what users click.

This is loopsim's bounded variant (``world=synthetic world.drift > 0``), not Jiang et
al. (2019)'s divergence of interest: that is ``world=interest``, tested against the
paper's claims in ``tests/experiments/reproduce/test_validation.py``. Users' preferences drift
toward what they click (``world.drift``). Under a greedy
personalized policy the distance of preferences from their start keeps growing over
the horizon; random exploration slows it (epsilon = 0.3 below epsilon = 0, uniform
random lower still); a faster stream of new items slows it too.

Runs at equal seeds share users, items and arrivals (common random numbers), so the
orderings are checked seed by seed, not only on the mean. The horizon is in the regime
where greedy drift still grows; much later (hundreds of clicks per user) a uniform
random policy lets preferences wander as a random walk on the sphere and its distance
from the start eventually exceeds the greedy one, which settles near its top items.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
from loopsim.policies import Random
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld

from tests.builtins import make_policy

SEEDS = (0, 1, 2)
HORIZON = 40.0
SNAPSHOT = 5.0


def drift_trajectory(make_policy: Callable[[], object], seed: int, drift: float = 0.05,
                     item_arrival_rate: float = 0.0, horizon: float = HORIZON,
                     snapshot: float = SNAPSHOT) -> np.ndarray:
    """``drift_distance`` at every snapshot of one run."""
    world = SyntheticWorld(n_users=200, n_items=200, personalization=0.9,
                           item_arrival_rate=item_arrival_rate, drift=drift)
    config = SimulationConfig(horizon=horizon, snapshot_interval=snapshot,
                              quality_sessions_per_day=0, progress=False)
    result = Simulation(world, PositionBasedModel(), make_policy(), config, seed=seed).run()
    result.raise_for_status()
    rows = result.metrics.filter(pl.col("metric") == "drift_distance").sort("t")
    return rows["value"].to_numpy()



def oracle_epsilon(epsilon: float) -> object:
    """Epsilon-greedy over the true relevance (``epsilon == 0`` is the oracle)."""
    return make_policy("epsilon_greedy", "policy/estimator=oracle",
                       f"policy.selector.epsilon={epsilon}")


SETTINGS: dict[str, tuple[Callable[[], object], dict[str, float]]] = {
    "greedy": (lambda: oracle_epsilon(0.0), {}),
    "epsilon_0.3": (lambda: oracle_epsilon(0.3), {}),
    "random": (Random, {}),
    "greedy_new_items": (lambda: oracle_epsilon(0.0),
                         {"item_arrival_rate": 30.0}),
    "greedy_no_drift": (lambda: oracle_epsilon(0.0),
                        {"drift": 0.0}),
}


@pytest.fixture(scope="module")
def trajectories() -> dict[str, np.ndarray]:
    """``(seeds, snapshots)`` drift trajectories of every setting."""
    return {
        name: np.array([drift_trajectory(make, seed, **kwargs) for seed in SEEDS])
        for name, (make, kwargs) in SETTINGS.items()
    }


def test_no_drift_means_no_distance(trajectories: dict[str, np.ndarray]) -> None:
    assert np.array_equal(trajectories["greedy_no_drift"], np.zeros((len(SEEDS), 8)))


def test_greedy_drift_keeps_growing_over_the_horizon(
    trajectories: dict[str, np.ndarray],
) -> None:
    greedy = trajectories["greedy"]
    assert greedy.shape == (len(SEEDS), int(HORIZON / SNAPSHOT))
    assert (np.diff(greedy, axis=1) > 0).all()
    # still growing at the end: the last step is a sizeable share of the first one
    steps = np.diff(greedy, axis=1).mean(axis=0)
    assert steps[-1] > 0.15 * steps[0]


def test_exploration_slows_drift(trajectories: dict[str, np.ndarray]) -> None:
    greedy, explore, random = (
        trajectories[k][:, -1] for k in ("greedy", "epsilon_0.3", "random")
    )
    assert (explore < greedy).all()
    assert (random < explore).all()
    assert greedy.mean() - explore.mean() > 0.01
    assert explore.mean() - random.mean() > 0.03


def test_a_faster_item_stream_slows_drift(trajectories: dict[str, np.ndarray]) -> None:
    greedy, fresh = trajectories["greedy"][:, -1], trajectories["greedy_new_items"][:, -1]
    assert (fresh < greedy).all()
    assert greedy.mean() - fresh.mean() > 0.01


def test_the_oracle_policy_is_the_greedy_personalized_policy() -> None:
    oracle = drift_trajectory(lambda: make_policy("oracle"), seed=0)
    greedy = drift_trajectory(lambda: oracle_epsilon(0.0),
                              seed=0)
    np.testing.assert_allclose(oracle, greedy, rtol=1e-12)


@pytest.mark.slow
def test_exploration_slows_drift_under_a_learned_personalized_policy() -> None:
    """The same ordering when the greedy ranking is learned (matrix factorization)."""
    final = {
        eps: np.array([
            drift_trajectory(lambda e=eps: make_policy("epsilon_greedy", "policy/estimator=mf",
                                                     f"policy.selector.epsilon={e}"),
                             seed)[-1]
            for seed in SEEDS
        ])
        for eps in (0.0, 0.3)
    }
    assert (final[0.3] < final[0.0]).all()
