"""The optional hooks of a run's components, checked once when the run starts.

The engine never looks a hook up inside the loop: :func:`connect` checks the protocols of
:mod:`loopsim.simulator.contract` (policy and parts) and :mod:`loopsim.simulator.world.base`
(world) once, hands the truth to the parts that declare :class:`UsesGroundTruth`, and
returns what the loop calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from loopsim.simulator.contract import ReportsMetrics, ScoresItems, UsesGroundTruth, components
from loopsim.simulator.schema import check_object
from loopsim.simulator.world.base import ConvertsSlates, World

__all__ = ["Hooks", "check_parameters", "connect"]


@dataclass(frozen=True)
class Hooks:
    """What the loop calls besides ``rank`` and ``update``.

    Attributes:
        reporters: The policy and parts with ``policy_metrics()`` (:class:`ReportsMetrics`).
        scores_items: The policy has ``item_scores`` (:class:`ScoresItems`).
        conversion: The world's ``conversion_of_slates`` (:class:`ConvertsSlates`), or
            ``None``.
    """

    reporters: tuple[ReportsMetrics, ...]
    scores_items: bool
    conversion: Callable[[np.ndarray, np.ndarray], np.ndarray] | None


def check_parameters(world: object, click_model: object, policy: object) -> None:
    """Range-check the components' stored parameters once (:func:`check_object`)."""
    check_object(world, "world.")
    check_object(click_model, "click_model.")
    for i, part in enumerate(components(policy)):
        check_object(part, "policy." if i == 0 else f"policy.{type(part).__name__}.")


def connect(policy: object, world: World) -> Hooks:
    """Check the optional hooks once; hand the truth to the parts that declare it.

    Only the policy or parts with :class:`UsesGroundTruth` (the oracle) receive the world;
    ``policy_metrics`` is read from every part that has it, in the order of
    :func:`~loopsim.simulator.contract.components`.
    """
    parts = components(policy)
    for part in parts:
        if isinstance(part, UsesGroundTruth):
            part.use_ground_truth(world)
    return Hooks(
        reporters=tuple(p for p in parts if isinstance(p, ReportsMetrics)),
        scores_items=isinstance(policy, ScoresItems),
        conversion=world.conversion_of_slates if isinstance(world, ConvertsSlates) else None,
    )
