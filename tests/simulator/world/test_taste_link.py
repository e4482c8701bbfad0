"""The synthetic world's taste link: linear by default, saturating or a step on demand."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import ConfigError, Feedback, SyntheticWorld
from loopsim.simulator.world.synthetic import taste_term


def _world(**kw: object) -> SyntheticWorld:
    w = SyntheticWorld(**{"n_users": 300, "n_items": 50, "personalization": 0.6,  # type: ignore[arg-type]
                          "item_arrival_rate": 0.0, **kw})
    w.reset(np.random.default_rng(0))
    return w


def test_taste_term_on_hand_made_dots() -> None:
    dot = np.array([-1.0, -0.5, 0.0, 0.1, 0.5, 1.0])
    np.testing.assert_allclose(taste_term(dot, "linear", 3.0), [0, 0.25, 0.5, 0.55, 0.75, 1])
    np.testing.assert_allclose(taste_term(dot, "saturate", 3.0), [0, 0, 0.5, 0.65, 1, 1])
    np.testing.assert_allclose(taste_term(dot, "step", 3.0), [0, 0, 0, 1, 1, 1])


def test_the_default_link_is_linear_and_draws_the_same_world() -> None:
    plain, linear = _world(), _world(taste_link="linear")
    assert plain.taste_link == "linear"
    users, items = np.arange(20), np.arange(50)
    np.testing.assert_array_equal(plain.relevance(users, items), linear.relevance(users, items))


@pytest.mark.parametrize("link", ["saturate", "step"])
def test_relevance_follows_the_link(link: str) -> None:
    w, lin = _world(taste_link=link), _world()
    users, items = np.arange(30), np.arange(50)
    dot = w.preferences[users] @ w._features[items].T
    expected = 0.4 * w.quality(items)[None, :] + 0.6 * taste_term(dot, link, 3.0)
    np.testing.assert_allclose(w.relevance(users, items), expected, atol=1e-12)
    assert not np.allclose(expected, lin.relevance(users, items))
    slates = np.tile(items[:5], (30, 1))
    np.testing.assert_allclose(w.relevance_of_slates(users, slates), expected[:, :5],
                               atol=1e-12)


@pytest.mark.parametrize("link", ["linear", "saturate", "step"])
def test_true_value_is_the_activity_weighted_mean_relevance(link: str) -> None:
    w = _world(taste_link=link)
    items = np.arange(50)
    rel = w.relevance(np.arange(300), items)
    weights = w.activity() / w.activity().sum()
    np.testing.assert_allclose(w.true_value(items), weights @ rel, atol=1e-10)
    np.testing.assert_allclose(w.mean_relevance(items), rel.mean(axis=0), atol=1e-10)


def test_an_unknown_link_is_refused_with_the_field() -> None:
    with pytest.raises(ConfigError, match="world.taste_link == 'cubic'"):
        _world(taste_link="cubic")


def test_the_kept_true_value_follows_drift_new_items_and_a_new_world() -> None:
    """Under a non-linear link the true value is computed once per world version: it
    must follow whatever moves relevance (drift, arrivals) and a reset."""
    w = _world(taste_link="saturate", drift=0.5)
    items = np.arange(50)
    before = w.true_value(items).copy()
    np.testing.assert_array_equal(w.true_value(items[::-1]), before[::-1])  # kept, indexed
    users = np.arange(100)
    w.observe(Feedback(t=np.zeros(100), user=users, item=np.zeros(100, dtype=np.int64),
                       rank=np.ones(100, dtype=np.int16), click=np.ones(100, dtype=bool),
                       reward=np.ones(100, dtype=np.float32),
                       propensity=np.ones(100, dtype=np.float32)))
    rel = w.relevance(np.arange(300), items)
    weights = w.activity() / w.activity().sum()
    after = w.true_value(items)
    np.testing.assert_allclose(after, weights @ rel, atol=1e-10)
    assert np.abs(after - before).max() > 1e-3
    new = w.add_items(3, np.random.default_rng(1))
    rel = w.relevance(np.arange(300), new)
    np.testing.assert_allclose(w.true_value(new), weights @ rel, atol=1e-10)
    w.reset(np.random.default_rng(5))
    rel = w.relevance(np.arange(300), items)
    weights = w.activity() / w.activity().sum()
    np.testing.assert_allclose(w.true_value(items), weights @ rel, atol=1e-10)
