"""Preference drift of the synthetic world, checked against its update rule."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator.contract.batches import Feedback, Slates
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.component_schema import check_arguments
from loopsim.simulator.world import SyntheticWorld


def world(drift: float, personalization: float = 0.8) -> SyntheticWorld:
    w = SyntheticWorld(n_users=6, n_items=5, n_factors=3, personalization=personalization,
                       drift=drift)
    w.reset(np.random.default_rng(7))
    return w


def feedback(users: list[int], slates: list[list[int]], clicks: list[list[bool]]) -> Feedback:
    items = np.array(slates, dtype=np.int64)
    return Feedback.from_slates(
        np.zeros(len(users)), np.array(users, dtype=np.int64), Slates(items),
        np.array(clicks), np.array(clicks, dtype=np.float32),
    )


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_no_drift_changes_nothing() -> None:
    w = world(0.0)
    before, version = w.preferences.copy(), w.version
    w.observe(feedback([0, 1], [[0, 1], [2, 3]], [[True, True], [True, False]]))
    assert np.array_equal(w.preferences, before)
    assert w.version == version


def test_one_click_moves_the_user_toward_the_item_on_the_sphere() -> None:
    w = world(0.2)
    p0, f = w.preferences[1].copy(), w._features[3].copy()
    others = w.preferences.copy()
    w.observe(feedback([1], [[2, 3]], [[False, True]]))
    assert np.allclose(w.preferences[1], unit(0.8 * p0 + 0.2 * f))
    assert np.linalg.norm(w.preferences[1]) == pytest.approx(1.0)
    keep = np.arange(6) != 1
    assert np.array_equal(w.preferences[keep], others[keep])
    assert np.array_equal(w.initial_preferences[1], p0)


def test_several_clicks_are_one_step_toward_their_mean_at_the_compounded_rate() -> None:
    w = world(0.2)
    p0, f = w.preferences[2].copy(), w._features[[0, 4]].mean(axis=0)
    # two sessions of user 2 in one batch, one click each
    w.observe(feedback([2, 2], [[0, 1], [3, 4]], [[True, False], [False, True]]))
    r = 1 - 0.8**2
    assert np.allclose(w.preferences[2], unit((1 - r) * p0 + r * f))


def test_repeated_clicks_of_one_item_nearly_match_successive_steps() -> None:
    batched, stepwise, single = world(0.05), world(0.05), world(0.05)
    batched.observe(feedback([4, 4], [[1, 2], [1, 3]], [[True, False], [True, False]]))
    stepwise.observe(feedback([4], [[1, 2]], [[True, False]]))
    stepwise.observe(feedback([4], [[1, 3]], [[True, False]]))
    single.observe(feedback([4], [[1, 2]], [[True, False]]))
    f = batched._features[1]
    angle = {name: np.arccos(np.clip(w.preferences[4] @ f, -1, 1))
             for name, w in [("batched", batched), ("stepwise", stepwise), ("single", single)]}
    # Closer to the item than one step; a little beyond two successive steps (the
    # renormalisation between them shortens the second), by less than 1% of the angle.
    assert angle["batched"] < angle["stepwise"] < angle["single"]
    assert angle["batched"] == pytest.approx(angle["stepwise"], rel=0.01)


def test_full_drift_jumps_to_the_clicked_item() -> None:
    w = world(1.0)
    w.observe(feedback([0], [[3, 1]], [[True, False]]))
    assert np.allclose(w.preferences[0], w._features[3])


def test_relevance_and_true_value_follow_the_moved_preferences() -> None:
    w = world(0.5)
    version = w.version
    w.observe(feedback([0, 3, 5], [[0, 1], [2, 4], [4, 0]], [[True, True], [False, True],
                                                             [True, False]]))
    assert w.version != version
    users, items = np.arange(6), np.arange(5)
    q, f, p = w.quality(items), w._features[:5], w.preferences
    expected = 0.2 * q + 0.8 * (1 + p @ f.T) / 2
    assert np.allclose(w.relevance(users, items), expected)
    weights = w.activity() / w.activity().sum()
    assert np.allclose(w.true_value(items), weights @ expected)
    assert np.allclose(w.mean_relevance(items), expected.mean(axis=0))


def test_drift_in_a_global_world_keeps_the_version() -> None:
    w = world(0.5, personalization=0.0)
    version = w.version
    w.observe(feedback([0], [[1, 2]], [[True, False]]))
    assert w.version == version
    assert not np.array_equal(w.preferences, w.initial_preferences)


def test_drift_outside_the_unit_interval_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"world.drift == 1.5.*\[0.0, 1.0\]"):
        check_arguments(SyntheticWorld, {"drift": 1.5}, "world.")
