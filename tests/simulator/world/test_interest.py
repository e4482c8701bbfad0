"""Unbounded interest (Jiang et al. 2019): the update rule and what it implies."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from loopsim.simulator import (
    ConfigError,
    Feedback,
    InterestWorld,
    PositionBasedModel,
    Simulation,
    SimulationConfig,
)
from loopsim.simulator.params.component_schema import check_object

from tests.builtins import make_policy


def _feedback(users: list[int], items: list[int], clicks: list[bool]) -> Feedback:
    n = len(users)
    return Feedback(t=np.zeros(n), user=np.array(users), item=np.array(items),
                    rank=np.ones(n, dtype=np.int16), click=np.array(clicks),
                    reward=np.zeros(n, dtype=np.float32), propensity=np.ones(n, dtype=np.float32))


def test_relevance_is_the_sigmoid_of_interest_dot_item() -> None:
    world = InterestWorld(n_users=5, n_items=7, n_factors=3)
    world.reset(np.random.default_rng(0))
    theta, v = world.preferences, world.item_vectors(np.arange(7))
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0)
    expected = 1.0 / (1.0 + np.exp(-(theta @ v.T)))
    np.testing.assert_allclose(world.relevance(np.arange(5), np.arange(7)), expected)
    slates = np.array([[0, 3], [6, 1], [2, 2], [5, 4], [1, 0]])
    np.testing.assert_allclose(world.relevance_of_slates(np.arange(5), slates),
                               np.take_along_axis(expected, slates, axis=1))
    np.testing.assert_allclose(world.true_value(np.arange(7)), expected.mean(axis=0))


def test_a_click_adds_step_times_the_item_and_a_miss_subtracts_negative_step() -> None:
    world = InterestWorld(n_users=3, n_items=4, n_factors=2, step=0.5, negative_step=0.25)
    world.reset(np.random.default_rng(1))
    before, v = world.preferences.copy(), world.item_vectors(np.arange(4))
    version = world.version
    world.observe(_feedback([0, 0, 1], [2, 3, 1], [True, True, False]))
    after = world.preferences
    np.testing.assert_allclose(after[0], before[0] + 0.5 * (v[2] + v[3]))
    np.testing.assert_allclose(after[1], before[1] - 0.25 * v[1])
    np.testing.assert_array_equal(after[2], before[2])
    np.testing.assert_array_equal(world.initial_preferences, before)
    assert world.version != version


def test_interest_is_not_renormalised_and_grows_under_greedy() -> None:
    world = InterestWorld(n_users=50, n_items=60)
    config = SimulationConfig(horizon=20, snapshot_interval=10, quality_sessions_per_day=0,
                              progress=False)
    result = Simulation(world, PositionBasedModel(), make_policy("oracle"), config,
                        seed=0).run()
    result.raise_for_status()
    drift = result.metrics.filter(pl.col("metric") == "drift_distance").sort("t")["value"]
    assert drift[1] > 1.5 * drift[0] > 0
    assert np.linalg.norm(world.preferences, axis=1).mean() > 1.5


def test_negative_rates_are_refused() -> None:
    with pytest.raises(ConfigError, match="world.step"):  # as the engine checks at start
        check_object(InterestWorld(step=-1.0), "world.")
