"""Retrieval stages: the contract of the first stage of a :class:`~.Pipeline`, and its checks.

A retrieval stage picks ``n`` candidates per session out of the available catalogue;
the ranker of the pipeline then sees only those. Each stage has its own model version
(bumped by its own updates) so that the pipeline can log, with every impression, which
retrieval model and which ranker served it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from loopsim.simulator.contract.policy import Feedback, SlateRequest
from loopsim.simulator.errors import ConfigError

__all__ = ["Pool", "RetrievalStage", "check_pool_size", "stage_error"]


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


def stage_error(stage: str, what: str, fix: str) -> ConfigError:
    """A :class:`ConfigError` naming the pipeline stage, what was found and the fix."""
    return ConfigError(f"pipeline stage `{stage}`: {what} Fix: {fix}")


def check_pool_size(stage: str, n: int, request: SlateRequest) -> int:
    """Check ``k <= n <= len(candidates)`` for a stage returning ``n`` candidates.

    Raises:
        ConfigError: naming the stage, the value of ``n``, the slate size or the
            catalogue size, and the fix.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise stage_error(stage, f"`policy.retrieval.n == {n!r}` must be an integer >= 1.",
                          "set policy.retrieval.n to the number of candidates per session.")
    n = int(n)
    if n < request.k:
        raise stage_error(
            stage, f"`policy.retrieval.n == {n}` is smaller than the slate "
            f"(`slate_size == {request.k}`): the ranker cannot fill a slate from fewer "
            "candidates.", f"set policy.retrieval.n >= {request.k} (or a smaller slate_size).")
    size = int(request.candidates.size)
    if n > size:
        raise stage_error(
            stage, f"`policy.retrieval.n == {n}` is larger than the catalogue ({size} items "
            f"available at t={request.t:.4f} days).",
            f"set policy.retrieval.n <= {size}, or use a larger world (world.n_items).")
    return n
