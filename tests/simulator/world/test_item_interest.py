"""Per-item interest (Jiang et al. 2019): up when clicked, down when shown and not clicked."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import Feedback, ItemInterestWorld
from loopsim.simulator.metrics.users import drift_distance


def _shown(users: list[int], items: list[int], clicks: list[bool]) -> Feedback:
    n = len(items)
    return Feedback(t=np.zeros(n), user=np.asarray(users, dtype=np.int64),
                    item=np.asarray(items, dtype=np.int64), rank=np.ones(n, dtype=np.int16),
                    click=np.asarray(clicks), reward=np.asarray(clicks, dtype=np.float32),
                    propensity=np.ones(n, dtype=np.float32))


def test_interest_rises_when_clicked_and_falls_when_shown_and_not_clicked() -> None:
    world = ItemInterestWorld(n_users=2, n_items=3, step=0.5, negative_step=0.25)
    world.reset(np.random.default_rng(0))
    start = np.array(world.preferences)
    world.observe(_shown([0, 0, 1], [0, 1, 1], [True, False, True]))
    moved = np.array(world.preferences) - start
    np.testing.assert_allclose(moved, [[0.5, -0.25, 0.0], [0.0, 0.5, 0.0]])
    np.testing.assert_array_equal(world.shows(np.arange(3)), [[1, 1, 0], [0, 1, 0]])
    rel = world.relevance(np.array([0]), np.array([0]))
    assert rel[0, 0] == pytest.approx(1 / (1 + np.exp(-world.preferences[0, 0])))


def test_new_items_start_at_their_initial_interest_and_add_no_drift() -> None:
    world = ItemInterestWorld(n_users=3, n_items=2)
    world.reset(np.random.default_rng(1))
    world.observe(_shown([0], [0], [True]))
    before = drift_distance(world.initial_preferences, world.preferences)
    ids = world.add_items(4, np.random.default_rng(2))
    assert ids.tolist() == [2, 3, 4, 5] and world.preferences.shape == (3, 6)
    after = drift_distance(world.initial_preferences, world.preferences)
    assert after == pytest.approx(before) and before > 0


def test_an_item_shown_without_end_diverges_with_the_sign_of_its_interest() -> None:
    world = ItemInterestWorld(n_users=1, n_items=2, step=0.2, negative_step=0.2)
    world.reset(np.random.default_rng(3))
    rng = np.random.default_rng(4)
    for _ in range(3000):
        p = world.relevance(np.array([0]), np.array([0]))[0, 0]
        world.observe(_shown([0], [0], [bool(rng.random() < p)]))
    assert abs(world.preferences[0, 0]) > 50      # the walk left any bounded region
