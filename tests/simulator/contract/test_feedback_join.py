"""JoinedFeedback: the training batch whose columns are concatenated on first access."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import numpy as np
import pytest
from loopsim.simulator.contract.batches import FEEDBACK_COLUMNS, Feedback, Slates
from loopsim.simulator.contract.feedback_join import JoinedFeedback

COLUMNS = [*FEEDBACK_COLUMNS, "versions"]


def batch(seed: int, sessions: int = 3, k: int = 2) -> Feedback:
    rng = np.random.default_rng(seed)
    return Feedback.from_slates(rng.random(sessions), rng.integers(0, 9, sessions),
                                Slates(rng.integers(0, 50, (sessions, k)),
                                       rng.random((sessions, k)) + 0.1),
                                rng.random((sessions, k)) < 0.5, rng.random((sessions, k)))


def assert_same(a: Feedback, b: Feedback) -> None:
    for name in COLUMNS:
        x, y = getattr(a, name), getattr(b, name)
        if name == "versions":
            assert (x is None) == (y is None), name
            for stage in x or {}:
                np.testing.assert_array_equal(x[stage], y[stage])
            continue
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y)


def test_join_equals_concat_and_joins_only_what_is_read() -> None:
    parts = [batch(0), batch(1, sessions=4), batch(2, sessions=1)]
    joined = JoinedFeedback.join(parts)
    assert isinstance(joined, Feedback) and len(joined) == 16
    assert "item" not in vars(joined)  # nothing joined yet
    np.testing.assert_array_equal(joined.item, np.concatenate([p.item for p in parts]))
    assert set(vars(joined)) == {"_batches", "item"}
    assert joined.item is joined.item  # joined once
    assert_same(joined, Feedback.concat(parts))
    assert "_batches" not in vars(joined)  # released once every column is joined
    assert len(joined) == 16


def test_zero_or_one_batch_is_a_plain_feedback() -> None:
    one = batch(3)
    assert JoinedFeedback.join([one]) is one
    empty = JoinedFeedback.join([])
    assert type(empty) is Feedback and len(empty) == 0


def test_copies_replace_pickle_and_equality_behave_like_concat() -> None:
    parts = [batch(4), batch(5)]
    joined = JoinedFeedback.join(parts)
    assert_same(pickle.loads(pickle.dumps(joined)), Feedback.concat(parts))
    assert_same(copy.deepcopy(JoinedFeedback.join(parts)), Feedback.concat(parts))
    replaced = dataclasses.replace(JoinedFeedback.join(parts), click=np.zeros(12, dtype=bool))
    assert not replaced.click.any() and len(replaced) == 12
    assert "JoinedFeedback" in repr(JoinedFeedback.join(parts))
    with pytest.raises(AttributeError, match="no attribute 'weight'"):
        _ = JoinedFeedback.join(parts).weight
