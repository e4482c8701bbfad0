"""The deployed policy: every call to it, its optional hooks and its model version.

All policy code runs through :class:`Deployment`, which names the policy, the method and
the simulated time in any error (:func:`~loopsim.simulator.loop.policy_calls.call_policy`).
A rollback is one method here, not attribute writes from another module.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.contract.policy import RankingPolicy
from loopsim.simulator.contract.world import World
from loopsim.simulator.errors import PolicyContractError
from loopsim.simulator.loop.hooks import Hooks, connect
from loopsim.simulator.loop.policy_calls import call_policy, policy_metrics_values

#: A copy of a policy's state with the model version it serves.
PolicySnapshot = tuple[RankingPolicy, int]


class Deployment:
    """The policy serving now, its hooks and its model version (0 before any update).

    Args:
        policy: The ranking policy under test.
        name: Its name in messages and outputs.
        hooks: Its optional hooks, connected once at the start
            (:func:`~loopsim.simulator.loop.hooks.connect`).
    """

    def __init__(self, policy: RankingPolicy, name: str, hooks: Hooks) -> None:
        self.policy = policy
        self.name = name
        self.hooks = hooks
        self.version = 0

    def call(self, method: str, t: float, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` as the policy's ``method`` at ``t``: any failure names them."""
        return call_policy(self.name, method, t, fn, *args)

    def rank(self, request: SlateRequest) -> Slates:
        """The deployed policy's slates for ``request`` (unchecked)."""
        return self.call("rank", request.t, self.policy.rank, request)

    def update(self, t: float, batch: Feedback) -> int:
        """Train the policy on ``batch`` at ``t``; return the new model version."""
        self.call("update", t, self.policy.update, batch)
        self.version += 1
        return self.version

    def scores(self, items: np.ndarray, t: float) -> np.ndarray | None:
        """The policy's scores of ``items`` (``None``: it gives none)."""
        if not self.hooks.scores_items:
            return None
        scores = self.call("item_scores", t, self.policy.item_scores, items)  # type: ignore[attr-defined]
        if scores is None:
            return None
        out = self.call("item_scores", t, lambda s: np.asarray(s, dtype=np.float64), scores)
        if out.shape != items.shape:
            raise PolicyContractError(
                f"Policy {self.name}: item_scores(items) at t={t:g} returned shape "
                f"{out.shape} for {items.size} items: it must return one score per item "
                "given, in the same order (a 1-D array of len(items))."
            )
        return out

    def policy_metrics(self, t: float) -> dict[str, float]:
        """``policy_metrics()`` of the policy and its parts, as ``policy_<name>`` values."""
        out: dict[str, float] = {}
        for part in self.hooks.reporters:
            values = self.call("policy_metrics", t, part.policy_metrics)
            out.update(policy_metrics_values(self.name, t, values))
        return out

    def stage_metrics(self, t: float) -> dict[str, float]:
        """A pipeline's own stage metrics (:class:`~loopsim.simulator.contract.ServesPools`)."""
        values = self.call("stage_metrics", t, self.policy.stage_metrics)  # type: ignore[attr-defined]
        return {name: float(v) for name, v in (values or {}).items()}

    def last_pools(self) -> np.ndarray | None:
        """The pools a pipeline retrieved for its last batch (``None``: none)."""
        return self.policy.last_pools()  # type: ignore[attr-defined]

    def snapshot(self, world: World) -> PolicySnapshot:
        """A copy of the policy's state and its version; the world it may hold stays shared."""
        return copy.deepcopy(self.policy, {id(world): world}), self.version

    def rollback(self, to: PolicySnapshot, world: World) -> None:
        """Serve ``to`` again: its policy copy, its own hooks and its model version.

        The restored parts keep the streams (and stream states) they had.
        """
        self.policy, self.version = to
        self.hooks = connect(self.policy, world)


__all__ = ["Deployment", "PolicySnapshot"]
