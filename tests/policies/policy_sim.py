"""Helpers shared by the policy tests: tiny simulations and a slate recorder."""

from __future__ import annotations

import numpy as np
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates

#: The examination curve of the issue's propensity-estimation evidence.
EXAMINATION = [0.68, 0.61, 0.48, 0.34, 0.28, 0.20, 0.11, 0.10, 0.08, 0.06]


class Recorder:
    """Wraps a policy and keeps every slate it serves (tests only)."""

    def __init__(self, policy: object) -> None:
        self.policy = policy
        self.slates: list[np.ndarray] = []
        self.propensities: list[np.ndarray | None] = []
        self.log: list[Feedback] = []

    def rank(self, request: SlateRequest) -> Slates:
        out = self.policy.rank(request)
        self.slates.append(np.array(out.items))
        self.propensities.append(None if out.propensities is None else np.array(out.propensities))
        return out

    def update(self, feedback: Feedback) -> None:
        self.log.append(feedback)
        self.policy.update(feedback)

    def item_scores(self, items: np.ndarray) -> np.ndarray:
        return self.policy.item_scores(items)

    def parts(self) -> tuple[object, ...]:
        return (self.policy,)  # the engine checks the wrapped policy's hooks


def simulate(policy: object, *, seed: int = 0, horizon: float = 3.0, n_users: int = 200,
             n_items: int = 60, personalization: float = 0.0, examination=None,
             world: dict | None = None, **config: object):
    """Run ``policy`` on a small synthetic world (no new items) and return the result."""
    options = {"sessions_per_user_per_day": 1.0, "item_arrival_rate": 0.0, **(world or {})}
    world = SyntheticWorld(n_users=n_users, n_items=n_items, personalization=personalization,
                           **options)
    clicks = PositionBasedModel(examination=examination) if examination else PositionBasedModel()
    cfg = SimulationConfig(horizon=horizon, progress=False, **config)
    result = Simulation(world, clicks, policy, cfg, seed=seed).run()  # type: ignore[arg-type]
    result.raise_for_status()
    return result
