"""What a click model provides: sampled feedback and exact expected clicks."""

from __future__ import annotations

from collections.abc import Callable
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


def sample_feedback(
    click_model: ClickModel,
    conversion_of_slates: Callable[[np.ndarray, np.ndarray], np.ndarray] | None,
    users: np.ndarray,
    slates: np.ndarray,
    relevance: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``(clicks, rewards)`` of served slates, with a conversion step when there is one.

    Args:
        click_model: The run's click model.
        conversion_of_slates: The world's optional hook
            (:class:`~loopsim.simulator.world.base.ConvertsSlates`), resolved once when
            the run starts: ``(users, slates) -> (B, k)`` conversion probabilities for a
            :class:`ConvertingClickModel`; ``None`` converts every click.
        users: ``(B,)`` users of the sessions.
        slates: ``(B, k)`` served item ids.
        relevance: ``(B, k)`` the world's relevance of the served items.
        rng: The clicks stream.
    """
    if _is_converting(click_model):
        conversion = (
            np.ones(relevance.shape) if conversion_of_slates is None
            else conversion_of_slates(users, slates)
        )
        return click_model.sample_conversions(relevance, conversion, rng)
    return click_model.sample(relevance, rng)


#: Whether each click-model class is a ConvertingClickModel: a runtime protocol check
#: costs ~20 us, and it was made once per served batch.
_CONVERTING: dict[type, bool] = {}


def _is_converting(click_model: object) -> bool:
    kind = type(click_model)
    known = _CONVERTING.get(kind)
    if known is None:
        known = _CONVERTING[kind] = isinstance(click_model, ConvertingClickModel)
    return known
