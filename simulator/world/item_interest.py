"""Per-item user interest that rises when clicked and falls when shown and not clicked.

A reading of Jiang, Chiappa, Lattimore, György & Kohli (2019), "Degenerate feedback
loops in recommender systems", consistent with what is quoted of it: each user ``u``
holds an interest ``mu_u(i)`` in every item ``i`` (a real number, unbounded), clicks an
examined item with probability ``sigmoid(mu_u(i))``, and after each served batch::

    mu_u(i) <- mu_u(i) + step            if u was shown i and clicked it
    mu_u(i) <- mu_u(i) - negative_step   if u was shown i and did not click

Showing an item to a user is a self-reinforcing random walk on ``mu_u(i)``: its mean
step ``step * p - negative_step * (1 - p)`` (``p = sigmoid(mu)``; with equal steps
``step * (2p - 1)``) has the sign of ``mu``, so an item shown without end drifts to
``+inf`` or ``-inf``. The system *degenerates* when ``||mu_t - mu_0||`` grows without
bound (``drift_distance``, the mean over users). Hence the paper's levers:

* a greedy oracle keeps showing each user the items they like most, which it pushes
  up at the largest rate: the fastest degeneracy;
* random exploration spreads the shows over the pool, so each item's walk moves
  slowly (its drift is small while ``mu`` is near 0);
* a finite pool served for ever shows each item infinitely often: every walk ends up
  in its divergent regime. A pool growing linearly (``item_arrival_rate`` new items a
  day) spreads random shows so that an item present since ``s`` is shown about
  ``(k / rate) log(t / s)`` times by ``t``: each walk stays short, and the norm grows
  only like ``sqrt(t)`` (the sum of many short walks). A pool growing as ``t ** alpha``
  with ``alpha < 1`` (``item_arrival_exponent``) shows each item about ``t ** (1 -
  alpha)`` times: the walks reach their divergent regime again.

New items start with interests ``mu ~ Normal(0, interest_scale ** 2)`` for every user.
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.params.component_schema import (
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
)
from loopsim.simulator.world.state import PreferenceViews, UniformActivity, WorldState


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class ItemInterestWorld(UniformActivity, PreferenceViews, WorldState):
    """Each user's interest in each item, moved by what they are shown and click.

    Args:
        n_users: Number of users.
        n_items: Number of items at time 0.
        interest_scale: Standard deviation of a new item's initial interest.
        step: Rise of ``mu_u(i)`` when ``u`` clicks ``i``.
        negative_step: Fall of ``mu_u(i)`` when ``u`` is shown ``i`` and does not click.
        sessions_per_user_per_day: Sessions per user per day.
        item_arrival_rate: Pool growth: about ``item_arrival_rate * t ** exponent`` new
            items by day ``t``.
        item_arrival_exponent: ``alpha > 0``: 1 grows the pool linearly, ``< 1``
            sub-linearly.
        seed: Optional fixed seed of the world.

    :attr:`preferences` are the interests ``(n_users, n_items)`` (every item created so
    far), :attr:`initial_preferences` each item's interests when it arrived.
    """

    item_lifetime = None

    def __init__(
        self,
        n_users: PositiveInt = 200,
        n_items: PositiveInt = 200,
        interest_scale: NonNegative = 1.0,
        step: NonNegative = 0.1,
        negative_step: NonNegative = 0.1,
        sessions_per_user_per_day: Positive = 1.0,
        item_arrival_rate: NonNegative = 0.0,
        item_arrival_exponent: Positive = 1.0,
        seed: NonNegativeInt | None = None,
    ) -> None:
        super().__init__(n_users, n_items, sessions_per_user_per_day, seed)
        self.interest_scale = interest_scale
        self.step = step
        self.negative_step = negative_step
        self.item_arrival_rate = item_arrival_rate
        self.item_arrival_exponent = item_arrival_exponent
        self._relevance_version = 0

    def reset(self, rng: np.random.Generator) -> None:
        """No interest yet; draw the initial items' interests."""
        self._preferences = np.zeros((self.n_users, 0))
        self._initial_preferences = np.zeros((self.n_users, 0))
        self._shows = np.zeros((self.n_users, 0), dtype=np.int64)
        self._reset_items()
        self._relevance_version = 0
        self.add_items(self.n_initial_items, rng)

    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw every user's initial interest in ``n`` new items; return their ids."""
        start, stop = self._n_items, self._n_items + n
        mu = rng.standard_normal((self.n_users, n)) * float(self.interest_scale)
        self._preferences = np.concatenate([self._preferences, mu], axis=1)
        self._initial_preferences = np.concatenate([self._initial_preferences, mu], axis=1)
        self._shows = np.concatenate([self._shows, np.zeros((self.n_users, n), np.int64)],
                                     axis=1)
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

    def shows(self, items: np.ndarray) -> np.ndarray:
        """``(n_users, I)`` how many times each user was shown each of ``items``."""
        return self._shows[:, items].copy()

    # -- truth ----------------------------------------------------------------------
    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` ``sigmoid(mu_u(i))``."""
        return _sigmoid(self._preferences[np.ix_(users, items)])

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` relevance of ``slates[b, r]`` for ``users[b]``."""
        return _sigmoid(self._preferences[np.asarray(users)[:, None], slates])

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """Mean relevance over all users (exact)."""
        return self.relevance(np.arange(self.n_users), items).mean(axis=0)

    def observe(self, feedback: Feedback) -> None:
        """Raise the interest in clicked items, lower it in items shown and not clicked."""
        if len(feedback) == 0:
            return
        np.add.at(self._shows, (feedback.user, feedback.item), 1)
        weight = np.where(feedback.click, float(self.step), -float(self.negative_step))
        moved = weight != 0
        if not moved.any():
            return
        np.add.at(self._preferences, (feedback.user[moved], feedback.item[moved]), weight[moved])
        self._version += 1
        self._relevance_version += 1

    def __repr__(self) -> str:
        return (f"ItemInterestWorld(n_users={self.n_users}, n_items={self.n_initial_items}, "
                f"step={self.step}, negative_step={self.negative_step}, "
                f"item_arrival_rate={self.item_arrival_rate}, "
                f"item_arrival_exponent={self.item_arrival_exponent})")


__all__ = ["ItemInterestWorld"]
