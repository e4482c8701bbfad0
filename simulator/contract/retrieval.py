"""The contract of a retrieval stage: the first stage of a pipeline, which picks each
session's candidate pool from the catalogue for the ranker
(:class:`~loopsim.policies.pipeline.Pipeline`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from loopsim.simulator.contract.batches import Feedback, SlateRequest


@dataclass(frozen=True)
class Pool:
    """The candidates a retrieval stage returns for a batch of sessions.

    Attributes:
        items: ``(B, n)`` int64 item ids, distinct within a row, all among the
            request's candidates. A stage serving one pool to every session returns a
            broadcast view (``np.broadcast_to(row, (B, n))``) and sets ``shared``.
        shared: Every row is the same pool (a global stage): the ranker then ranks the
            pool once, as a catalogue of its own.
        inclusion: Probability that any available item is in a session's pool given
            the stage's state (a uniformly random pool: ``n / M``), or ``None`` when the
            pool is a deterministic function of that state. Used for propensities.
        exact_recall: Share of the exact top-``n`` of the stage's own model found by an
            approximate index on a sample of sessions (``None`` when the search is
            exact or nothing was sampled): the ``retrieval_recall_window`` metric.
    """

    items: np.ndarray
    shared: bool
    inclusion: float | None = None
    exact_recall: tuple[float, int] | None = None


@runtime_checkable
class RetrievalStage(Protocol):
    """The first stage of a pipeline.

    Attributes:
        n: Candidates returned per session.
        version: Changes whenever the pools may change (after an update that retrains).
    """

    n: int

    @property
    def version(self) -> int:
        """The stage's model version."""
        ...

    def retrieve(self, request: SlateRequest) -> Pool:
        """``n`` candidates for each session of the request, drawn from its candidates."""
        ...

    def update(self, feedback: Feedback) -> None:
        """Learn from the stage's own training data (may be empty)."""
        ...

__all__ = ["Pool", "RetrievalStage"]
