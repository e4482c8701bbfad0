"""The world of Chaney, Stewart & Engelhardt (2018): Dirichlet tastes, Beta utilities.

"How algorithmic confounding in recommendation systems increases homogeneity and
decreases utility" (RecSys 2018). Users have preferences ``theta_u`` and items
attributes ``beta_i`` on ``n_attributes`` topics, both Dirichlet::

    mu_theta ~ Dirichlet(1) * user_concentration,      theta_u ~ Dirichlet(mu_theta)
    mu_beta  ~ Dirichlet(100) * item_concentration,    beta_i  ~ Dirichlet(mu_beta)
    V[u, i]  ~ Beta with mean theta_u . beta_i and variance utility_variance

``V`` is the true utility of item ``i`` for user ``u``. A user never consumes an item
twice: once consumed (clicked), an item's relevance for that user is 0. Pair it with
``click_model=attention`` (attention decaying with rank, one consumption per
session, reward = utility) and a start-up period of random slates (``startup_days``).
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator.catalogue import grown
from loopsim.simulator.contract import Feedback
from loopsim.simulator.schema import NonNegative, NonNegativeInt, Positive, PositiveInt


def beta_from_mean_variance(
    mean: np.ndarray, variance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Beta parameters ``(a, b)`` of the given means and (capped) variance.

    The variance is capped at ``0.99 * mean * (1 - mean)`` (the largest a Beta allows).

    Args:
        mean: Means in (0, 1).
        variance: Target variance, > 0.

    Returns:
        ``(a, b)`` arrays with ``a / (a + b) == mean``.
    """
    m = np.clip(mean, 1e-9, 1.0 - 1e-9)
    var = np.minimum(variance, 0.99 * m * (1.0 - m))
    common = m * (1.0 - m) / var - 1.0
    return m * common, (1.0 - m) * common


class ChaneyWorld:
    """Users and items on Dirichlet topics, Beta utilities, no repeat consumption.

    Args:
        n_users: Number of users.
        n_items: Number of items at time 0.
        n_attributes: Number of topics.
        user_concentration: Scale of the users' Dirichlet parameter (10 in the paper).
        item_concentration: Scale of the items' Dirichlet parameter (0.1 in the paper).
        utility_variance: Variance of the Beta utilities around ``theta . beta``.
        sessions_per_user_per_day: Sessions per user per day (1: one per time step).
        item_arrival_rate: New items per day.
        seed: Optional fixed seed of the world.
    """

    item_lifetime = None

    def __init__(
        self,
        n_users: PositiveInt = 100,
        n_items: PositiveInt = 500,
        n_attributes: PositiveInt = 20,
        user_concentration: Positive = 10.0,
        item_concentration: Positive = 0.1,
        utility_variance: Positive = 1e-5,
        sessions_per_user_per_day: Positive = 1.0,
        item_arrival_rate: NonNegative = 0.0,
        seed: NonNegativeInt | None = None,
    ) -> None:
        self.n_users = n_users
        self.n_initial_items = n_items
        self.n_attributes = n_attributes
        self.user_concentration = user_concentration
        self.item_concentration = item_concentration
        self.utility_variance = utility_variance
        self.sessions_per_user_per_day = sessions_per_user_per_day
        self.item_arrival_rate = item_arrival_rate
        self.seed = seed
        self._n_items = 0
        self._version = 0

    def reset(self, rng: np.random.Generator) -> None:
        """Draw user preferences, the items' topic prior, and the initial items."""
        d = self.n_attributes
        mu_theta = rng.dirichlet(np.ones(d)) * self.user_concentration
        self._mu_beta = rng.dirichlet(np.full(d, 100.0)) * self.item_concentration
        self._preferences = _dirichlet_rows(rng, mu_theta, self.n_users)
        self._attributes = np.zeros((0, d))
        self._utility = np.zeros((self.n_users, 0))
        self._consumed = np.zeros((self.n_users, 0), dtype=bool)
        self._n_items = 0
        self._version = 0
        self.add_items(self.n_initial_items, rng)

    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` new items (attributes, then utilities for every user)."""
        start, stop = self._n_items, self._n_items + n
        attributes = _dirichlet_rows(rng, self._mu_beta, n)
        a, b = beta_from_mean_variance(self._preferences @ attributes.T, self.utility_variance)
        utility = rng.beta(a, b)
        self._attributes = grown(self._attributes, stop)
        self._attributes[start:stop] = attributes
        if stop > self._utility.shape[1]:
            capacity = max(stop, 2 * self._utility.shape[1])
            self._utility = _grown_columns(self._utility, capacity)
            self._consumed = _grown_columns(self._consumed, capacity)
        self._utility[:, start:stop] = utility
        self._n_items = stop
        self._version += 1
        return np.arange(start, stop, dtype=np.int64)

    # -- state ----------------------------------------------------------------------
    @property
    def n_items(self) -> int:
        """Number of item ids created so far."""
        return self._n_items

    def activity(self) -> np.ndarray:
        """Every user has the same rate of sessions."""
        return np.full(self.n_users, float(self.sessions_per_user_per_day))

    @property
    def is_global(self) -> bool:
        """Utilities are personal."""
        return False

    @property
    def version(self) -> int:
        """Changes with new items and with every consumption (relevance drops to 0)."""
        return self._version

    @property
    def preferences(self) -> np.ndarray:
        """``(n_users, n_attributes)`` user preferences ``theta``."""
        return self._preferences

    def utility(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` true utilities, whether consumed or not."""
        return self._utility[np.ix_(users, items)]

    def consumed(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` whether each user has already consumed each item."""
        return self._consumed[np.ix_(users, items)]

    # -- truth ----------------------------------------------------------------------
    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` utility of items not yet consumed, 0 for consumed ones."""
        idx = np.ix_(users, items)
        return np.where(self._consumed[idx], 0.0, self._utility[idx])

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` relevance of ``slates[b, r]`` for ``users[b]``."""
        u = users[:, None]
        return np.where(self._consumed[u, slates], 0.0, self._utility[u, slates])

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """Mean utility over all users (consumption does not change it)."""
        return self._utility[:, items].mean(axis=0)

    def observe(self, feedback: Feedback) -> None:
        """Mark clicked items as consumed by their users."""
        if len(feedback) == 0 or not feedback.click.any():
            return
        self._consumed[feedback.user[feedback.click], feedback.item[feedback.click]] = True
        self._version += 1

    def __repr__(self) -> str:
        return (f"ChaneyWorld(n_users={self.n_users}, n_items={self.n_initial_items}, "
                f"n_attributes={self.n_attributes})")


def _dirichlet_rows(rng: np.random.Generator, alpha: np.ndarray, n: int) -> np.ndarray:
    """``n`` Dirichlet(alpha) rows, from normalised Gammas (robust to tiny alphas)."""
    g = rng.standard_gamma(alpha, size=(n, alpha.shape[0]))
    total = g.sum(axis=1, keepdims=True)
    empty = total[:, 0] <= 0
    if empty.any():  # every Gamma underflowed: put the mass on one topic drawn by alpha
        g[empty] = 0.0
        g[empty, rng.choice(alpha.shape[0], size=int(empty.sum()), p=alpha / alpha.sum())] = 1.0
        total = g.sum(axis=1, keepdims=True)
    return g / total


def _grown_columns(a: np.ndarray, capacity: int) -> np.ndarray:
    out = np.zeros((a.shape[0], capacity), dtype=a.dtype)
    out[:, : a.shape[1]] = a
    return out


__all__ = ["ChaneyWorld", "beta_from_mean_variance"]
