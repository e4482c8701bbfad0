"""The state the built-in worlds share (loopsim.simulator.world.state)."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator.contract.world import HasPreferences
from loopsim.simulator.world import (
    ChaneyWorld,
    InterestWorld,
    MusicLabWorld,
    RatingsWorld,
    SyntheticWorld,
)
from loopsim.simulator.world.state import PreferenceViews, UniformActivity, WorldState


class _Counted(UniformActivity, PreferenceViews, WorldState):
    def __init__(self) -> None:
        super().__init__(3, 2, 1.5, None)


def test_the_constructor_stores_the_shared_parameters_and_no_item() -> None:
    w = _Counted()
    assert (w.n_users, w.n_initial_items, w.sessions_per_user_per_day, w.seed) == (3, 2, 1.5, None)
    assert (w.n_items, w.version) == (0, 0)


def test_items_added_counts_ids_and_bumps_the_version() -> None:
    w = _Counted()
    ids = w._items_added(0, 2)
    assert ids.dtype == np.int64 and ids.tolist() == [0, 1]
    assert w._items_added(2, 5).tolist() == [2, 3, 4]
    assert (w.n_items, w.version) == (5, 2)
    w._reset_items()
    assert (w.n_items, w.version) == (0, 0)


def test_uniform_activity_gives_every_user_the_configured_rate() -> None:
    a = _Counted().activity()
    assert a.dtype == np.float64 and a.tolist() == [1.5, 1.5, 1.5]


def test_preference_views_are_read_only_and_keep_a_shared_buffer_shared() -> None:
    w = _Counted()
    w._preferences = np.ones((3, 2))
    w._initial_preferences = w._preferences
    assert isinstance(w, HasPreferences)
    with pytest.raises(ValueError):
        w.preferences[0, 0] = 2.0
    with pytest.raises(ValueError):
        w.initial_preferences[0, 0] = 2.0
    assert np.shares_memory(w.preferences, w.initial_preferences)


@pytest.mark.parametrize("cls", [SyntheticWorld, InterestWorld, MusicLabWorld, ChaneyWorld])
def test_built_in_worlds_count_their_items_through_the_shared_state(cls: type) -> None:
    world = cls(n_users=4, n_items=5)
    world.reset(np.random.default_rng(0))
    assert (world.n_items, world.version) == (5, 1)
    assert world.add_items(2, np.random.default_rng(1)).tolist() == [5, 6]
    assert (world.n_items, world.version) == (7, 2)


def test_only_worlds_with_initial_preferences_declare_the_preferences_hook() -> None:
    # On the class: an instance answers only after reset (the views read drawn arrays).
    hooked = [cls.__name__ for cls in (SyntheticWorld, InterestWorld, MusicLabWorld,
                                       ChaneyWorld, RatingsWorld)
              if hasattr(cls, "preferences") and hasattr(cls, "initial_preferences")]
    assert hooked == ["SyntheticWorld", "InterestWorld"]
