"""``summary.json``'s ``prior`` block: the policy's prior mean beside the catalogue's values.

A Beta estimator's prior mean says what an unseen item is worth. The block sets the
mean the run used (its ``policy_prior_mean`` metric, first and last snapshot) beside the
true values of the items available at the end, so a reader sees at once where the
prior sits among them: ``percentile`` is the share of available items whose true value
is below the final prior mean (0.5 would be a prior at the median item).

Units: the true value is an item's click probability once examined (rank-1 CTR under a
position-based model with ``e(1) = 1``); ``coec``, ``ips``, ``pal`` and the bandits over
them state their prior in the same rank-1 units, ``ctr`` in clicks per impression at any
rank (position bias left in), which is lower.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: The policy metric that carries the prior mean (``policy_`` + ``prior_mean``).
PRIOR_METRIC = "policy_prior_mean"
STRENGTH_METRIC = "policy_prior_strength"


def prior_summary(rows: Sequence[tuple[float, str, float]],
                  items: Mapping[str, np.ndarray]) -> dict[str, Any] | None:
    """The ``prior`` block, or ``None`` when the policy reports no prior mean.

    Args:
        rows: The run's ``(t, metric, value)`` rows (slice ``all``).
        items: The final item table (``true_value`` and ``available`` columns).
    """
    means = [v for _, m, v in rows if m == PRIOR_METRIC and math.isfinite(v)]
    if not means:
        return None
    strengths = [v for _, m, v in rows if m == STRENGTH_METRIC and math.isfinite(v)]
    values = np.asarray(items["true_value"], dtype=np.float64)
    available = np.asarray(items.get("available", np.ones(values.size, bool)), dtype=bool)
    values = values[available & np.isfinite(values)]
    final = float(means[-1])
    block: dict[str, Any] = {
        "mean": final,
        "mean_first": float(means[0]),
        "strength": float(strengths[-1]) if strengths else None,
        "catalogue_mean_true_value": float(values.mean()) if values.size else None,
        "catalogue_sd_true_value": float(values.std()) if values.size else None,
        "percentile": float(np.mean(values < final)) if values.size else None,
    }
    return block


__all__ = ["PRIOR_METRIC", "STRENGTH_METRIC", "prior_summary"]
