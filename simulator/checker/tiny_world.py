"""The tiny world the policy checks run on: a few users, sparse ids, PBM clicks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from loopsim.simulator.click_models.pbm import PositionBasedModel
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.world.synthetic import SyntheticWorld

#: Users and initial items of the tiny world; only odd ids start available.
N_USERS, N_ITEMS = 40, 30


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass
class TinyWorld:
    """A small synthetic world, its catalogue and its own random stream.

    Attributes:
        world: 40 users and 30 initial items, half personal taste, no item arrivals,
            4 observable attributes per item (their own stream: no other draw moves).
        click_model: Position-based clicks, ``eta = 1``.
        available: ``(n_items,)`` bool mask of the available ids.
        candidates: Sorted read-only available ids; odd ids at first, so a policy that
            returns indices into ``candidates`` instead of ids is caught.
        rng: Draws users and clicks (never the policy's generator).
    """

    world: SyntheticWorld
    click_model: PositionBasedModel
    available: np.ndarray
    candidates: np.ndarray
    rng: np.random.Generator

    @classmethod
    def build(cls, seed: int) -> TinyWorld:
        """The tiny world drawn from ``seed``."""
        rng = np.random.default_rng(seed)
        world = SyntheticWorld(n_users=N_USERS, n_items=N_ITEMS, personalization=0.5,
                               item_arrival_rate=0.0, item_attributes=4)
        world.reset(rng)
        available = np.zeros(N_ITEMS, dtype=bool)
        available[1::2] = True
        return cls(world, PositionBasedModel(eta=1.0), available,
                   _read_only(np.flatnonzero(available)), rng)

    def request(self, t: float, batch: int, k: int, rng: np.random.Generator) -> SlateRequest:
        """A request for ``batch`` random users; ``rng`` is the policy's generator."""
        users = _read_only(self.rng.integers(0, N_USERS, batch).astype(np.int64))
        return SlateRequest(t, users, self.candidates, k, rng)

    def feedback(self, request: SlateRequest, slates: Slates) -> Feedback:
        """Clicks on validated slates under the position-based model."""
        relevance = self.world.relevance_of_slates(request.users, slates.items)
        clicks, rewards = self.click_model.sample(relevance, self.rng)
        times = np.full(request.batch_size, request.t)
        return Feedback.from_slates(times, request.users, slates, clicks, rewards)

    def change_catalogue(self) -> tuple[np.ndarray, np.ndarray]:
        """Remove the three lowest available ids and add four new items.

        Returns:
            The removed ids and the added ids.
        """
        removed = self.candidates[:3].copy()
        added = self.world.add_items(4, self.rng)
        available = np.zeros(self.world.n_items, dtype=bool)
        available[: self.available.shape[0]] = self.available
        available[removed] = False
        available[added] = True
        self.available = available
        self.candidates = _read_only(np.flatnonzero(available))
        return removed, added
