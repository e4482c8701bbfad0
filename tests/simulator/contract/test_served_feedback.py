"""Feedback.from_slates: the per-session columns are repeated per impression when read."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import numpy as np
import pytest
from loopsim.simulator.contract.batches import Feedback, Slates
from loopsim.simulator.contract.feedback_join import JoinedFeedback
from loopsim.simulator.contract.item_totals import ItemTotals


def served(seed: int) -> tuple[Feedback, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    times, users = np.sort(rng.random(6)), rng.integers(0, 50, 6)
    slates = Slates(np.stack([rng.choice(20, 3, replace=False) for _ in range(6)]))
    clicks = rng.random((6, 3)) < 0.5
    return (Feedback.from_slates(times, users, slates, clicks, clicks.astype(np.float32)),
            times, users)


def test_t_and_user_are_each_sessions_value_per_impression_made_when_read() -> None:
    fb, times, users = served(0)
    assert isinstance(fb, Feedback) and len(fb) == 18
    assert "t" not in vars(fb) and "user" not in vars(fb)
    np.testing.assert_array_equal(fb.t, np.repeat(times, 3))
    np.testing.assert_array_equal(fb.user, np.repeat(users, 3))
    assert fb.t is fb.t and fb.user.dtype == np.int64 and fb.t.dtype == np.float64


def test_copies_pickles_replacements_and_joins_see_every_column() -> None:
    for make in (lambda fb: pickle.loads(pickle.dumps(fb)), copy.deepcopy,
                 lambda fb: dataclasses.replace(fb, click=fb.click.copy())):
        fb, times, users = served(1)
        other = make(fb)
        np.testing.assert_array_equal(other.t, np.repeat(times, 3))
        np.testing.assert_array_equal(other.user, np.repeat(users, 3))
        np.testing.assert_array_equal(other.item, fb.item)
    parts = [served(2)[0], served(3)[0]]
    joined = JoinedFeedback.join(parts)
    np.testing.assert_array_equal(joined.user, np.concatenate([p.user for p in parts]))
    plain = Feedback(**{f.name: getattr(parts[0], f.name) for f in dataclasses.fields(Feedback)})
    np.testing.assert_array_equal(plain.t, parts[0].t)


def test_counted_columns_are_read_only_so_their_totals_cannot_go_stale() -> None:
    """A served batch with the engine's totals: writing into ``item`` or ``click`` (which
    the totals count) raises; without totals the columns stay writable."""
    fb, _, _ = served(4)
    assert fb.click.flags.writeable
    totals = ItemTotals.of_columns(fb.item, fb.click, fb.source)
    counted = Feedback.from_slates(np.zeros(6), np.zeros(6, dtype=np.int64),
                                   Slates(fb.item.reshape(6, 3).copy()),
                                   fb.click.reshape(6, 3).copy(),
                                   np.zeros((6, 3), np.float32), totals)
    assert counted.item_totals().rows.sum() == 18
    for column in (counted.item, counted.click):
        with pytest.raises(ValueError, match="read-only"):
            column[0] = column[1]


def test_the_batch_keeps_its_own_copy_of_the_session_arrays() -> None:
    """Writing into the arrays passed to ``from_slates`` afterwards (a reused buffer)
    changes nothing in the batch, although its ``t`` and ``user`` are made later."""
    times, users = np.array([0.5, 1.5]), np.array([3, 4])
    fb = Feedback.from_slates(times, users, Slates(np.array([[0, 1], [2, 3]])),
                              np.zeros((2, 2), dtype=bool), np.zeros((2, 2), np.float32))
    times[:] = 0.0
    users[:] = 99
    np.testing.assert_array_equal(fb.t, [0.5, 0.5, 1.5, 1.5])
    np.testing.assert_array_equal(fb.user, [3, 3, 4, 4])
    assert repr(fb).startswith("Feedback(t=array([0.5, 0.5, 1.5, 1.5])")
