"""The optional hooks of a run's components, checked once when the run starts.

The engine never looks a hook up inside the loop: :func:`connect` checks the protocols of
:mod:`loopsim.simulator.contract.policy` (policy and parts) and
:mod:`loopsim.simulator.contract.world`
(world) once, hands the truth to the parts that declare :class:`UsesGroundTruth` and
the catalogue's observable metadata to the parts that need it
(:class:`~loopsim.simulator.contract.policy.UsesItemAttributes`), and returns what the
loop calls. The parts that declare :class:`UsesPolicyStream` receive
a child of the run's policy stream here, before the first request and the first update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from loopsim.simulator.contract.catalogue import hand_item_attributes
from loopsim.simulator.contract.policy import (
    ReportsMetrics,
    ScoresItems,
    UsesGroundTruth,
    UsesPolicyStream,
    components,
    reads_propensities,
)
from loopsim.simulator.contract.world import ConvertsSlates, HasOrganic, World
from loopsim.simulator.params.component_schema import check_object

__all__ = ["Hooks", "check_parameters", "connect"]


@dataclass(frozen=True)
class Hooks:
    """What the loop calls besides ``rank`` and ``update``.

    Attributes:
        reporters: The policy and parts with ``policy_metrics()`` (:class:`ReportsMetrics`).
        scores_items: The policy has ``item_scores`` (:class:`ScoresItems`).
        conversion: The world's ``conversion_of_slates`` (:class:`ConvertsSlates`), or
            ``None``.
        organic: The world's organic sessions per recommended session
            (:class:`HasOrganic`); 0 for a closed world.
        organic_sharpness: The exponent of the organic pick (1 for a closed world).
        reads_propensities: Some part may read ``Feedback.propensity``
            (:func:`~loopsim.simulator.contract.policy.reads_propensities`); with no
            impression log and ``False``, requests ask for no propensity values.
    """

    reporters: tuple[ReportsMetrics, ...]
    scores_items: bool
    conversion: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
    organic: float = 0.0
    organic_sharpness: float = 1.0
    reads_propensities: bool = True


def check_parameters(world: object, click_model: object, policy: object) -> None:
    """Range-check the components' stored parameters once (:func:`check_object`)."""
    check_object(world, "world.")
    check_object(click_model, "click_model.")
    for i, part in enumerate(components(policy)):
        check_object(part, "policy." if i == 0 else f"policy.{type(part).__name__}.")


def connect(
    policy: object, world: World, policy_stream: np.random.Generator | None = None
) -> Hooks:
    """Check the optional hooks once; hand the truth and the stream to who declares them.

    Only the policy or parts with :class:`UsesGroundTruth` (the oracle) receive the world;
    those with :class:`UsesPolicyStream` each receive their own child of
    ``policy_stream`` (spawned in the order of
    :func:`~loopsim.simulator.contract.policy.components`); ``policy_metrics`` is read from every
    part that has it, in that order. ``policy_stream=None`` hands no stream: for a policy
    restored by a rollback, whose parts keep the streams (and their states) they had.
    """
    parts = components(policy)
    hand_item_attributes(parts, world)  # the catalogue's metadata, to parts that ask
    for part in parts:
        if isinstance(part, UsesGroundTruth):
            part.use_ground_truth(world)
        if policy_stream is not None and isinstance(part, UsesPolicyStream):
            part.use_policy_stream(policy_stream.spawn(1)[0])
    organic = isinstance(world, HasOrganic)
    return Hooks(
        reporters=tuple(p for p in parts if isinstance(p, ReportsMetrics)),
        scores_items=isinstance(policy, ScoresItems),
        conversion=world.conversion_of_slates if isinstance(world, ConvertsSlates) else None,
        organic=float(world.organic or 0.0) if organic else 0.0,
        organic_sharpness=float(world.organic_sharpness) if organic else 1.0,
        reads_propensities=reads_propensities(policy),
    )
