"""The MusicLab world: appeal, quality, and the social signal of displayed downloads."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import ConfigError, Feedback, MusicLabWorld
from loopsim.simulator.params.component_schema import check_arguments


def _downloads(items: list[int], rewards: list[float]) -> Feedback:
    n = len(items)
    return Feedback(t=np.zeros(n), user=np.zeros(n, dtype=np.int64),
                    item=np.asarray(items, dtype=np.int64), rank=np.ones(n, dtype=np.int16),
                    click=np.ones(n, dtype=bool), reward=np.asarray(rewards, dtype=np.float32),
                    propensity=np.ones(n, dtype=np.float32))


def test_relevance_is_appeal_plus_social_signal_of_downloads() -> None:
    world = MusicLabWorld(n_items=4, social_weight=0.5, social_exponent=0.5)
    world.reset(np.random.default_rng(0))
    ids = np.arange(4)
    np.testing.assert_array_equal(world.relevance(np.arange(3), ids)[1], world.appeal(ids))
    version = world.version
    world.observe(_downloads([2, 2, 2, 2, 1], [1, 1, 1, 1, 0]))  # a listen without download
    assert world.version != version
    np.testing.assert_array_equal(world.downloads(ids), [0, 0, 4, 0])
    expected = world.appeal(ids) + 0.5 * np.array([0, 0, 2.0, 0])
    np.testing.assert_allclose(world.attractiveness(ids), expected)
    slates = np.array([[2, 0], [1, 3]])
    np.testing.assert_allclose(world.relevance_of_slates(np.zeros(2, dtype=np.int64), slates),
                               expected[slates])
    np.testing.assert_array_equal(world.conversion_of_slates(np.zeros(2), slates),
                                  world.quality(slates))
    np.testing.assert_array_equal(world.true_value(ids), world.quality(ids))


def test_independent_world_ignores_downloads() -> None:
    world = MusicLabWorld(n_items=3, social_weight=0.0)
    world.reset(np.random.default_rng(0))
    version = world.version
    world.observe(_downloads([0, 0], [1, 1]))
    assert world.version == version
    np.testing.assert_array_equal(world.attractiveness(np.arange(3)), world.appeal(np.arange(3)))
    assert world.downloads(np.arange(3))[0] == 2


def test_same_seed_same_songs() -> None:
    a, b = MusicLabWorld(), MusicLabWorld()
    a.reset(np.random.default_rng(7))
    b.reset(np.random.default_rng(7))
    np.testing.assert_array_equal(a.quality(np.arange(48)), b.quality(np.arange(48)))
    assert a.n_items == 48 and a.is_global


def test_bad_parameter_names_the_field() -> None:
    with pytest.raises(ConfigError, match="world.social_exponent"):
        check_arguments(MusicLabWorld, {"social_exponent": -1}, "world.")


def test_download_once_hides_a_downloaded_song_from_that_participant_only() -> None:
    world = MusicLabWorld(n_users=2, n_items=3, social_weight=0.0, download_once=True)
    world.reset(np.random.default_rng(0))
    assert not world.is_global
    world.observe(_downloads([1], [1.0]))                      # user 0 downloads song 1
    ids = np.arange(3)
    rel = world.relevance(np.array([0, 1]), ids)
    assert rel[0, 1] == 0.0 and rel[1, 1] == pytest.approx(world.appeal(ids)[1])
    slates = np.array([[1, 0], [1, 0]])
    got = world.relevance_of_slates(np.array([0, 1]), slates)
    assert got[0, 0] == 0.0 and got[1, 0] > 0
    np.testing.assert_array_equal(world.user_downloads()[0], [0, 1, 0])


def test_without_download_once_every_participant_sees_the_same_attractiveness() -> None:
    world = MusicLabWorld(n_users=2, n_items=3, social_weight=0.0)
    world.reset(np.random.default_rng(0))
    world.observe(_downloads([1], [1.0]))
    assert world.is_global
    rel = world.relevance(np.array([0, 1]), np.arange(3))
    np.testing.assert_array_equal(rel[0], rel[1])
