"""The oracle ranks by the truth it is handed."""

from __future__ import annotations

import numpy as np
from loopsim.simulator import SlateRequest, SyntheticWorld

from tests.builtins import make_policy


def test_oracle_ranks_each_user_by_true_relevance() -> None:
    world = SyntheticWorld(n_users=20, n_items=30, personalization=0.8)
    world.reset(np.random.default_rng(0))
    oracle = make_policy("oracle")
    oracle.estimator.use_ground_truth(world)
    cand = np.arange(30)
    users = np.array([0, 1, 2])
    slates = oracle.rank(SlateRequest(0.0, users, cand, 4, np.random.default_rng(0)))
    best = np.argsort(-world.relevance(users, cand), axis=1)[:, :4]
    np.testing.assert_array_equal(slates.items, best)
    np.testing.assert_allclose(oracle.item_scores(cand), world.true_value(cand))


def test_global_oracle_serves_one_shared_slate() -> None:
    world = SyntheticWorld(n_users=20, n_items=30, personalization=0.0)
    world.reset(np.random.default_rng(0))
    oracle = make_policy("oracle")
    oracle.estimator.use_ground_truth(world)
    slates = oracle.rank(SlateRequest(0.0, np.arange(5), np.arange(30), 3,
                                      np.random.default_rng(0)))
    assert slates.is_shared
    np.testing.assert_array_equal(slates.items[0], np.argsort(-world.quality(np.arange(30)))[:3])
