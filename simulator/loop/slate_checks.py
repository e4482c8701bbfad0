"""Cheap validation of every batch of slates a policy returns (the engine's guard)."""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.batches import SlateRequest, Slates
from loopsim.simulator.errors import PolicyContractError


def _fail(policy: str, request: SlateRequest, what: str, fix: str) -> PolicyContractError:
    return PolicyContractError(f"Policy {policy} at t={request.t:.4f} days: {what} {fix}")


def validate_slates(
    slates: object, request: SlateRequest, available: np.ndarray, policy: str
) -> Slates:
    """Check a policy's answer against the contract and return it.

    Checks the type, the ``(B, k)`` integer shape, that every id is an available
    candidate, that no id repeats within a row, and that propensities are ``None`` or
    ``(B, k)`` floats in (0, 1] (or NaN when the request asked for no values:
    :attr:`SlateRequest.propensities`). A shared (broadcast) slate is checked once. Slates a
    built-in selector made correct by construction (:meth:`Slates.by_construction`) skip
    the per-row id and repeat checks.

    Args:
        slates: What ``policy.rank(request)`` returned.
        request: The request it answered.
        available: ``(n_total,)`` bool mask of available item ids.
        policy: The policy's name, for messages.

    Raises:
        PolicyContractError: naming the policy, the simulated time, the offending row
            and the likely fix.
    """
    slates = validate_type_and_shape(slates, request, policy)
    items = slates.items
    if not slates.is_constructed:
        rows = items[:1] if slates.is_shared else items
        validate_ids(rows, request, available, policy)
        validate_repeats(rows, request, policy)
    if slates.propensities is not None:
        validate_propensities(slates.propensities, request, policy)
    return slates


def validate_type_and_shape(slates: object, request: SlateRequest, policy: str) -> Slates:
    if not isinstance(slates, Slates):
        raise _fail(policy, request, f"rank() returned {type(slates).__name__};",
                    "expected simulator.Slates(items=..., propensities=...).")
    items = slates.items
    b, k = request.batch_size, request.k
    if not isinstance(items, np.ndarray) or not np.issubdtype(items.dtype, np.integer):
        kind = items.dtype if isinstance(items, np.ndarray) else type(items).__name__
        raise _fail(policy, request, f"Slates.items has type/dtype {kind};",
                    "expected an integer numpy array of item ids (e.g. int64).")
    if items.shape != (b, k):
        raise _fail(policy, request, f"Slates.items has shape {items.shape};",
                    f"expected (B, k) = ({b}, {k}): one row of request.k items per user.")
    return slates


def validate_ids(rows: np.ndarray, request: SlateRequest, available: np.ndarray,
                 policy: str) -> None:
    if rows.size and rows.min() >= 0 and rows.max() < available.shape[0] \
            and available[rows].all():
        return  # the common case, in one gather
    in_range = (rows >= 0) & (rows < available.shape[0])
    ok = in_range.copy()
    ok[in_range] = available[rows[in_range]]
    if ok.all():
        return
    row, col = np.argwhere(~ok)[0]
    raise _fail(
        policy, request,
        f"row {row} (user {request.users[row]}) is {rows[row].tolist()}; item "
        f"{rows[row, col]} at rank {col + 1} is not among the {request.candidates.size} "
        "available candidates.",
        "Most likely the policy ranks ids it cached earlier (items expire) or indices into "
        "request.candidates instead of ids: take slates from request.candidates.",
    )


#: Up to this many ids a sort of each row is cheaper than ``k - 1`` column shifts (fewer
#: numpy calls: 8 against 24 us for 50 x 10); beyond, the shifts are (125 against 340 us
#: for 5,000 x 10).
_SORT_MAX = 4096


def _has_repeats(rows: np.ndarray) -> bool:
    """Whether any row repeats an id: ``k - 1`` column shifts for short rows in a batch of
    more than ``_SORT_MAX`` ids (no sort), else a sort of each row."""
    k = rows.shape[1]
    if k <= 16 and rows.size > _SORT_MAX:
        cols = np.ascontiguousarray(rows.T)  # (k, B): each shift compares whole rows
        return any(bool((cols[d:] == cols[:-d]).any()) for d in range(1, k))
    ordered = np.sort(rows, axis=1)
    return bool((ordered[:, 1:] == ordered[:, :-1]).any())


def validate_repeats(rows: np.ndarray, request: SlateRequest, policy: str) -> None:
    if not _has_repeats(rows):
        return
    ordered = np.sort(rows, axis=1)
    repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
    row = int(np.flatnonzero(repeated)[0])
    dup = ordered[row, 1:][ordered[row, 1:] == ordered[row, :-1]][0]
    raise _fail(
        policy, request,
        f"row {row} (user {request.users[row]}) is {rows[row].tolist()}; item {dup} "
        "appears more than once.",
        "Sample without replacement (e.g. rng.choice(..., replace=False) or a partial "
        "argsort of scores).",
    )


def validate_propensities(p: object, request: SlateRequest, policy: str) -> None:
    shape = (request.batch_size, request.k)
    if not isinstance(p, np.ndarray) or p.shape != shape:
        found = p.shape if isinstance(p, np.ndarray) else type(p).__name__
        raise _fail(policy, request, f"Slates.propensities is {found};",
                    f"expected None (deterministic) or a float array of shape {shape}.")
    rows = p[:1] if (p.shape[0] > 0 and p.strides[0] == 0) else p
    bad = ~((rows > 0) & (rows <= 1))
    if not request.propensities:
        bad &= ~np.isnan(rows)  # randomized, not computed: nothing reads the values
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise _fail(
            policy, request,
            f"row {row} has propensity {float(rows[row, col])!r} at rank {col + 1};",
            "propensities are probabilities of placing the item at that rank and must lie "
            "in (0, 1]; return None for a deterministic policy.",
        )
