"""The MusicLab world: songs with an appeal and a quality, and displayed download counts.

The artificial music market of Salganik, Dodds & Watts (2006): a fixed set of songs
(48 in the experiments), each with an *appeal* (how likely it is to be listened to,
once seen) and a *quality* (how likely a listen ends in a download). In the social
conditions users also see how many times each song was downloaded so far; the
attractiveness of a song is then::

    relevance(i) = appeal[i] + social_weight * downloads[i] ** social_exponent

(Krumme et al. 2012; Maldonado et al. 2018). Pair it with the trial-offer click model
(``click_model=trial_offer``), which reads ``relevance`` as the attractiveness and
:meth:`MusicLabWorld.conversion_of_slates` as the download probability. The true value
of a song is its quality. Relevance is the same for every user.
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.loop.catalogue import grown
from loopsim.simulator.params.component_schema import (
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
)
from loopsim.simulator.world.state import UniformActivity, WorldState


class MusicLabWorld(UniformActivity, WorldState):
    """Songs with appeal and quality; attractiveness grows with the displayed downloads.

    Args:
        n_users: Number of participants (all identical; they only carry activity).
        n_items: Number of songs.
        sessions_per_user_per_day: Listening sessions per participant per day.
        appeal_alpha: Appeal ``~ Beta(appeal_alpha, appeal_beta)``.
        appeal_beta: See ``appeal_alpha``.
        quality_alpha: Quality (download probability after a listen)
            ``~ Beta(quality_alpha, quality_beta)``.
        quality_beta: See ``quality_alpha``.
        social_weight: ``lambda >= 0`` in front of the social signal (0: independent
            condition, downloads are not shown).
        social_exponent: ``r >= 0``, the exponent applied to the download counts.
        seed: Optional fixed seed of the songs (replicate worlds share their songs).

    :attr:`n_items` is the number of songs; :attr:`version` changes when a song is added
    or, in a social world, when downloads change.
    """

    item_arrival_rate = 0.0
    item_lifetime = None
    #: Relevance is an attractiveness weight (it grows with downloads), not a probability:
    #: only a click model that reads it as such may run on this world.
    relevance_kind = "attractiveness"

    def __init__(
        self,
        n_users: PositiveInt = 700,
        n_items: PositiveInt = 48,
        sessions_per_user_per_day: Positive = 1.0,
        appeal_alpha: Positive = 4.0,
        appeal_beta: Positive = 4.0,
        quality_alpha: Positive = 4.0,
        quality_beta: Positive = 4.0,
        social_weight: NonNegative = 1.0,
        social_exponent: NonNegative = 1.0,
        seed: NonNegativeInt | None = None,
    ) -> None:
        super().__init__(n_users, n_items, sessions_per_user_per_day, seed)
        self.appeal_alpha = appeal_alpha
        self.appeal_beta = appeal_beta
        self.quality_alpha = quality_alpha
        self.quality_beta = quality_beta
        self.social_weight = social_weight
        self.social_exponent = social_exponent

    def reset(self, rng: np.random.Generator) -> None:
        """Draw the songs' appeal and quality; no download yet."""
        self._appeal = np.zeros(0)
        self._quality = np.zeros(0)
        self._downloads = np.zeros(0)
        self._reset_items()
        self.add_items(self.n_initial_items, rng)

    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` new songs (appeal, then quality) and return their ids."""
        start, stop = self._n_items, self._n_items + n
        self._appeal = grown(self._appeal, stop)
        self._quality = grown(self._quality, stop)
        self._downloads = grown(self._downloads, stop)
        self._appeal[start:stop] = rng.beta(self.appeal_alpha, self.appeal_beta, n)
        self._quality[start:stop] = rng.beta(self.quality_alpha, self.quality_beta, n)
        return self._items_added(start, stop)

    # -- state ----------------------------------------------------------------------
    @property
    def is_global(self) -> bool:
        """Every participant sees the same attractiveness."""
        return True

    def appeal(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` appeal of songs."""
        return self._appeal[items]

    def quality(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` probability of a download after a listen."""
        return self._quality[items]

    def downloads(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` downloads so far (what the social conditions display)."""
        return self._downloads[items]

    def attractiveness(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` appeal plus the social signal of the displayed downloads."""
        a = self._appeal[items]
        if self.social_weight == 0:
            return a
        return a + self.social_weight * self._downloads[items] ** float(self.social_exponent)

    # -- truth ----------------------------------------------------------------------
    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` attractiveness (a choice weight for the trial-offer model)."""
        return np.broadcast_to(self.attractiveness(items), (len(users), len(items)))

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` attractiveness of ``slates[b, r]``."""
        if slates.shape[0] > 0 and slates.strides[0] == 0:
            return np.broadcast_to(self.attractiveness(slates[0]), slates.shape)
        return self.attractiveness(slates)

    def conversion_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` download probability (quality) of ``slates[b, r]`` after a listen."""
        if slates.shape[0] > 0 and slates.strides[0] == 0:
            return np.broadcast_to(self._quality[slates[0]], slates.shape)
        return self._quality[slates]

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """The quality of songs: their true ranking."""
        return self._quality[items]

    def observe(self, feedback: Feedback) -> None:
        """Add the batch's downloads (rewards) to the displayed counts."""
        if len(feedback) == 0:
            return
        got = feedback.reward > 0
        if not got.any():
            return
        np.add.at(self._downloads, feedback.item[got], feedback.reward[got].astype(np.float64))
        if self.social_weight > 0:
            self._version += 1

    def __repr__(self) -> str:
        return (
            f"MusicLabWorld(n_items={self.n_initial_items}, social_weight={self.social_weight}, "
            f"social_exponent={self.social_exponent})"
        )


__all__ = ["MusicLabWorld"]
