"""Implicit ALS: recovers planted taste groups, personal slates, works under any selector."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies.estimators import ImplicitMF
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.component_schema import check_arguments

from tests.builtins import make_policy
from tests.policies.policy_sim import Recorder, simulate


def _log(users: np.ndarray, items: np.ndarray, click: np.ndarray) -> Feedback:
    n = users.size
    return Feedback(t=np.zeros(n), user=users.astype(np.int64), item=items.astype(np.int64),
                    rank=np.ones(n, dtype=np.int16), click=click.astype(bool),
                    reward=click.astype(np.float32), propensity=np.ones(n, dtype=np.float32))


def test_recovers_two_taste_groups() -> None:
    """Users 0-19 click items 0-9, users 20-39 click items 10-19, each a random half."""
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(40), 20)
    items = np.tile(np.arange(20), 40)
    same = (users < 20) == (items < 10)
    click = same & (rng.random(users.size) < 0.5)
    mf = ImplicitMF(n_factors=2, iterations=5)
    mf.update(_log(users, items, click))
    s = mf.user_scores(np.arange(40), np.arange(20))
    assert np.all(s[:20, :10].min(axis=1) > s[:20, 10:].max(axis=1))
    assert np.all(s[20:, 10:].min(axis=1) > s[20:, :10].max(axis=1))
    assert mf.personalized and mf.version == 1


def test_unseen_users_get_the_mean_user_and_scores_are_global() -> None:
    mf = ImplicitMF(n_factors=2)
    assert np.all(mf.user_scores(np.array([3]), np.arange(4)) == 0)
    mf.update(_log(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1, 1, 1])))
    cold = mf.user_scores(np.array([99]), np.arange(3))
    np.testing.assert_allclose(cold[0], mf.scores(np.arange(3)))
    assert cold[0, 0] > cold[0, 2]  # item 0 is clicked by both users, item 2 by none


def test_bad_parameters_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"policy.estimator.n_factors == 0"):
        check_arguments(ImplicitMF, {"n_factors": 0}, "policy.estimator.")
    with pytest.raises(ConfigError, match=r"policy.estimator.regularization == 0.0.*> 0"):
        check_arguments(ImplicitMF, {"regularization": 0.0}, "policy.estimator.")


def test_mf_serves_personal_slates_and_epsilon_zero_matches_greedy() -> None:
    greedy, eps0 = Recorder(make_policy("mf", "policy.estimator.n_factors=4")), Recorder(
        make_policy("epsilon_greedy", "policy/estimator=mf", "policy.selector.epsilon=0.0",
                    "policy.estimator.n_factors=4"))
    a = simulate(greedy, seed=5, personalization=0.9, horizon=2.0)
    simulate(eps0, seed=5, personalization=0.9, horizon=2.0)
    for x, y in zip(greedy.slates, eps0.slates, strict=True):
        np.testing.assert_array_equal(x, y)
    late = greedy.slates[-1]
    assert len({tuple(r) for r in late.tolist()}) > 1  # slates differ across users
    assert np.isfinite(a.summary["final_metrics"]["tau_scores"])


def test_mf_beats_popularity_on_a_personal_world() -> None:
    mf = simulate(make_policy("mf", "policy.estimator.n_factors=8"), seed=0, personalization=1.0,
                  horizon=6.0)
    pop = simulate(make_policy("popularity"), seed=0, personalization=1.0, horizon=6.0)
    assert (mf.summary["final_metrics"]["expected_clicks_window"]
            > pop.summary["final_metrics"]["expected_clicks_window"])


def test_cached_candidate_factors_follow_the_model_and_the_candidates() -> None:
    rng = np.random.default_rng(5)
    mf = ImplicitMF(n_factors=3, iterations=2)
    mf.update(_log(rng.integers(0, 30, 300), rng.integers(0, 12, 300), rng.random(300) < 0.3))
    users, cand = np.arange(35), np.arange(12)
    first = mf.user_scores(users, cand)
    np.testing.assert_array_equal(mf.user_scores(users, cand), first)  # cached: same values
    cand[:] = cand[::-1]  # the same array changed in place: not served from the cache
    np.testing.assert_array_equal(mf.user_scores(users, cand), first[:, ::-1])
    np.testing.assert_array_equal(mf.user_scores(users, np.arange(14))[:, :12], first)
    mf.update(_log(np.array([1, 2]), np.array([13, 13]), np.array([1, 1])))
    fresh = ImplicitMF(n_factors=3, iterations=2)
    fresh.__dict__.update({k: v for k, v in mf.__dict__.items() if k != "_serving"})
    fresh._serving = None
    np.testing.assert_array_equal(mf.user_scores(users, np.arange(14)),
                                  fresh.user_scores(users, np.arange(14)))
