"""The contract of a click model: how position matters, sampled and in expectation.

:class:`ClickModel` is required; :class:`ConvertingClickModel` is its optional hook (a
conversion step after a click, e.g. a download with the item's quality).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class ClickModel(Protocol):
    """How position matters: turns the relevance of served slates into clicks.

    All methods are batched over ``B`` sessions of ``k`` ranks. ``relevance[b, r]`` is
    the click probability of the item at rank ``r + 1`` once examined.
    """

    def sample(
        self, relevance: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(clicks, rewards)``, each ``(B, k)``: bool clicks and float rewards.

        A reward follows a click (a conversion, a utility): it is 0 where there is no
        click, and the metrics read rewards at the clicks only. Implementations draw a
        fixed number of uniforms per (session, rank), whatever
        the slates, so that two policies at the same seed share click noise.
        """
        ...

    def expected_clicks(self, relevance: np.ndarray) -> np.ndarray:
        """``(B,)`` exact expected number of clicks of each slate."""
        ...

    def best_expected_clicks(self, top_relevance: np.ndarray) -> np.ndarray:
        """``(B,)`` expected clicks of the best slate built from these items.

        Args:
            top_relevance: ``(B, k)`` the ``k`` highest relevances available to each
                session, sorted descending.
        """
        ...

    def examination(self, k: int) -> np.ndarray | None:
        """``(k,)`` probability of examining each rank, when it does not depend on clicks.

        ``None`` for models where examination depends on earlier clicks (cascade).
        """
        ...


@runtime_checkable
class ConvertingClickModel(Protocol):
    """Optional: a click model with a conversion step after the click (trial-offer).

    The engine passes the world's ``conversion_of_slates(users, slates)`` (for example
    the probability of a download after a listen) when the world has that method, and
    ones otherwise.
    """

    def sample_conversions(
        self, relevance: np.ndarray, conversion: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(clicks, rewards)``, each ``(B, k)``; rewards come from ``conversion``."""
        ...

__all__ = ["ClickModel", "ConvertingClickModel"]
