"""The trial-offer click model: one multinomial choice per session, then a conversion.

The model of the MusicLab experiments (Salganik, Dodds & Watts 2006) as formalised by
Krumme et al. (2012) and studied by Van Hentenryck et al. (2016) and Maldonado et al.
(2018). In each session the user listens to at most one item of the slate::

    P(listen to the item at rank r) = v_r w_r / (K + sum_s v_s w_s)
    P(listen to nothing)            = K / (K + sum_s v_s w_s)

where ``v_r`` is the visibility of rank ``r``, ``w`` is the item's attractiveness (the
world's ``relevance``: appeal plus, in a social world, a function of the displayed
download counts) and ``K`` the weight of the outside option. After a listen the user
downloads the item with its conversion probability (the item's quality); the click is
the listen, the reward the download.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.component_schema import NonNegative


class TrialOfferModel:
    """Multinomial choice with position visibility and an outside option, then conversion.

    The world's ``relevance`` is read as a non-negative attractiveness weight (not a
    probability). When the world also provides ``conversion_of_slates`` (the item's
    quality), the engine passes it to :meth:`sample_conversions` and the reward is the
    conversion; otherwise the reward equals the click.

    Args:
        visibility_exponent: Visibility ``v_r = (1/r) ** visibility_exponent`` (0: every
            rank equally visible).
        visibility: Optional explicit visibilities by rank (rank ``r`` uses
            ``visibility[r - 1]``), non-negative; overrides ``visibility_exponent``.
        outside_weight: ``K >= 0``, the weight of leaving without a listen.
    """

    #: Reads relevance as a weight: runs on a world of ``relevance_kind = "attractiveness"``.
    accepts_attractiveness = True

    def __init__(
        self,
        visibility_exponent: NonNegative = 1.0,
        visibility: Sequence[NonNegative] | None = None,
        outside_weight: NonNegative = 1.0,
    ) -> None:
        self.visibility_exponent = visibility_exponent
        self._visibility_curve = None if visibility is None else list(visibility)
        self.outside_weight = outside_weight

    def visibility(self, k: int) -> np.ndarray:
        """``(k,)`` visibility of ranks ``1..k``."""
        if self._visibility_curve is None:
            eta = float(self.visibility_exponent)
            return (1.0 / np.arange(1, k + 1)) ** eta
        curve = np.asarray(self._visibility_curve, dtype=np.float64)
        if curve.shape[0] < k:
            raise ConfigError(
                f"`click_model.visibility` has {curve.shape[0]} values but the slate has {k} "
                "ranks: give at least `slate_size` values."
            )
        return curve[:k]

    def _weights(self, relevance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(B, k)`` visibility × attractiveness and ``(B,)`` totals with the outside option."""
        k_out = float(self.outside_weight)
        weights = relevance * self.visibility(relevance.shape[1])
        total = weights.sum(axis=1) + k_out
        return weights, total

    def examination(self, k: int) -> None:
        """The choice depends on the whole slate: no per-rank examination curve."""
        return None

    def sample(
        self, relevance: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sample one choice per session; without conversion probabilities reward = click."""
        return self.sample_conversions(relevance, np.ones_like(relevance, dtype=np.float64), rng)

    def sample_conversions(
        self, relevance: np.ndarray, conversion: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sample the listen of each session, then its download.

        Draws exactly two uniforms per session (choice, conversion), whatever the slates.

        Args:
            relevance: ``(B, k)`` attractiveness of the slates' items.
            conversion: ``(B, k)`` probability of a download after a listen.
            rng: The clicks stream.

        Returns:
            ``(clicks, rewards)``: ``(B, k)`` bool listens (at most one per row) and
            ``(B, k)`` float32 downloads (0 or 1, only where listened).
        """
        b, k = relevance.shape
        u_choice = rng.random(b)
        u_convert = rng.random(b)
        clicks = np.zeros((b, k), dtype=bool)
        if k == 0 or b == 0:
            return clicks, clicks.astype(np.float32)
        weights, total = self._weights(relevance)
        cumulative = np.cumsum(weights, axis=1)
        target = u_choice * total
        chosen = (cumulative <= target[:, None]).sum(axis=1)  # index of the first cum > target
        listened = chosen < k
        rows = np.flatnonzero(listened)
        cols = chosen[listened]
        clicks[rows, cols] = True
        rewards = np.zeros((b, k), dtype=np.float32)
        rewards[rows, cols] = u_convert[rows] < conversion[rows, cols]
        return clicks, rewards

    def expected_clicks(self, relevance: np.ndarray) -> np.ndarray:
        """``(B,)`` probability of a listen: ``sum_r v_r w_r / (K + sum_r v_r w_r)``."""
        weights, total = self._weights(relevance)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = weights.sum(axis=1) / total
        return np.nan_to_num(out, nan=0.0)

    def best_expected_clicks(self, top_relevance: np.ndarray) -> np.ndarray:
        """Highest attractiveness on the most visible ranks (rearrangement), as a listen rate."""
        v = np.sort(self.visibility(top_relevance.shape[1]))[::-1]
        k_out = float(self.outside_weight)
        s = top_relevance @ v
        with np.errstate(invalid="ignore", divide="ignore"):
            out = s / (s + k_out)
        return np.nan_to_num(out, nan=0.0)

    def __repr__(self) -> str:
        if self._visibility_curve is not None:
            return (f"TrialOfferModel(visibility={self._visibility_curve}, "
                    f"outside_weight={self.outside_weight})")
        return (f"TrialOfferModel(visibility_exponent={self.visibility_exponent}, "
                f"outside_weight={self.outside_weight})")


__all__ = ["TrialOfferModel"]
