"""The feedback-loop detector: how well a policy knows items, by how much they were shown.

A degenerate loop leaves the policy well informed about the items it shows (the head)
and blind to the items it hides (the tail). The detector slices the policy's ranking
error by exposure bucket; a tail error well above the head error is the signature of
the loop.

The error is rank-based, so estimators on any scale (click counts, CTRs, model scores)
are comparable: for item ``i`` among the ``n`` available items,

    rank_error(i) = |rank_scores(i) - rank_true(i)| / n

with average (1-based) ranks for ties. A policy that orders items like the truth has
error 0; a policy whose scores are unrelated to the truth has a mean error near 1/3.

Buckets by exposure share (the classic head / torso / tail of a long-tail curve):
sort the items by cumulative impressions, most exposed first; an item is in the
**head** while the items before it hold less than ``head`` (default 50%) of all
impressions, in the **torso** while they hold less than ``torso`` (default 90%), and
in the **tail** otherwise; never-shown items are always in the tail. Items with equal
exposure keep their id order.
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator.metrics.ranking import average_ranks

__all__ = ["BUCKETS", "exposure_buckets", "rank_error_by_exposure", "rank_error_from_ranks"]

#: Names of the buckets, most exposed first.
BUCKETS = ("head", "torso", "tail")


def rank_error_by_exposure(
    true_value: np.ndarray,
    scores: np.ndarray,
    exposure: np.ndarray,
    head: float = 0.5,
    torso: float = 0.9,
) -> dict[str, float]:
    """Mean rank error of the policy's scores in each exposure bucket.

    Args:
        true_value: ``(n,)`` true value of the available items.
        scores: ``(n,)`` the policy's scores of the same items.
        exposure: ``(n,)`` cumulative impressions of the same items (non-negative).
        head: Exposure share that closes the head, in (0, 1].
        torso: Exposure share that closes the torso, in [head, 1].

    Returns:
        ``{"head": e, "torso": e, "tail": e}``; a bucket with no item gives NaN (all
        NaN when ``n == 0`` or a value is NaN).
    """
    if not 0 < head <= torso <= 1:
        raise ValueError(f"need 0 < head <= torso <= 1; got head={head}, torso={torso}")
    v = np.asarray(true_value, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    e = np.asarray(exposure, dtype=np.float64)
    n = v.shape[0]
    if s.shape != (n,) or e.shape != (n,):
        raise ValueError(f"shapes differ: {v.shape}, {s.shape}, {e.shape}")
    if n == 0 or np.isnan(s).any() or np.isnan(v).any():
        return {name: float("nan") for name in BUCKETS}
    return rank_error_from_ranks(average_ranks(v), average_ranks(s), e, head, torso)


def rank_error_from_ranks(
    true_ranks: np.ndarray,
    score_ranks: np.ndarray,
    exposure: np.ndarray,
    head: float = 0.5,
    torso: float = 0.9,
) -> dict[str, float]:
    """:func:`rank_error_by_exposure` from the average ranks of both sides (sorted already).

    A snapshot has the ranks of the true values and of the scores from its shared sorts
    (:class:`~loopsim.simulator.metrics.ranking.Ordering`); the result is identical to
    :func:`rank_error_by_exposure` on the values (``n >= 1``, no NaN).

    Args:
        true_ranks: ``(n,)`` average ranks of the true values.
        score_ranks: ``(n,)`` average ranks of the scores.
        exposure: ``(n,)`` cumulative impressions of the same items (float64).
        head: Exposure share that closes the head, in (0, 1].
        torso: Exposure share that closes the torso, in [head, 1].
    """
    n = true_ranks.shape[0]
    error = np.abs(score_ranks - true_ranks) / n
    order, bucket = _ordered_buckets(exposure, head, torso)  # most exposed first
    # Along ``order`` the buckets are runs (head, then torso, then tail: the exposure
    # share before an item only grows and the shown items come first), so each bucket's
    # items are one slice of the errors in that order (the same values, in the same
    # order). Shares that rounding left unsorted (never with counts) take the masks.
    ordered = error[order]
    if bucket.size > 1 and bool((bucket[1:] < bucket[:-1]).any()):
        parts = [ordered[bucket == b] for b in range(len(BUCKETS))]
    else:
        edges = np.searchsorted(bucket, np.arange(len(BUCKETS) + 1))
        parts = [ordered[edges[b] : edges[b + 1]] for b in range(len(BUCKETS))]
    return {name: float(part.mean()) if part.size else float("nan")
            for name, part in zip(BUCKETS, parts, strict=True)}


def exposure_buckets(exposure: np.ndarray, head: float = 0.5, torso: float = 0.9) -> np.ndarray:
    """``(n,)`` bucket of each item by exposure share: 0 head, 1 torso, 2 tail (module doc)."""
    e = np.asarray(exposure, dtype=np.float64)
    order, in_order = _ordered_buckets(e, head, torso)
    bucket = np.empty(e.shape[0], dtype=np.int64)
    bucket[order] = in_order
    return bucket


def _ordered_buckets(e: np.ndarray, head: float, torso: float) -> tuple[np.ndarray, np.ndarray]:
    """The items most exposed first (stable), and the bucket of each in that order."""
    order = np.argsort(-e, kind="stable")
    ordered = e[order]
    total = ordered.sum()
    before = (np.cumsum(ordered) - ordered) / total if total > 0 else np.ones(e.shape[0])
    shown = ordered > 0
    return order, np.where(shown & (before < head), 0, np.where(shown & (before < torso), 1, 2))
