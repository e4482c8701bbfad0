"""Metrics (docs/metrics.md) as pure functions of arrays (no simulator state).

* :mod:`~loopsim.simulator.metrics.concentration` -- Gini, normalized entropy, top share,
  coverage, Lorenz curve of per-item counts.
* :mod:`~loopsim.simulator.metrics.ranking` -- Kendall tau-b, Spearman, precision@k between
  two orderings of the same items.
* :mod:`~loopsim.simulator.metrics.served` -- DCG and NDCG of served slates.

The stateful :class:`~loopsim.simulator.metrics.recorder.MetricsRecorder` that applies them at
each snapshot lives in :mod:`loopsim.simulator.metrics.recorder`. It is not re-exported here: it
imports these modules, so importing it from here would be circular.
"""

from __future__ import annotations

from loopsim.simulator.metrics.concentration import (
    coverage,
    gini,
    lorenz_curve,
    normalized_entropy,
    top_share,
)
from loopsim.simulator.metrics.ranking import average_ranks, kendall_tau_b, precision_at_k, spearman
from loopsim.simulator.metrics.served import dcg, ndcg, top_k_values

__all__ = [
    "average_ranks",
    "coverage",
    "dcg",
    "gini",
    "kendall_tau_b",
    "lorenz_curve",
    "ndcg",
    "normalized_entropy",
    "precision_at_k",
    "spearman",
    "top_k_values",
    "top_share",
]
