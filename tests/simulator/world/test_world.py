"""The synthetic world against its definition."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies import Random
from loopsim.simulator import (
    ConfigError,
    PositionBasedModel,
    Simulation,
    SimulationConfig,
    SyntheticWorld,
)
from loopsim.simulator.params.component_schema import check_arguments


def _world(**kw: object) -> SyntheticWorld:
    w = SyntheticWorld(**{"n_users": 300, "n_items": 50, **kw})  # type: ignore[arg-type]
    w.reset(np.random.default_rng(0))
    return w


def test_relevance_mixes_quality_and_taste_by_the_knob() -> None:
    w = _world(personalization=0.4)
    users, items = np.array([0, 5]), np.array([1, 2, 3])
    taste = (1 + w.preferences[users] @ w._features[items].T) / 2
    expected = 0.6 * w.quality(items)[None, :] + 0.4 * taste
    np.testing.assert_allclose(w.relevance(users, items), expected)
    assert np.all((expected >= 0) & (expected <= 1))


def test_global_world_relevance_is_quality_for_everyone() -> None:
    w = _world(personalization=0.0)
    assert w.is_global
    rel = w.relevance(np.arange(4), np.arange(10))
    np.testing.assert_allclose(rel, np.broadcast_to(w.quality(np.arange(10)), (4, 10)))


def test_true_value_is_the_click_probability_of_a_random_session() -> None:
    w = _world(personalization=0.7)
    items = np.arange(50)
    rel = w.relevance(np.arange(w.n_users), items)
    weights = w.activity() / w.activity().sum()
    np.testing.assert_allclose(w.true_value(items), weights @ rel, atol=1e-12)
    np.testing.assert_allclose(w.mean_relevance(items), rel.mean(axis=0), atol=1e-12)
    assert not np.allclose(w.true_value(items), w.mean_relevance(items))


def test_relevance_of_slates_matches_the_matrix_form() -> None:
    w = _world(personalization=0.5)
    users = np.array([3, 4, 7])
    slates = np.array([[0, 1], [2, 3], [4, 5]])
    full = w.relevance(users, np.arange(6))
    np.testing.assert_allclose(w.relevance_of_slates(users, slates),
                               np.take_along_axis(full, slates, axis=1))
    shared = np.broadcast_to(np.array([5, 0]), (3, 2))
    np.testing.assert_allclose(w.relevance_of_slates(users, shared), full[:, [5, 0]])


def test_activity_is_lognormal_with_the_configured_mean() -> None:
    w = SyntheticWorld(n_users=200_000, n_items=10, sessions_per_user_per_day=2.0,
                       activity_sigma=0.8)
    w.reset(np.random.default_rng(1))
    assert w.activity().mean() == pytest.approx(2.0, rel=0.02)
    assert np.log(w.activity()).std() == pytest.approx(0.8, rel=0.02)


def test_add_items_appends_ids_and_bumps_version() -> None:
    w = _world()
    v = w.version
    ids = w.add_items(3, np.random.default_rng(2))
    np.testing.assert_array_equal(ids, [50, 51, 52])
    assert w.n_items == 53 and w.version > v
    many = w.add_items(500, np.random.default_rng(3))
    assert many[-1] == 552 and w.true_value(many).shape == (500,)


def test_reset_is_reproducible() -> None:
    a, b = _world(), _world()
    np.testing.assert_array_equal(a.quality(np.arange(50)), b.quality(np.arange(50)))


def test_bad_parameters_name_the_field() -> None:
    with pytest.raises(ConfigError, match=r"world\.personalization == 1\.5"):
        check_arguments(SyntheticWorld, {"personalization": 1.5}, "world.")
    with pytest.raises(ConfigError, match=r"world\.n_users == 0"):
        check_arguments(SyntheticWorld, {"n_users": 0}, "world.")
    with pytest.raises(ConfigError, match=r"world\.n_users == 0"):  # built in Python: at start
        Simulation(SyntheticWorld(n_users=0), PositionBasedModel(), Random(),
                   SimulationConfig(horizon=1.0), seed=0).run()
