"""Retrieval stages: the contract of the first stage of a :class:`~.Pipeline`, and its checks.

A retrieval stage picks ``n`` candidates per session out of the available catalogue;
the ranker of the pipeline then sees only those. Each stage has its own model version
(bumped by its own updates) so that the pipeline can log, with every impression, which
retrieval model and which ranker served it.
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.batches import SlateRequest
from loopsim.simulator.errors import ConfigError

__all__ = ["check_pool_size", "stage_error"]


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
