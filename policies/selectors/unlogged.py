"""Propensities of randomized placements when nothing reads their values.

When a request asks for no propensity values
(:attr:`~loopsim.simulator.contract.batches.SlateRequest.propensities` is ``False``: no
impression log, and no part of the policy reads ``Feedback.propensity``), the
selectors whose exact marginals are most of their cost (Thompson sampling, softmax)
return NaN for their placements: *randomized, value not computed*. The built-in
estimators only ask whether a row was randomized (``~(propensity >= 1)``), so a run
gives the same numbers whether or not it computes them; for that, a computed marginal
of a randomized placement is kept below 1 in float32 (:func:`randomized`): such a
placement is never certain, and float32 rounding must not make it look deterministic.
"""

from __future__ import annotations

import numpy as np

#: The largest float32 below 1: the most a randomized placement's logged value can be.
BELOW_ONE = np.nextafter(np.float32(1.0), np.float32(0.0))
_NOT_COMPUTED = np.float32(np.nan)


def not_computed(batch: int, k: int) -> np.ndarray:
    """A read-only ``(batch, k)`` float32 NaN view: randomized, values not computed."""
    return np.broadcast_to(_NOT_COMPUTED, (batch, k))


def randomized(props: np.ndarray) -> np.ndarray:
    """``props`` as float32, capped at :data:`BELOW_ONE` (a random placement is never
    certain; in float32 a marginal within 6e-8 of 1 would round to 1)."""
    return np.minimum(np.asarray(props, dtype=np.float32), BELOW_ONE)


__all__ = ["BELOW_ONE", "not_computed", "randomized"]
