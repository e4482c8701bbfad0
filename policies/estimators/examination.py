"""The examination curve ``e(r) / e(1)`` that position-debiasing estimators divide by.

The click model's curve never reaches a policy. By default it is *learned from the log*;
a known curve is an explicit choice:

* ``propensity="learned"`` (the default): harvested from randomized traffic for every
  rank that randomized rows link to rank 1 (``"estimated"`` below), and for the other
  ranks (all of them under a deterministic selector) fitted without randomization by
  the position-based model's EM (``"em"`` below). So a policy whose selector randomizes
  (Thompson sampling, RandPair, epsilon-greedy...) uses its interventions, and a greedy
  one still learns a curve from the way its ranking moves between model versions;
* ``propensity="em"``: the position-based model ``P(click) = theta_item e_rank`` fitted
  on the (item, rank) counts of every served row by EM (Wang et al. 2018's regression
  EM without features; :mod:`~loopsim.policies.estimators.pbm_em`), warm-started from
  the previous fit with ``em_iterations`` iterations per update (50 at the first);
* ``propensity="known"``: the curve of the policy config, ``examination`` (an explicit
  list by rank, rank 1 first) or else ``(1 / r) ** examination_eta``; an assumption
  that may be wrong, which ``experiment=misspecification`` measures;
* ``propensity="estimated"``: estimated from the log by intervention harvesting
  (Agarwal et al. 2019, WSDM; Joachims et al. 2017 for the swap-based ratio), pairing
  observations *within a model version*. Within one version the policy's placements do
  not depend on clicks, so for an item ``i`` shown at ranks ``r`` and ``r'`` in it, the
  clicks given the counts are binomial with means ``n_ir e(r) v_i`` and
  ``n_ir' e(r') v_i`` (PBM; ``v_i`` the item's relevance averaged over the sessions,
  which a placement independent of the user leaves the same at every rank). Hence::

      A[r, r'] = sum_(version, i) c_ir n_ir' / (n_ir + n_ir')

  has expectation ``e(r) W[r, r']`` with a weight ``W`` symmetric in ``r, r'``, and
  ``A[r, r'] / A[r', r]`` estimates ``e(r) / e(r')`` with no bias from a ranking that
  moves between versions (pooling an item's rank-1 and rank-r counts over the whole
  log mixes the versions in which it sat at different ranks: 0.28-0.56 of the truth
  under RandPair in the loop). Every pair of ranks with data is used (RandPair gives
  pairs (1, r), epsilon-greedy mostly neighbours (r, r + 1), RandTop-N all pairs); the
  log-curve ``x_r = log e(r) / e(1)`` is the weighted least-squares fit of
  ``x_r - x_r' = log(A[r, r'] / A[r', r])`` with weights ``A A' / (A + A')`` (the
  inverse variance of the log ratio for Poisson counts) and ``x_1 = 0``. Only
  randomized rows (propensity < 1, or NaN: randomized, not computed) are used, and no
  inverse weighting is needed: the randomization only has to put an item at several
  ranks within a version (ties drawn per session and a personalized ranking place
  items by user, not at random).
  Assumptions: each update's batch was served by one model version (true
  with ``feedback_delay = 0`` and ``train_latency = 0``; otherwise a batch straddles two
  versions and a little bias returns), and the placement does not depend on the user
  (global scores; not mf). A rank not connected to rank 1 by pairs is unknown: 1 (no
  correction) is used and NaN reported.

A learned ratio is floored at :data:`EXAM_FLOOR`, so that one rank with no clicks yet
cannot give inverse-propensity weights without bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from loopsim.policies.estimators.pbm_em import PBMFit, pbm_em, warm_start
from loopsim.policies.estimators.position_counts import PositionCounts
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.component_schema import NonNegative, Positive, PositiveInt

PROPENSITY_MODES = ("learned", "em", "known", "estimated")
#: Lowest learned ``e(r) / e(1)`` used (inverse-propensity weights stay <= 1000).
EXAM_FLOOR = 1e-3
#: EM iterations of the first fit (later fits are warm-started).
EM_FIRST_ITERATIONS = 50


class ExaminationCurve:
    """Relative examination ``e(r) / e(1)`` by rank, known or estimated.

    Args:
        propensity: ``"learned"`` (harvested from randomized rows where they reach,
            else EM), ``"em"`` (position-based model by EM on every served row),
            ``"known"`` (from ``examination`` / ``examination_eta``) or
            ``"estimated"`` (harvested from rank pairs within model versions only).
        examination_eta: Known curve ``(1 / r) ** eta`` when no explicit list is given
            (``"known"`` only).
        examination: Optional explicit known curve by rank, rank 1 first (``"known"``).
        em_iterations: EM iterations per update after the first fit (warm start).
    """

    def __init__(self, propensity: Literal["learned", "em", "known", "estimated"] = "learned",
                 examination_eta: NonNegative = 1.0,
                 examination: Sequence[Positive] | None = None,
                 em_iterations: PositiveInt = 5) -> None:
        self.propensity = propensity
        self.examination_eta = examination_eta
        self.examination = examination
        self.em_iterations = em_iterations
        self._pairs = np.zeros((0, 0))  # A[r, r'] summed over versions and items
        self._fit: tuple[int, np.ndarray] | None = None
        self._batches = 0
        self._counts = PositionCounts()  # (item, rank) counts for EM
        self._em: PBMFit | None = None

    @property
    def estimated(self) -> bool:
        """Whether the curve is learned from the log (every mode but ``"known"``)."""
        return self.propensity != "known"

    @property
    def harvests(self) -> bool:
        """Whether randomized rows are harvested (``"estimated"`` and ``"learned"``)."""
        return self.propensity in ("estimated", "learned")

    @property
    def fits_em(self) -> bool:
        """Whether the position-based model is fitted by EM (``"em"`` and ``"learned"``)."""
        return self.propensity in ("em", "learned")

    def update(self, feedback: Feedback) -> None:
        """Learn from a batch (one model version): rank pairs of its randomized rows,
        and a warm-started EM fit on the (item, rank) counts of the whole log.

        ``feedback`` must hold served rows only (ranks >= 1).
        """
        if not self.estimated or len(feedback) == 0:
            return
        if self.fits_em:
            self._update_em(feedback)
        if self.harvests:
            self._harvest(feedback)

    def _update_em(self, feedback: Feedback) -> None:
        """Count the batch and run EM from the previous fit."""
        self._counts.add(feedback)
        c, v = self._counts.clicks, self._counts.impressions
        iterations = EM_FIRST_ITERATIONS if self._em is None else int(self.em_iterations)
        self._em = pbm_em(c, v, warm_start(self._em, c, v), iterations)

    def em_curve(self, k: int) -> np.ndarray:
        """``(k,)`` the EM fit's ``e(r) / e(1)``; NaN for ranks never served."""
        out = np.full(k, np.nan)
        if self._em is not None:
            m = min(k, self._em.examination.size)
            out[:m] = self._em.examination[:m]
            if m:
                out[0] = 1.0
        return out

    def _harvest(self, feedback: Feedback) -> None:
        """Add the batch's rank pairs of randomized rows."""
        # Randomized placements only: below 1, or NaN (randomized, value not computed
        # because nothing reads it: SlateRequest.propensities).
        rand = ~(feedback.propensity >= 1.0)
        if not rand.any():
            return
        feedback = feedback.select(rand)
        rank = feedback.rank.astype(np.int64) - 1
        items, slot = np.unique(feedback.item, return_inverse=True)
        k = int(rank.max()) + 1
        flat = slot * k + rank
        n = np.bincount(flat, minlength=items.size * k).reshape(items.size, k).astype(float)
        c = np.bincount(flat[feedback.click], minlength=items.size * k
                        ).reshape(items.size, k).astype(float)
        multi = np.count_nonzero(n, axis=1) > 1  # only items seen at two ranks pair up
        if not multi.any():
            return
        n, c = n[multi], c[multi]
        if k > self._pairs.shape[0]:
            pad = k - self._pairs.shape[0]
            self._pairs = np.pad(self._pairs, ((0, pad), (0, pad)))
        total = n[:, :, None] + n[:, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, n[:, None, :] / total, 0.0)  # n_ir' / (n_ir + n_ir')
        self._pairs[:k, :k] += np.einsum("ir,irs->rs", c, share)
        self._batches += 1

    def estimate(self, k: int) -> np.ndarray:
        """``(k,)`` estimated ``e(r) / e(1)``; NaN where rank ``r`` has no path to rank 1."""
        if self._fit is not None and self._fit[0] == self._batches and self._fit[1].size == k:
            return self._fit[1].copy()
        out = np.full(k, np.nan)
        m = min(k, self._pairs.shape[0])
        if m >= 1:
            out[:m] = _fit_log_curve(self._pairs[:m, :m])
        self._fit = (self._batches, out)
        return out.copy()

    def known(self, k: int) -> np.ndarray:
        """``(k,)`` the configured curve relative to rank 1."""
        if self.examination is not None:
            curve = np.asarray(list(self.examination), dtype=np.float64)
            if curve.ndim != 1 or curve.shape[0] < k or np.any(curve[:k] <= 0):
                raise ConfigError(
                    f"`policy.examination == {self.examination!r}`: give at least {k} positive "
                    "values (one per rank, rank 1 first), or null to use examination_eta."
                )
            return curve[:k] / curve[0]
        eta = float(self.examination_eta)
        return (1.0 / np.arange(1, k + 1)) ** eta

    def learned(self, k: int) -> np.ndarray:
        """``(k,)`` the learned ``e(r) / e(1)`` of this mode; NaN where unknown.

        ``"estimated"``: harvested; ``"em"``: the EM fit; ``"learned"``: harvested where
        randomized rows link the rank to rank 1, the EM fit elsewhere.
        """
        if self.propensity == "estimated":
            return self.estimate(k)
        em = self.em_curve(k)
        if self.propensity == "em":
            return em
        harvested = self.estimate(k)
        return np.where(np.isfinite(harvested), harvested, em)

    def ratios(self, k: int) -> np.ndarray:
        """``(k,)`` the curve in use: known, or learned (floored at :data:`EXAM_FLOOR`)
        with 1 where unknown."""
        if not self.estimated:
            return self.known(k)
        if self.examination is not None:
            raise ConfigError(
                f"`policy.estimator.propensity == {self.propensity!r}` learns the curve, but "
                f"`policy.estimator.examination` gives one: set "
                "policy.estimator.propensity=known to use it, or examination=null.")
        est = self.learned(k)
        return np.where(np.isfinite(est), np.maximum(est, EXAM_FLOOR), 1.0)

    def _depth(self) -> int:
        """Deepest rank the learned curve has seen."""
        return max(self._pairs.shape[0], self._counts.n_ranks)

    def policy_metrics(self) -> dict[str, float]:
        """``exam_ratio_<r>`` = learned ``e(r) / e(1)`` for r = 2.. (when learning)."""
        k = self._depth()
        if not self.estimated or k < 2:
            return {}
        est = self.learned(k)
        return {f"exam_ratio_{r + 1}": float(v) for r, v in enumerate(est) if r > 0}

    def __repr__(self) -> str:
        return (f"ExaminationCurve(propensity={self.propensity!r}, "
                f"examination_eta={self.examination_eta}, examination={self.examination}, "
                f"em_iterations={self.em_iterations})")


def _fit_log_curve(pairs: np.ndarray) -> np.ndarray:
    """``exp(x)`` of the weighted least-squares ``x_r - x_r' = log(A[r, r'] / A[r', r])``.

    ``x_1 = 0``; ranks without a path of pairs to rank 1 are NaN.
    """
    k = pairs.shape[0]
    a, b = pairs, pairs.T
    ok = (a > 0) & (b > 0)
    np.fill_diagonal(ok, False)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(ok, a * b / (a + b), 0.0)
        d = np.where(ok, np.log(a / b), 0.0)
    out = np.full(k, np.nan)
    out[0] = 1.0
    linked = _connected_to_first(ok)
    idx = np.flatnonzero(linked)[1:]
    if idx.size == 0:
        return out
    sub = np.flatnonzero(linked)
    lap = np.diag(w[np.ix_(sub, sub)].sum(axis=1)) - w[np.ix_(sub, sub)]
    rhs = (w * d)[np.ix_(sub, sub)].sum(axis=1)
    x = np.linalg.lstsq(lap[1:, 1:], rhs[1:], rcond=None)[0]
    out[idx] = np.exp(x)
    return out


def _connected_to_first(ok: np.ndarray) -> np.ndarray:
    """Ranks reachable from rank 1 through pairs with data."""
    seen = np.zeros(ok.shape[0], dtype=bool)
    seen[0] = True
    frontier = seen.copy()
    while frontier.any():
        frontier = ok[frontier].any(axis=0) & ~seen
        seen |= frontier
    return seen


__all__ = ["EM_FIRST_ITERATIONS", "EXAM_FLOOR", "PROPENSITY_MODES", "ExaminationCurve"]
