"""ItemTotals: the per-item counts a count-based estimator reads, equal to counting the log."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
from loopsim.policies.estimators import BetaCTR, ClickCount
from loopsim.simulator.contract.batches import ORGANIC, Feedback, Slates
from loopsim.simulator.contract.feedback_join import JoinedFeedback
from loopsim.simulator.contract.item_totals import ItemTotals
from loopsim.simulator.metrics.batch_counts import count_batch

N_ITEMS = 40


def served(seed: int, sessions: int = 30, k: int = 4, counted: bool = True) -> Feedback:
    """A served batch, with the engine's totals (``counted``) or without."""
    rng = np.random.default_rng(seed)
    items = np.stack([rng.choice(N_ITEMS, k, replace=False) for _ in range(sessions)])
    slates = Slates(items)
    clicks = rng.random((sessions, k)) < 0.3
    totals = count_batch(slates, clicks, N_ITEMS).totals if counted else None
    if counted:
        assert totals is not None
    return Feedback.from_slates(rng.random(sessions), rng.integers(0, 9, sessions), slates,
                                clicks, clicks.astype(np.float32), totals)


def organic(seed: int, rows: int = 7) -> Feedback:
    """Organic rows (clicked, source 1), without totals."""
    rng = np.random.default_rng(seed)
    fb = served(seed, sessions=rows, k=1, counted=False)
    return dataclasses.replace(fb, click=np.ones(rows, dtype=bool),
                               source=np.full(rows, ORGANIC, dtype=np.int8),
                               item=rng.integers(0, N_ITEMS + 5, rows))


def counted_from_columns(fb: Feedback) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    item, click, source = fb.item, fb.click, fb.source
    n = max(N_ITEMS + 5, int(item.max()) + 1)
    return (np.bincount(item, minlength=n), np.bincount(item[click], minlength=n),
            np.bincount(item[source != 0], minlength=n))


def assert_totals_equal(totals: ItemTotals, fb: Feedback) -> None:
    rows, clicks, found = counted_from_columns(fb)
    n = totals.size
    assert n > int(fb.item.max())
    for got, want in ((totals.rows, rows), (totals.clicks, clicks),
                      (totals.organic if totals.organic is not None else np.zeros(n), found)):
        np.testing.assert_array_equal(np.pad(got, (0, max(0, want.size - n))),
                                      np.pad(want, (0, max(0, n - want.size))))


def test_served_batches_carry_the_engines_totals_and_they_equal_the_columns_counts() -> None:
    fb = served(0)
    assert fb.totals is not None and fb.item_totals() is fb.totals
    assert_totals_equal(fb.item_totals(), fb)


def test_totals_are_recounted_once_a_column_is_replaced() -> None:
    fb = served(1)
    changed = dataclasses.replace(fb, click=np.zeros(len(fb), dtype=bool))
    assert changed.totals is fb.totals  # carried over by replace, but no longer describing
    assert changed.item_totals() is not fb.totals
    assert not changed.item_totals().clicks.any()
    assert_totals_equal(changed.item_totals(), changed)


def test_joined_totals_sum_the_batches_and_count_only_the_rest() -> None:
    parts = [served(2), organic(3), served(4, sessions=10), served(5, counted=False)]
    joined = JoinedFeedback.join(parts)
    totals = joined.item_totals()
    assert "item" not in vars(joined)  # no column of the whole log joined
    assert_totals_equal(totals, Feedback.concat(parts))
    _ = joined.item, joined.click, joined.source  # joined (still summing the batches: the
    # batches are released only once versions is read too); the same counts as a new join
    assert_totals_equal(JoinedFeedback.join(parts).item_totals(), joined)


def test_estimators_learn_the_same_from_totals_and_from_columns() -> None:
    retrains = ([6, 7, 8], [9])  # two updates, the first with organic rows
    with_totals = [JoinedFeedback.join([served(s) for s in seeds] + [organic(seeds[0] + 50)])
                   for seeds in retrains]
    without = [Feedback.concat([served(s, counted=False) for s in seeds]
                               + [organic(seeds[0] + 50)]) for seeds in retrains]
    items = np.arange(N_ITEMS + 10)
    for make in (BetaCTR, lambda: BetaCTR(learn_from_organic=True), ClickCount,
                 lambda: ClickCount(organic=False)):
        a, b = make(), make()
        for fa, fb in zip(with_totals, without, strict=True):
            a.update(fa)
            b.update(fb)
            np.testing.assert_array_equal(a.scores(items), b.scores(items))


def test_nothing_can_write_into_counted_columns_or_totals_and_copies_are_recounted() -> None:
    """The totals stay true: the joined log's counted columns and the count vectors are
    read-only, and a deep copy (writable again) is counted from its own columns."""
    joined = JoinedFeedback.join([served(11), served(12)])
    for column in (joined.item, joined.click, joined.source):
        with pytest.raises(ValueError, match="read-only"):
            column[0] = column[1]
    totals = joined.item_totals()
    for counts in (totals.rows, totals.clicks):
        with pytest.raises(ValueError, match="read-only"):
            counts[0] += 1
    one = served(13)
    twin = copy.deepcopy(one)
    assert twin.click.flags.writeable
    assert not twin.totals.describes(twin.item, twin.click, twin.source)
    twin.click[:] = False  # a copy may be changed: its counts follow
    assert twin.item_totals().clicks.sum() == 0
    assert one.item_totals().clicks.sum() == one.click.sum() > 0
