"""The contract's data types."""

from __future__ import annotations

import numpy as np
from loopsim.policies import Random
from loopsim.simulator import Feedback, RankingPolicy, Slates

from tests.builtins import make_policy


def test_feedback_from_slates_flattens_rows_in_rank_order() -> None:
    items = np.array([[3, 1], [2, 0]])
    fb = Feedback.from_slates(
        times=np.array([0.5, 0.7]),
        users=np.array([10, 11]),
        slates=Slates(items, np.array([[0.5, 0.25], [1.0, 0.5]])),
        clicks=np.array([[True, False], [False, True]]),
        rewards=np.array([[1.0, 0.0], [0.0, 1.0]]),
    )
    assert len(fb) == 4
    np.testing.assert_array_equal(fb.user, [10, 10, 11, 11])
    np.testing.assert_array_equal(fb.item, [3, 1, 2, 0])
    np.testing.assert_array_equal(fb.rank, [1, 2, 1, 2])
    np.testing.assert_array_equal(fb.t, [0.5, 0.5, 0.7, 0.7])
    np.testing.assert_array_equal(fb.click, [True, False, False, True])
    np.testing.assert_allclose(fb.propensity, [0.5, 0.25, 1.0, 0.5])


def test_feedback_deterministic_policy_has_propensity_one_and_shared_rows_expand() -> None:
    row = np.array([4, 2, 9])
    fb = Feedback.from_slates(np.zeros(2), np.array([0, 1]), Slates(np.broadcast_to(row, (2, 3))),
                              np.zeros((2, 3), bool), np.zeros((2, 3)))
    np.testing.assert_array_equal(fb.item, [4, 2, 9, 4, 2, 9])
    np.testing.assert_array_equal(fb.propensity, np.ones(6))


def test_feedback_concat_and_empty() -> None:
    empty = Feedback.empty()
    assert len(empty) == 0
    assert len(Feedback.concat([])) == 0
    one = Feedback.from_slates(np.zeros(1), np.array([1]), Slates(np.array([[5, 6]])),
                               np.array([[True, False]]), np.ones((1, 2)))
    both = Feedback.concat([one, empty, one])
    np.testing.assert_array_equal(both.item, [5, 6, 5, 6])


def test_slates_is_shared_detects_broadcast_views() -> None:
    assert Slates(np.broadcast_to(np.arange(3), (4, 3))).is_shared
    assert not Slates(np.zeros((4, 3), dtype=int)).is_shared


def test_builtin_policies_satisfy_the_protocol() -> None:
    assert isinstance(make_policy("popularity"), RankingPolicy)
    assert isinstance(Random(), RankingPolicy)
