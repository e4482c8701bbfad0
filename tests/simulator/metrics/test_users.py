"""User-side metrics checked against their definitions on hand-made arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from loopsim.simulator.metrics.users import (
    distinct_consumption,
    drift_distance,
    homogenization,
    user_entropy_window,
)


def jaccard_by_sets(users: list[int], items: list[int], pairs: list[tuple[int, int]]) -> float:
    """Textbook form with Python sets; pairs with two empty sets left out."""
    sets: dict[int, set[int]] = {}
    for u, i in zip(users, items, strict=True):
        sets.setdefault(u, set()).add(i)
    values = []
    for a, b in pairs:
        sa, sb = sets.get(a, set()), sets.get(b, set())
        if sa or sb:
            values.append(len(sa & sb) / len(sa | sb))
    return float(np.mean(values)) if values else math.nan


# -- distinct_consumption ----------------------------------------------------------------


def test_distinct_consumption_counts_repeats_sorted_by_user_then_item() -> None:
    u, i, c = distinct_consumption(np.array([3, 1, 3, 1, 3]), np.array([7, 2, 5, 2, 7]))
    assert u.tolist() == [1, 3, 3]
    assert i.tolist() == [2, 5, 7]
    assert c.tolist() == [2, 1, 2]


def test_distinct_consumption_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="equal length"):
        distinct_consumption(np.array([1, 2]), np.array([1]))


def test_distinct_consumption_rejects_float_ids() -> None:
    with pytest.raises(ValueError, match="integer ids"):
        distinct_consumption(np.array([1.0]), np.array([1.5]))


# -- drift_distance ----------------------------------------------------------------------


def test_drift_distance_is_zero_when_nobody_moved() -> None:
    p = np.eye(3)
    assert drift_distance(p, p.copy()) == 0.0


def test_drift_distance_is_the_mean_of_row_distances() -> None:
    start = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    now = np.array([[0.0, 1.0], [0.0, -1.0], [1.0, 0.0]])
    # sqrt(2), 2, 0
    assert drift_distance(start, now) == pytest.approx((math.sqrt(2) + 2.0) / 3)


def test_drift_distance_of_no_users_is_nan() -> None:
    assert math.isnan(drift_distance(np.zeros((0, 4)), np.zeros((0, 4))))


def test_drift_distance_rejects_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="same shape"):
        drift_distance(np.zeros((3, 2)), np.zeros((2, 2)))


# -- user_entropy_window -----------------------------------------------------------------


def test_user_entropy_is_one_when_every_consumption_is_distinct() -> None:
    got = user_entropy_window(np.array([0, 0, 0, 5, 5]), np.array([1, 2, 3, 1, 9]))
    assert got == pytest.approx(1.0)


def test_user_entropy_is_zero_when_one_item_is_repeated() -> None:
    assert user_entropy_window(np.array([4, 4, 4]), np.array([8, 8, 8])) == 0.0


def test_user_entropy_matches_the_definition() -> None:
    # user 0: items a, a, b -> H = -(2/3 log 2/3 + 1/3 log 1/3), / log 3
    # user 1: items c, c, d, d -> H = log 2, / log 4 = 1/2
    h0 = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(3)
    users = np.array([0, 1, 0, 1, 0, 1, 1])
    items = np.array([10, 30, 10, 31, 11, 30, 31])
    assert user_entropy_window(users, items) == pytest.approx((h0 + 0.5) / 2)


def test_user_entropy_leaves_out_users_with_one_consumption() -> None:
    users = np.array([0, 0, 7])
    items = np.array([1, 1, 5])
    assert user_entropy_window(users, items) == 0.0  # only user 0 counts


def test_user_entropy_is_nan_without_a_user_with_two_consumptions() -> None:
    assert math.isnan(user_entropy_window(np.array([1, 2]), np.array([3, 3])))
    assert math.isnan(user_entropy_window(np.zeros(0, np.int64), np.zeros(0, np.int64)))


# -- homogenization ----------------------------------------------------------------------


def test_homogenization_of_identical_sets_is_one() -> None:
    users = np.array([0, 0, 1, 1, 1])
    items = np.array([4, 5, 5, 4, 4])
    assert homogenization(users, items, np.array([[0, 1]])) == 1.0


def test_homogenization_of_disjoint_sets_is_zero() -> None:
    assert homogenization(np.array([0, 1]), np.array([4, 5]), np.array([[0, 1]])) == 0.0


def test_homogenization_matches_the_jaccard_definition() -> None:
    # {1,2,3} vs {2,3,4}: 2/4; {1,2,3} vs {9}: 0; {2,3,4} vs {2,3,4}: 1
    users = np.array([0, 0, 0, 1, 1, 1, 2, 3, 3, 3])
    items = np.array([1, 2, 3, 2, 3, 4, 9, 4, 3, 2])
    pairs = np.array([[0, 1], [0, 2], [1, 3]])
    assert homogenization(users, items, pairs) == pytest.approx((0.5 + 0.0 + 1.0) / 3)


def test_homogenization_leaves_out_pairs_where_both_sets_are_empty() -> None:
    users = np.array([0, 1])
    items = np.array([3, 3])
    pairs = np.array([[0, 1], [5, 6], [0, 6]])  # 1, left out, 0
    assert homogenization(users, items, pairs) == pytest.approx(0.5)


def test_homogenization_is_nan_when_no_pair_consumed() -> None:
    assert math.isnan(homogenization(np.array([0]), np.array([1]), np.array([[2, 3]])))
    assert math.isnan(homogenization(np.array([0]), np.array([1]), np.zeros((0, 2), np.int64)))


def test_homogenization_rejects_bad_pairs() -> None:
    with pytest.raises(ValueError, match=r"\(P, 2\)"):
        homogenization(np.array([0]), np.array([1]), np.array([0, 1]))


@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 12)), max_size=40),
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), min_size=1, max_size=12),
)
def test_homogenization_agrees_with_python_sets(
    events: list[tuple[int, int]], pairs: list[tuple[int, int]]
) -> None:
    users = [u for u, _ in events]
    items = [i for _, i in events]
    got = homogenization(
        np.array(users, dtype=np.int64), np.array(items, dtype=np.int64), np.array(pairs)
    )
    want = jaccard_by_sets(users, items, pairs)
    if math.isnan(want):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(want)


def test_distinct_consumption_same_rows_with_keys_and_without() -> None:
    from loopsim.simulator.metrics.users import distinct_consumption

    rng = np.random.default_rng(5)
    users, items = rng.integers(0, 30, 500), rng.integers(0, 20, 500)
    small = distinct_consumption(users, items)  # combined (user, item) keys
    huge = distinct_consumption(users + (1 << 40), items + (1 << 30))  # keys would overflow
    np.testing.assert_array_equal(huge[0] - (1 << 40), small[0])
    np.testing.assert_array_equal(huge[1] - (1 << 30), small[1])
    np.testing.assert_array_equal(huge[2], small[2])
    pairs = {(u, i) for u, i in zip(users.tolist(), items.tolist(), strict=True)}
    assert sorted(pairs) == list(zip(small[0].tolist(), small[1].tolist(), strict=True))
