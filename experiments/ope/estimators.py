"""Off-policy estimators of a target ranking policy's expected clicks per session.

Notation, for logged sessions ``i = 1..n`` and ranks ``k = 1..K``: the logged item
``a_ik``, its click ``c_ik`` and its logging propensity ``p_ik = P_0(a_ik at rank k |
session i)`` (the marginal *item-position* propensity loopsim logs); the target's slate
``s_ik``; ``w_ik = 1{s_ik = a_ik} / p_ik``; a click model fitted on the log
``q(a, k)`` (:mod:`.dm`); the logging probability of the whole slate ``P_0(a_i)`` where
it is known. The estimands is the target's expected clicks per session, ``V``.

* ``ips``: ``(1/n) sum_i sum_k c_ik w_ik``: unbiased when clicks follow an item-position
  model (the PBM) and ``p > 0`` wherever the target puts an item (Li et al. 2018's
  item-position IPS; obp's ``SlateIndependentIPS``).
* ``snips``: ``sum_k (sum_i c_ik w_ik) / (sum_i w_ik)``: self-normalized per rank
  (obp's ``SelfNormalizedSlateIndependentIPS``); a rank where no row matched adds 0.
* ``dm``: ``(1/n) sum_i sum_k q(s_ik, k)``: the direct method.
* ``dr``: ``(1/n) sum_i sum_k [q(s_ik, k) + w_ik (c_ik - q(a_ik, k))]``: doubly robust.
* ``slate_ips``: ``(1/n) sum_i 1{s_i = a_i} sum_k c_ik / P_0(a_i)``: unbiased under any
  click model, needs the slate propensity (uniform random and RandTop-N logs).

Each :class:`Estimate` carries a 95% normal interval: ``mean +- 1.96 sd / sqrt(n)`` over
the per-session terms for the means, and the delta method for ``snips`` (influence
``sum_k (c_ik w_ik - V_k w_ik) / mean_i w_ik``). :class:`SlateOPE` accumulates the
sufficient statistics chunk by chunk, so a log of any length streams through it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The estimators, in report order.
ESTIMATORS = ("ips", "snips", "dm", "dr", "slate_ips")
#: The two-sided 95% normal quantile.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """An estimate of the target's expected clicks per session.

    Attributes:
        name: The estimator (one of :data:`ESTIMATORS`).
        value: The point estimate.
        low: Lower end of the 95% interval.
        high: Upper end of the 95% interval.
        n: Sessions used.
    """

    name: str
    value: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int | str]:
        """The estimate as a plain mapping (JSON, tables)."""
        return {"estimator": self.name, "estimate": self.value, "low": self.low,
                "high": self.high, "n_sessions": self.n}


class _Mean:
    """Running count, sum and sum of squares of per-session terms."""

    def __init__(self) -> None:
        self.n, self.s, self.ss = 0, 0.0, 0.0

    def add(self, x: np.ndarray) -> None:
        self.n += int(x.size)
        self.s += float(x.sum())
        self.ss += float(np.einsum("i,i->", x, x))  # no BLAS call: its threads stall when loaded

    def estimate(self, name: str) -> Estimate:
        if self.n == 0:
            return Estimate(name, float("nan"), float("nan"), float("nan"), 0)
        mean = self.s / self.n
        var = max(self.ss - self.n * mean * mean, 0.0) / max(self.n - 1, 1)
        half = Z95 * np.sqrt(var / self.n)
        return Estimate(name, mean, mean - half, mean + half, self.n)


class SlateOPE:
    """Streams logged sessions and gives every estimator's :class:`Estimate`.

    Args:
        k: Ranks per session.
        slate_propensity: Whether ``slate_ips`` can be computed (the log has ``P_0(a_i)``).
    """

    def __init__(self, k: int, slate_propensity: bool) -> None:
        self.k = k
        self.slate_propensity = slate_propensity
        self._means = {name: _Mean() for name in ("ips", "dm", "dr", "slate_ips")}
        self._z_sum = np.zeros(2 * k)
        self._z_outer = np.zeros((2 * k, 2 * k))
        self._n = 0

    def add(self, click: np.ndarray, pscore: np.ndarray, match: np.ndarray,
            q_logged: np.ndarray, q_target: np.ndarray,
            pscore_slate: np.ndarray | None = None) -> None:
        """Add a block of ``S`` sessions; every array is ``(S, k)`` except ``pscore_slate``.

        Args:
            click: Logged clicks ``c``.
            pscore: Logging item-position propensities ``p``.
            match: ``s == a``: the target put the logged item at the logged rank.
            q_logged: The fitted model at the logged items ``q(a, k)``.
            q_target: The fitted model at the target's items ``q(s, k)``.
            pscore_slate: ``(S,)`` logging probability of each logged slate, if known.
        """
        c = np.asarray(click, dtype=np.float64)
        w = np.where(match, 1.0 / np.asarray(pscore, dtype=np.float64), 0.0)
        cw = c * w
        dm = np.asarray(q_target, dtype=np.float64).sum(axis=1)
        self._means["ips"].add(cw.sum(axis=1))
        self._means["dm"].add(dm)
        self._means["dr"].add(dm + (w * (c - q_logged)).sum(axis=1))
        if self.slate_propensity and pscore_slate is not None:
            whole = np.all(match, axis=1)
            self._means["slate_ips"].add(np.where(whole, c.sum(axis=1) / pscore_slate, 0.0))
        z = np.concatenate([cw, w], axis=1)[np.any(match, axis=1)]  # sessions with weight
        self._z_sum += z.sum(axis=0)
        self._z_outer += np.einsum("ij,ik->jk", z, z)
        self._n += c.shape[0]

    def results(self) -> dict[str, Estimate]:
        """Every computable estimator's estimate (``slate_ips`` only with slate propensities)."""
        out = {name: self._means[name].estimate(name) for name in ("ips", "dm", "dr")}
        out["snips"] = self._snips()
        if self.slate_propensity:
            out["slate_ips"] = self._means["slate_ips"].estimate("slate_ips")
        return {name: out[name] for name in ESTIMATORS if name in out}

    def _snips(self) -> Estimate:
        n, k = self._n, self.k
        if n == 0:
            return Estimate("snips", float("nan"), float("nan"), float("nan"), 0)
        a_bar, b_bar = self._z_sum[:k] / n, self._z_sum[k:] / n
        seen = b_bar > 0
        v_k = np.where(seen, a_bar / np.where(seen, b_bar, 1.0), 0.0)
        value = float(v_k.sum())
        gamma = np.concatenate([np.where(seen, 1.0 / np.where(seen, b_bar, 1.0), 0.0),
                                np.where(seen, -v_k / np.where(seen, b_bar, 1.0), 0.0)])
        var = max(float(gamma @ self._z_outer @ gamma), 0.0) / max(n - 1, 1)
        half = Z95 * np.sqrt(var / n)
        return Estimate("snips", value, value - half, value + half, n)


def estimate_all(click: np.ndarray, pscore: np.ndarray, match: np.ndarray,
                 q_logged: np.ndarray, q_target: np.ndarray,
                 pscore_slate: np.ndarray | None = None) -> dict[str, Estimate]:
    """Every estimator on one block of ``(S, k)`` arrays (see :meth:`SlateOPE.add`)."""
    ope = SlateOPE(np.asarray(click).shape[1], pscore_slate is not None)
    ope.add(click, pscore, match, q_logged, q_target, pscore_slate)
    return ope.results()


__all__ = ["ESTIMATORS", "Estimate", "SlateOPE", "Z95", "estimate_all"]
