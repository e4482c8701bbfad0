"""Unbounded user interest that grows toward what users click (Jiang et al. 2019).

"Degenerate feedback loops in recommender systems" (Jiang, Chiappa, Lattimore, György &
Kohli, AIES 2019) calls a loop *degenerate* when users' interest diverges: it moves
without bound away from where it started. Here interest is a vector in ``R^d`` with no
normalisation, and items are fixed unit vectors::

    theta_u(0) ~ Normal(0, interest_scale**2 / d * I)      v_i ~ uniform on the unit sphere
    relevance(u, i) = sigmoid(theta_u . v_i)                (click probability once examined)
    after each served batch:
        theta_u <- theta_u + step * sum_{i clicked by u} v_i
                           - negative_step * sum_{i shown to u, not clicked} v_i

A click pulls the interest toward the item, a shown item left unclicked pushes it away
(``negative_step = 0``: clicks only). Because nothing renormalises ``theta``,
``drift_distance`` (the mean ``||theta_u(t) - theta_u(0)||``) is unbounded: under a
greedy personalized ranking the clicked items are the ones most aligned with
``theta_u``, each click lengthens ``theta_u`` along them, and the distance grows about
linearly in the number of clicks. The update is additive, so it does not depend on how
sessions are batched (``tick``), except that a batch is ranked on the interest at its
start.

The bounded variant is :class:`~loopsim.simulator.world.synthetic.SyntheticWorld` with
``drift > 0``: preferences move toward clicked items but stay on the unit sphere, so
``drift_distance <= 2`` and any policy, random included, ends up moving them.

What is this paper's model and what is loopsim's reading of it is set out in
docs/validation.md (section "Degenerate feedback loops").
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
from loopsim.simulator.world.state import PreferenceViews, UniformActivity, WorldState


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class InterestWorld(UniformActivity, PreferenceViews, WorldState):
    """Users with unbounded interest vectors that move toward what they click.

    Args:
        n_users: Number of users.
        n_items: Number of items at time 0.
        n_factors: Dimension ``d`` of interests and items.
        interest_scale: Typical norm of the initial interest (its coordinates have sd
            ``interest_scale / sqrt(d)``).
        step: How far one click moves the interest toward the clicked item.
        negative_step: How far a shown, unclicked item pushes the interest away (0: no
            negative feedback).
        sessions_per_user_per_day: Sessions per user per day.
        item_arrival_rate: New items per day (a growing candidate pool).
        seed: Optional fixed seed of the world.

    :attr:`version` changes with new items and whenever an interest moves;
    ``relevance_version`` only when an interest moves. :attr:`preferences` are the
    current interests (unbounded), :attr:`initial_preferences` those at time 0.
    """

    item_lifetime = None

    def __init__(
        self,
        n_users: PositiveInt = 200,
        n_items: PositiveInt = 200,
        n_factors: PositiveInt = 8,
        interest_scale: NonNegative = 1.0,
        step: NonNegative = 0.05,
        negative_step: NonNegative = 0.0,
        sessions_per_user_per_day: Positive = 1.0,
        item_arrival_rate: NonNegative = 0.0,
        seed: NonNegativeInt | None = None,
    ) -> None:
        super().__init__(n_users, n_items, sessions_per_user_per_day, seed)
        self.n_factors = n_factors
        self.interest_scale = interest_scale
        self.step = step
        self.negative_step = negative_step
        self.item_arrival_rate = item_arrival_rate
        self._relevance_version = 0

    def reset(self, rng: np.random.Generator) -> None:
        """Draw the users' initial interests, then the initial items.

        The parameters' ranges are declared on the constructor (its schema), checked
        once before the run.
        """
        d = self.n_factors
        # The interests theta_u: the preferences of the HasPreferences hook.
        self._preferences = rng.standard_normal((self.n_users, d)) * (self.interest_scale / d**0.5)
        self._initial_preferences = self._preferences.copy()
        self._items = np.zeros((0, d))
        self._reset_items()
        self._relevance_version = 0
        self.add_items(self.n_initial_items, rng)

    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` new unit item vectors and return their ids."""
        start, stop = self._n_items, self._n_items + n
        v = rng.standard_normal((n, self.n_factors))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        self._items = grown(self._items, stop)
        self._items[start:stop] = v
        return self._items_added(start, stop)

    # -- state ----------------------------------------------------------------------
    @property
    def is_global(self) -> bool:
        """Interests are personal."""
        return False

    @property
    def relevance_version(self) -> int:
        """Changes whenever an interest moves (adding items leaves it alone)."""
        return self._relevance_version

    def item_vectors(self, items: np.ndarray) -> np.ndarray:
        """``(I, n_factors)`` unit vectors of items."""
        return self._items[items]

    # -- truth ----------------------------------------------------------------------
    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` ``sigmoid(theta_u . v_i)``."""
        return _sigmoid(self._preferences[users] @ self._items[items].T)

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` relevance of ``slates[b, r]`` for ``users[b]``."""
        return _sigmoid(np.einsum("bd,bkd->bk", self._preferences[users], self._items[slates]))

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """Mean relevance over all users (exact)."""
        return self.relevance(np.arange(self.n_users), items).mean(axis=0)

    def observe(self, feedback: Feedback) -> None:
        """Move each user's interest toward clicked items (away from unclicked ones)."""
        if len(feedback) == 0:
            return
        weight = np.where(feedback.click, self.step, -self.negative_step)
        moved = weight != 0
        if not moved.any():
            return
        np.add.at(self._preferences, feedback.user[moved],
                  weight[moved, None] * self._items[feedback.item[moved]])
        self._version += 1
        self._relevance_version += 1

    def __repr__(self) -> str:
        return (f"InterestWorld(n_users={self.n_users}, n_items={self.n_initial_items}, "
                f"step={self.step}, negative_step={self.negative_step})")


__all__ = ["InterestWorld"]
