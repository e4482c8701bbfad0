"""The world of Chaney, Stewart & Engelhardt (2018): Dirichlet tastes, Beta utilities.

"How algorithmic confounding in recommendation systems increases homogeneity and
decreases utility" (RecSys 2018). Users have preferences ``theta_u`` and items
attributes ``beta_i`` on ``n_attributes`` topics, both Dirichlet::

    mu_theta ~ Dirichlet(1) * user_concentration,      theta_u ~ Dirichlet(mu_theta)
    mu_beta  ~ Dirichlet(100) * item_concentration,    beta_i  ~ Dirichlet(mu_beta)
    V[u, i]  ~ Beta with mean theta_u . beta_i and standard deviation utility_sd
    nu[u, i] ~ Beta with mean known_fraction_mean and standard deviation known_fraction_sd
    known    = nu * V

``V`` is the true utility of item ``i`` for user ``u``; users act on the part they
know, ``nu * V``: that is the world's ``relevance`` (what a choice sees), and
``conversion_of_slates`` gives the true ``V`` (the reward of a consumption). The
spreads are standard deviations, as in the T-RECS replication of the paper
(``sunnymatt/t-recs-experiments``, ``algo_confounding/chaney_utils.py``,
``mu_sigma_to_alpha_beta`` divides by ``sigma**2``; defaults ``sigma = 1e-5``,
``mu_n = 0.98`` in ``replication_sim.py``). A user never consumes an item twice: once
consumed (clicked), an item's relevance for that user is 0. Pair it with
``click_model=attention`` (attention decaying with rank, one consumption per session,
reward = true utility), new items every day (``item_arrival_rate``) and a start-up
period of random slates (``startup_days``): the preset ``experiment=chaney``.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.loop.catalogue import grown
from loopsim.simulator.params.component_schema import (
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
    Range,
)
from loopsim.simulator.world.state import UniformActivity, WorldState


def beta_from_mean_sd(mean: np.ndarray | float, sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Beta parameters ``(a, b)`` of the given means and standard deviation ``sd``.

    The paper's ``Beta'(mu, sigma)``: ``sigma`` is a standard deviation, so the variance
    is ``sd ** 2`` (capped as in :func:`beta_from_mean_variance`).
    """
    return beta_from_mean_variance(np.asarray(mean, dtype=np.float64), float(sd) ** 2)


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


class ChaneyWorld(UniformActivity, WorldState):
    """Users and items on Dirichlet topics, Beta utilities, no repeat consumption.

    Args:
        n_users: Number of users.
        n_items: Number of items at time 0.
        n_attributes: Number of topics.
        user_concentration: Scale of the users' Dirichlet parameter (10 in the paper).
        item_concentration: Scale of the items' Dirichlet parameter (0.1 in the paper).
        utility_sd: Standard deviation of the Beta utilities around ``theta . beta``
            (the paper's ``sigma = 1e-5``).
        known_fraction_mean: Mean of the Beta fraction ``nu`` of the utility users know
            (0.98 in the paper); 1 with ``known_fraction_sd = 0``: users know ``V``.
        known_fraction_sd: Standard deviation of ``nu`` (``1e-5`` in the paper; 0: every
            fraction equals the mean).
        sessions_per_user_per_day: Sessions per user per day (1: one per time step).
        item_arrival_rate: New items per day (10 per time step in the paper).
        seed: Optional fixed seed of the world.

    :attr:`version` changes with new items and with every consumption (the consumed
    item's relevance drops to 0).
    """

    item_lifetime = None

    def __init__(
        self,
        n_users: PositiveInt = 100,
        n_items: PositiveInt = 500,
        n_attributes: PositiveInt = 20,
        user_concentration: Positive = 10.0,
        item_concentration: Positive = 0.1,
        utility_sd: Positive = 1e-5,
        known_fraction_mean: Annotated[float, Range(0.0, 1.0, low_open=True)] = 0.98,
        known_fraction_sd: NonNegative = 1e-5,
        sessions_per_user_per_day: Positive = 1.0,
        item_arrival_rate: NonNegative = 0.0,
        seed: NonNegativeInt | None = None,
    ) -> None:
        super().__init__(n_users, n_items, sessions_per_user_per_day, seed)
        self.n_attributes = n_attributes
        self.user_concentration = user_concentration
        self.item_concentration = item_concentration
        self.utility_sd = utility_sd
        self.known_fraction_mean = known_fraction_mean
        self.known_fraction_sd = known_fraction_sd
        self.item_arrival_rate = item_arrival_rate

    def _check_known_fraction(self) -> None:
        """The one constraint between two fields: a Beta of that mean allows that sd."""
        m = self.known_fraction_mean
        if self.known_fraction_sd > 0 and self.known_fraction_sd ** 2 >= m * (1.0 - m):
            raise ConfigError(
                f"`world.known_fraction_sd == {self.known_fraction_sd}` is too large for a "
                f"Beta of mean {m}: its variance must be below mean * (1 - mean) = "
                f"{m * (1.0 - m):.4g}; use a smaller sd (the paper's is 1e-5)."
            )

    def reset(self, rng: np.random.Generator) -> None:
        """Draw user preferences, the items' topic prior, and the initial items."""
        self._check_known_fraction()
        d = self.n_attributes
        mu_theta = rng.dirichlet(np.ones(d)) * self.user_concentration
        self._mu_beta = rng.dirichlet(np.full(d, 100.0)) * self.item_concentration
        self._preferences = _dirichlet_rows(rng, mu_theta, self.n_users)
        self._attributes = np.zeros((0, d))
        self._utility = np.zeros((self.n_users, 0))
        self._known = np.zeros((self.n_users, 0))
        self._consumed = np.zeros((self.n_users, 0), dtype=bool)
        self._reset_items()
        self.add_items(self.n_initial_items, rng)

    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` new items (attributes, then utilities for every user)."""
        start, stop = self._n_items, self._n_items + n
        attributes = _dirichlet_rows(rng, self._mu_beta, n)
        a, b = beta_from_mean_sd(self._preferences @ attributes.T, self.utility_sd)
        utility = rng.beta(a, b)
        known = utility * self._known_fraction(rng, utility.shape)
        self._attributes = grown(self._attributes, stop)
        self._attributes[start:stop] = attributes
        if stop > self._utility.shape[1]:
            capacity = max(stop, 2 * self._utility.shape[1])
            self._utility = _grown_columns(self._utility, capacity)
            self._known = _grown_columns(self._known, capacity)
            self._consumed = _grown_columns(self._consumed, capacity)
        self._utility[:, start:stop] = utility
        self._known[:, start:stop] = known
        return self._items_added(start, stop)

    def _known_fraction(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        """``nu ~ Beta(mean, sd)``: the fraction of each utility the user knows."""
        if self.known_fraction_sd == 0:
            return np.full(shape, float(self.known_fraction_mean))
        a, b = beta_from_mean_sd(self.known_fraction_mean, self.known_fraction_sd)
        return rng.beta(float(a), float(b), size=shape)

    # -- state ----------------------------------------------------------------------
    @property
    def is_global(self) -> bool:
        """Utilities are personal."""
        return False

    @property
    def preferences(self) -> np.ndarray:
        """``(n_users, n_attributes)`` user preferences ``theta``."""
        return self._preferences

    def utility(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` true utilities, whether consumed or not."""
        return self._utility[np.ix_(users, items)]

    def known_utility(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` the utilities users know (``nu * V``), whether consumed or not."""
        return self._known[np.ix_(users, items)]

    def nearest_neighbour_pairs(self) -> np.ndarray:
        """``(n_users, 2)``: each user with the other user of most similar preferences.

        Similarity is the cosine of the true preferences ``theta`` (ties to the lower
        id). The pairing of Chaney et al.'s "similar users"; fixed for the run, so the
        same pairs are compared under every policy and under the ideal recommender.
        """
        p = self._preferences / np.linalg.norm(self._preferences, axis=1, keepdims=True)
        sim = p @ p.T
        np.fill_diagonal(sim, -np.inf)
        return np.stack([np.arange(self.n_users), np.argmax(sim, axis=1)], axis=1)

    def consumed(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` whether each user has already consumed each item."""
        return self._consumed[np.ix_(users, items)]

    # -- truth ----------------------------------------------------------------------
    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` known utility of items not yet consumed, 0 for consumed ones."""
        idx = np.ix_(users, items)
        return np.where(self._consumed[idx], 0.0, self._known[idx])

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` relevance (known utility) of ``slates[b, r]`` for ``users[b]``."""
        u = users[:, None]
        return np.where(self._consumed[u, slates], 0.0, self._known[u, slates])

    def conversion_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` true utility of ``slates[b, r]``: the reward when it is consumed."""
        return self._utility[users[:, None], slates]

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


__all__ = ["ChaneyWorld", "beta_from_mean_sd", "beta_from_mean_variance"]
