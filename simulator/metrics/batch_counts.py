"""The counts of one served batch, made once for the recorder and for training.

The recorder adds a batch's exposure and clicks to its per-item counters; a count-based
estimator adds the same numbers to its own at the next retrain. :func:`count_batch`
locates the clicks and, when the batch is large against the catalogue, counts both per
item id (:class:`~loopsim.simulator.contract.item_totals.ItemTotals`): the recorder adds
those vectors, and the engine hands them to the policy with the batch's feedback.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from loopsim.simulator.contract.batches import Slates
from loopsim.simulator.contract.item_totals import ItemTotals


@dataclass(frozen=True)
class BatchCounts:
    """Where a served batch was clicked, and its per-item totals when counted densely.

    Attributes:
        sessions: ``(C,)`` row (session) of each click, in row-major order.
        clicked: ``(C,)`` item id of each click, in the same order.
        hits: ``(C,)`` flat index (``row * k + rank - 1``) of each click.
        totals: Exposure and clicks of every item id below ``size``
            (``rows``/``clicks``), or ``None`` when the batch has fewer impressions
            than ``size`` (the counters are then updated id by id).
    """

    sessions: np.ndarray
    clicked: np.ndarray
    hits: np.ndarray
    totals: ItemTotals | None


def count_batch(slates: Slates, clicks: np.ndarray, size: int) -> BatchCounts:
    """The :class:`BatchCounts` of served ``slates`` and their ``clicks``.

    Columns that hold the same ids in every row (a shared slate, or a built-in
    selector's ``fixed_columns``) are counted once for the batch.

    Args:
        slates: The served slates (validated: ids below ``size``, no repeats in a row).
        clicks: ``(B, k)`` bool clicks.
        size: Length of the per-item vectors (one more than the largest candidate id).
    """
    items = slates.items
    b, k = items.shape
    hits = np.flatnonzero(clicks)  # a 1-D scan: ~7x faster than a 2-D np.nonzero
    sessions = hits // k
    shared = slates.is_shared
    clicked = items[0][hits - sessions * k] if shared else items.reshape(-1)[hits]
    totals = None
    if 0 < size <= b * k:  # dense vectors no longer than the batch's own rows
        fixed = k if shared else slates.fixed_columns if slates.is_constructed else 0
        if fixed < k:
            exposure = np.bincount(items[:, fixed:].reshape(-1), minlength=size)
        else:
            exposure = np.zeros(size, dtype=np.int64)
        if fixed:
            exposure[items[0, :fixed]] += b
        totals = ItemTotals(exposure, np.bincount(clicked, minlength=size))
    return BatchCounts(sessions, clicked, hits, totals)


__all__ = ["BatchCounts", "count_batch"]
