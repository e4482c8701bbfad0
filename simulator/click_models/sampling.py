"""Feedback of served slates sampled from a click model, with its optional conversion step."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from loopsim.simulator.contract.click_model import ClickModel, ConvertingClickModel


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
            (:class:`~loopsim.simulator.contract.world.ConvertsSlates`), resolved once when
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
