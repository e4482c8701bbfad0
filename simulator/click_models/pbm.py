"""The position-based click model (PBM)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.component_schema import NonNegative, Probability


class PositionBasedModel:
    """P(click at rank r) = e(r) * relevance, examination e(r) = (1/r)**eta or given.

    Args:
        eta: Position-bias exponent; 0 means no position bias.
        examination: Optional explicit examination probabilities by rank (1-based rank
            ``r`` uses ``examination[r - 1]``); overrides ``eta``. Must cover the slate.
    """

    def __init__(self, eta: NonNegative = 1.0,
                 examination: Sequence[Probability] | None = None) -> None:
        self.eta = eta
        self._examination_curve = None if examination is None else list(examination)

    def examination(self, k: int) -> np.ndarray:
        """``(k,)`` examination probability of ranks ``1..k`` (read-only).

        Computed once per ``(k, eta, examination)`` and reused: it is asked for three
        times per served batch.
        """
        key = (k, self.eta, None if self._examination_curve is None
               else tuple(self._examination_curve))
        cached = getattr(self, "_examination", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        e = self._examination_of(k)
        e = np.array(e, dtype=np.float64)
        e.flags.writeable = False
        self._examination = (key, e)
        return e

    def _examination_of(self, k: int) -> np.ndarray:
        if self._examination_curve is None:
            return (1.0 / np.arange(1, k + 1)) ** float(self.eta)
        curve = np.asarray(self._examination_curve, dtype=np.float64)
        if curve.shape[0] < k:
            raise ConfigError(
                f"`click_model.examination` has {curve.shape[0]} values but the slate has "
                f"{k} ranks: give at least `slate_size` values."
            )
        return curve[:k]

    def sample(
        self, relevance: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Independent clicks with probability ``e(r) * relevance``; reward = click."""
        e = self.examination(relevance.shape[1])
        if relevance.shape[0] > 0 and relevance.strides[0] == 0:  # one shared row
            p = relevance[:1] * e  # computed once, compared against every row
        else:
            p = relevance * e
        clicks = rng.random(relevance.shape) < p
        return clicks, clicks.astype(np.float32)

    def expected_clicks(self, relevance: np.ndarray) -> np.ndarray:
        """``(B,)`` sum over ranks of ``e(r) * relevance``."""
        return relevance @ self.examination(relevance.shape[1])

    def best_expected_clicks(self, top_relevance: np.ndarray) -> np.ndarray:
        """Highest relevances matched to the most examined ranks (rearrangement)."""
        e = np.sort(self.examination(top_relevance.shape[1]))[::-1]
        return top_relevance @ e

    def __repr__(self) -> str:
        if self._examination_curve is not None:
            return f"PositionBasedModel(examination={self._examination_curve})"
        return f"PositionBasedModel(eta={self.eta})"
