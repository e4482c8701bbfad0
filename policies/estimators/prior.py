"""Empirical-Bayes Beta priors from the pooled evidence of the log.

The Beta estimators (``ctr``, ``coec``, ``ips``, and the bandits over them) shrink each
item's evidence toward a prior ``Beta(m s, (1 - m) s)``. A fixed prior mean decides
what an unseen item is worth against a seen one, so it decides how far a greedy policy
explores: the result of a comparison can be the prior's, not the policy's. By default
(``prior_mean = None``, ``prior_strength = None``) both are estimated from the log, by
the method of moments of the beta-binomial model (empirical Bayes):

* ``m = sum_i s_i / sum_i n_i``, the pooled success rate, where ``s_i`` and ``n_i``
  are the item's evidence in the estimator's own units (clicks and impressions for
  ``ctr``; clicks and expected examinations in rank-1 units for ``coec``;
  inverse-propensity clicks and impressions for ``ips``, so the pooling is done per
  position through the examination curve);
* between-item variance ``tau^2 = S - m (1 - m) K / sum_i n_i`` with
  ``S = sum_i n_i (s_i / n_i - m)^2 / sum_i n_i`` over the ``K`` items with evidence
  (the observed spread minus its binomial noise), and ``s = m (1 - m) / tau^2 - 1``,
  clipped to ``[STRENGTH_MIN, STRENGTH_MAX]``.

Before any evidence the mean is 1/2 and the strength :data:`STRENGTH_FALLBACK`: every
item then ties, whatever the prior. A number given for either parameter fixes it.
"""

from __future__ import annotations

import numpy as np

#: Bounds of the estimated prior strength (pseudo-observations).
STRENGTH_MIN, STRENGTH_MAX = 1.0, 1000.0
#: Strength used while fewer than two items have evidence.
STRENGTH_FALLBACK = 20.0


def empirical_beta_prior(successes: np.ndarray, trials: np.ndarray,
                         prior_mean: float | None, prior_strength: float | None
                         ) -> tuple[float, float]:
    """``(mean, strength)`` of the Beta prior: the given values, or estimated (above).

    Args:
        successes: ``(n,)`` every item's evidence of success (clicks, weighted clicks).
        trials: ``(n,)`` every item's trials in the same units (impressions, expected
            examinations).
        prior_mean: A fixed prior mean in (0, 1), or ``None`` to estimate it (its range
            is checked with the estimator's parameters, when the run starts).
        prior_strength: A fixed strength > 0, or ``None`` to estimate it.
    """
    if prior_mean is not None and prior_strength is not None:
        return float(prior_mean), float(prior_strength)
    seen = trials > 0
    s, n = successes[seen], trials[seen]
    total = float(n.sum())
    pooled = float(s.sum()) / total if total > 0 else 0.5
    mean = float(prior_mean) if prior_mean is not None else min(max(pooled, 1e-4), 1 - 1e-4)
    if prior_strength is not None:
        return mean, float(prior_strength)
    if s.size < 2:
        return mean, STRENGTH_FALLBACK
    spread = float((n * (s / n - mean) ** 2).sum()) / total
    noise = mean * (1.0 - mean) * s.size / total
    tau2 = spread - noise
    if tau2 <= 0:
        return mean, STRENGTH_MAX
    strength = mean * (1.0 - mean) / tau2 - 1.0
    return mean, float(min(max(strength, STRENGTH_MIN), STRENGTH_MAX))


__all__ = ["STRENGTH_FALLBACK", "STRENGTH_MAX", "STRENGTH_MIN", "empirical_beta_prior"]
