"""The Chaney et al. (2018) world: Dirichlet tastes, Beta utilities, no repeat consumption."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import ChaneyWorld, ConfigError, Feedback
from loopsim.simulator.world.chaney import beta_from_mean_sd, beta_from_mean_variance


def test_beta_parameters_have_the_requested_mean_and_variance() -> None:
    a, b = beta_from_mean_variance(np.array([0.2, 0.5]), 0.01)
    np.testing.assert_allclose(a / (a + b), [0.2, 0.5])
    np.testing.assert_allclose(a * b / ((a + b) ** 2 * (a + b + 1)), [0.01, 0.01])


def test_utilities_are_near_preference_dot_attributes() -> None:
    world = ChaneyWorld(n_users=30, n_items=40, n_attributes=5)
    world.reset(np.random.default_rng(0))
    np.testing.assert_allclose(world.preferences.sum(axis=1), 1.0)
    users, items = np.arange(30), np.arange(40)
    u = world.utility(users, items)
    mean = world.preferences @ world._attributes[:40].T
    assert np.abs(u - mean).max() < 0.05
    np.testing.assert_allclose(world.true_value(items), u.mean(axis=0))
    assert not world.is_global


def test_consumed_items_are_not_clickable_again() -> None:
    world = ChaneyWorld(n_users=3, n_items=5)
    world.reset(np.random.default_rng(1))
    before = world.true_value(np.arange(5))
    version = world.version
    fb = Feedback(t=np.zeros(2), user=np.array([1, 2]), item=np.array([4, 0]),
                  rank=np.ones(2, dtype=np.int16), click=np.array([True, False]),
                  reward=np.zeros(2, dtype=np.float32), propensity=np.ones(2, dtype=np.float32))
    world.observe(fb)
    assert world.version != version
    rel = world.relevance(np.arange(3), np.arange(5))
    assert rel[1, 4] == 0.0 and rel[2, 0] > 0 and rel[0, 4] > 0
    slates = np.array([[4, 0], [4, 0]])
    np.testing.assert_array_equal(world.relevance_of_slates(np.array([1, 0]), slates)[:, 0] > 0,
                                  [False, True])
    np.testing.assert_array_equal(world.true_value(np.arange(5)), before)


def test_new_items_extend_utilities() -> None:
    world = ChaneyWorld(n_users=4, n_items=3)
    world.reset(np.random.default_rng(2))
    ids = world.add_items(10, np.random.default_rng(3))
    np.testing.assert_array_equal(ids, np.arange(3, 13))
    assert world.relevance(np.arange(4), ids).shape == (4, 10)
    rel = world.relevance(np.arange(4), ids)
    assert np.all((rel >= 0) & (rel <= 1))


def test_spreads_are_standard_deviations_as_in_the_paper() -> None:
    a, b = beta_from_mean_sd(np.array([0.3]), 0.01)
    np.testing.assert_allclose(a * b / ((a + b) ** 2 * (a + b + 1)), [1e-4])


def test_users_know_a_noisy_fraction_and_are_rewarded_the_true_utility() -> None:
    world = ChaneyWorld(n_users=20, n_items=30, known_fraction_mean=0.9,
                        known_fraction_sd=0.01)
    world.reset(np.random.default_rng(4))
    users, items = np.arange(20), np.arange(30)
    true = world.utility(users, items)
    fraction = world.known_utility(users, items)[true > 0] / true[true > 0]
    assert abs(fraction.mean() - 0.9) < 0.002 and 0.005 < fraction.std() < 0.015
    np.testing.assert_array_equal(world.relevance(users, items), world.known_utility(users, items))
    slates = np.tile(items[:5], (20, 1))
    np.testing.assert_array_equal(world.conversion_of_slates(users, slates),
                                  world.utility(users, items[:5]))


def test_known_fraction_sd_zero_is_the_mean_and_too_large_an_sd_is_refused() -> None:
    world = ChaneyWorld(n_users=3, n_items=4, known_fraction_mean=0.5, known_fraction_sd=0.0)
    world.reset(np.random.default_rng(0))
    np.testing.assert_allclose(world.known_utility(np.arange(3), np.arange(4)),
                               0.5 * world.utility(np.arange(3), np.arange(4)))
    with pytest.raises(ConfigError, match="known_fraction_sd"):
        ChaneyWorld(known_fraction_mean=0.98, known_fraction_sd=0.2).reset(
            np.random.default_rng(0))


def test_nearest_neighbour_pairs_pair_each_user_with_the_most_similar_other() -> None:
    world = ChaneyWorld(n_users=12, n_items=4)
    world.reset(np.random.default_rng(5))
    pairs = world.nearest_neighbour_pairs()
    np.testing.assert_array_equal(pairs[:, 0], np.arange(12))
    p = world.preferences / np.linalg.norm(world.preferences, axis=1, keepdims=True)
    sim = p @ p.T
    for a, b in pairs:
        assert a != b
        assert sim[a, b] == max(sim[a, c] for c in range(12) if c != a)
