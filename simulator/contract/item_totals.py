"""Per-item totals of a feedback batch: what a global count-based estimator reads.

A count-based estimator (popularity, CTR with a prior) needs, per item id, how many
rows the batch holds, how many of them were clicked and how many were organic: three
``np.bincount``\\ s over the batch's columns (over 10M rows in a long run). The engine has
those counts already for every batch it serves (its exposure and click counters are
built from them), so it hands them over with the batch (:attr:`Feedback.totals`) and
:meth:`Feedback.item_totals` sums them per retrain instead of counting the joined
columns again: the same integers, so the same model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ItemTotals:
    """Per-item counts of a batch's rows, indexed by item id (``np.bincount``\\ s).

    Attributes:
        rows: ``(n,)`` int64 rows of each item id (recommended impressions and organic
            finds), ``n`` greater than every id in the batch.
        clicks: ``(n,)`` int64 clicked rows of each item id (organic rows are logged as
            clicked).
        organic: ``(n,)`` int64 organic rows of each item id, or ``None`` when the batch
            has none.
        columns: The ``(item, click, source)`` arrays counted, when known: the totals
            describe a batch only while its columns *are* these arrays
            (:meth:`describes`), so a batch rebuilt with other columns (e.g.
            ``dataclasses.replace``) is counted again.
    """

    rows: np.ndarray
    clicks: np.ndarray
    organic: np.ndarray | None = None
    columns: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(
        default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Shared by the recorder, the policy and its shadow: nobody may write into them.
        for counts in (self.rows, self.clicks, self.organic):
            if counts is not None:
                counts.flags.writeable = False

    @property
    def size(self) -> int:
        """Length ``n`` of the count vectors (one more than the largest id they can hold)."""
        return int(self.rows.shape[0])

    def describes(self, item: np.ndarray, click: np.ndarray, source: np.ndarray) -> bool:
        """Whether these totals were counted from exactly these column arrays, and the
        arrays are read-only (so nothing can have written into them since): a copy made
        writable by ``copy.deepcopy`` or a pickle round trip is counted again."""
        c = self.columns
        return (c is not None and c[0] is item and c[1] is click and c[2] is source
                and not (item.flags.writeable or click.flags.writeable
                         or source.flags.writeable))

    @classmethod
    def of_columns(cls, item: np.ndarray, click: np.ndarray, source: np.ndarray,
                   size: int = 0) -> ItemTotals:
        """The totals of feedback columns, by counting them.

        Args:
            item: ``(N,)`` integer item ids.
            click: ``(N,)`` bool clicks.
            source: ``(N,)`` int8 sources (0 recommended, else organic).
            size: Minimum length of the count vectors.
        """
        n = max(size, int(item.max()) + 1 if item.size else 0)
        organic = None
        if source.any():
            organic = np.bincount(item[source != 0], minlength=n)
        return cls(np.bincount(item, minlength=n), np.bincount(item[click], minlength=n),
                   organic, columns=(item, click, source))

    @classmethod
    def total(cls, parts: Sequence[ItemTotals]) -> ItemTotals:
        """The sum of several batches' totals (the longest length; one part is returned as is)."""
        if len(parts) == 1:
            return parts[0]
        n = max((p.size for p in parts), default=0)
        rows = np.zeros(n, dtype=np.int64)
        clicks = np.zeros(n, dtype=np.int64)
        organic = None
        for p in parts:
            rows[: p.size] += p.rows
            clicks[: p.size] += p.clicks
            if p.organic is not None:
                if organic is None:
                    organic = np.zeros(n, dtype=np.int64)
                organic[: p.organic.shape[0]] += p.organic
        return cls(rows, clicks, organic)


__all__ = ["ItemTotals"]
