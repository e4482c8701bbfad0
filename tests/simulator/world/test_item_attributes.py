"""Observable item attributes and genres of the synthetic world (off by default)."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import SyntheticWorld
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.world.item_attributes import genre_codes


def world(**options: object) -> SyntheticWorld:
    w = SyntheticWorld(n_users=30, n_items=40, personalization=0.6, item_arrival_rate=0.0,
                       **options)
    w.reset(np.random.default_rng(5))
    return w


def test_off_by_default_and_turning_them_on_moves_no_other_draw() -> None:
    plain, rich = world(), world(item_attributes=6)
    assert plain.attribute_dim == 0 and rich.attribute_dim == 6
    users, items = np.arange(30), np.arange(40)
    np.testing.assert_array_equal(plain.relevance(users, items), rich.relevance(users, items))
    np.testing.assert_array_equal(plain.activity(), rich.activity())
    new_plain = plain.add_items(5, np.random.default_rng(9))
    new_rich = rich.add_items(5, np.random.default_rng(9))
    np.testing.assert_array_equal(plain.quality(new_plain), rich.quality(new_rich))


def test_attributes_are_noisy_linear_views_of_the_latent_features() -> None:
    w = world(item_attributes=12, attribute_noise=0.3)
    items = np.arange(40)
    x, f = w.attributes_of(items), w.item_features(items)
    assert x.shape == (40, 12)
    coef, *_ = np.linalg.lstsq(f, x, rcond=None)  # the best linear map of the truth
    resid = x - f @ coef
    assert resid.std() == pytest.approx(0.3, rel=0.3)  # the noise: not the truth itself
    assert (f @ coef).std() > 0.1
    x[0, 0] = 99.0  # a copy
    assert w.attributes_of(items)[0, 0] != 99.0


def test_genres_are_the_signs_of_the_first_latent_features_and_new_items_get_them() -> None:
    w = world(item_attributes=4, genre_bits=2)
    new = w.add_items(7, np.random.default_rng(1))
    items = np.arange(47)
    f = w.item_features(items)
    expected = (f[:, 0] > 0).astype(int) + 2 * (f[:, 1] > 0).astype(int)
    np.testing.assert_array_equal(w.genres_of(items), expected)
    assert w.attributes_of(new).shape == (7, 4)
    np.testing.assert_array_equal(genre_codes(np.array([[1.0, -1.0, 1.0]]), 3), [5])


def test_more_genre_bits_than_latent_features_is_refused_with_the_field() -> None:
    w = SyntheticWorld(n_users=5, n_items=5, n_factors=2, item_attributes=3, genre_bits=3,
                       item_arrival_rate=0.0)
    with pytest.raises(ConfigError, match="world.genre_bits"):
        w.reset(np.random.default_rng(0))
