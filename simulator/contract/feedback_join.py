"""Feedback batches joined for training, each column concatenated on first access.

At each retrain the engine hands the policy every row served since the last one (one
:class:`~loopsim.simulator.Feedback`). Concatenating all seven columns costs ~35 bytes
of fresh memory per row (5 ms per 250,000 rows, mostly page faults), while a
count-based estimator reads two of them (``item`` and ``click``). :class:`JoinedFeedback`
is a ``Feedback`` with all the rows whose columns are concatenated when first read (and
kept), so a policy sees exactly what :meth:`Feedback.concat` would give it and pays only
for the columns it uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from loopsim.simulator.contract.batches import FEEDBACK_COLUMNS, Feedback, join_versions
from loopsim.simulator.contract.item_totals import ItemTotals

_COLUMNS = frozenset(FEEDBACK_COLUMNS)
#: The columns per-item totals count: read-only once joined from batches that carry them.
_COUNTED = frozenset(("item", "click", "source"))


class JoinedFeedback(Feedback):
    """The rows of several feedback batches in order; columns joined lazily.

    Build it with :meth:`join`. Reading a column (``fb.item``...) concatenates it from the
    batches once and stores it; ``len`` needs no column. It compares, prints and copies
    like the equivalent :meth:`Feedback.concat` result (every column is then joined);
    once all columns are joined, the batches are released.
    """

    @classmethod
    def join(cls, batches: Sequence[Feedback]) -> Feedback:
        """The batches row-wise, in order (a plain ``Feedback`` for 0 or 1 batch).

        Args:
            batches: Feedback batches; not copied, so they must not be modified later
                (the engine never modifies served feedback).

        Returns:
            A ``Feedback`` equal to ``Feedback.concat(batches)``.
        """
        if len(batches) <= 1:
            return Feedback.concat(batches)
        out = object.__new__(cls)
        object.__setattr__(out, "_batches", tuple(batches))
        return out

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: a column that is not joined yet.
        batches = self.__dict__.get("_batches")
        if name not in _COLUMNS or batches is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        column = np.concatenate([getattr(b, name) for b in batches])
        if name in _COUNTED and any(b.totals is not None for b in batches):
            column.flags.writeable = False  # item_totals() sums the batches' own totals
        object.__setattr__(self, name, column)
        self._release()
        return column

    def _release(self) -> None:
        if _COLUMNS <= self.__dict__.keys() and "_versions" in self.__dict__:
            object.__delattr__(self, "_batches")

    @property  # type: ignore[override]
    def versions(self) -> Any:
        """The stages' model versions of every row, joined on first access (or ``None``)."""
        if "_versions" not in self.__dict__:
            object.__setattr__(self, "_versions", join_versions(self.__dict__["_batches"]))
            self._release()
        return self.__dict__["_versions"]

    @versions.setter
    def versions(self, value: Any) -> None:  # dataclasses.replace builds a new instance
        object.__setattr__(self, "_versions", value)

    def item_totals(self) -> ItemTotals:
        """Per-item counts of all the rows (:meth:`Feedback.item_totals`), no column joined.

        The sum of the batches' own totals where the engine gave them; the batches
        without are counted from their columns (joined only among themselves).
        """
        batches = self.__dict__.get("_batches")
        if batches is None:  # released: every column is joined already
            return super().item_totals()
        parts, rest = [], []
        for b in batches:
            t = b.totals
            if t is not None and t.describes(b.item, b.click, b.source):
                parts.append(t)
            else:
                rest.append(b)
        if not parts:
            return super().item_totals()
        if rest:
            parts.append(ItemTotals.of_columns(
                *(np.concatenate([getattr(b, name) for b in rest])
                  for name in ("item", "click", "source"))))
        return ItemTotals.total(parts)

    def __len__(self) -> int:
        if "item" in self.__dict__:
            return int(self.__dict__["item"].shape[0])
        return sum(len(b) for b in self.__dict__["_batches"])


__all__ = ["JoinedFeedback"]
