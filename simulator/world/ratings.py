"""A world calibrated from a ratings file (MovieLens formats).

From the ratings of ``world.path`` (read by
:func:`~loopsim.simulator.world.ratings_io.read_ratings`):

* users and items are the ones of the file (ids remapped to ``0..n-1`` in ascending
  order of the file's ids);
* the **true value** of an item is its shrunk mean rating
  ``(sum of ratings + shrinkage * global mean) / (count + shrinkage)``, rescaled from
  the file's rating range to [0, 1];
* **relevance** is ``click_scale`` times the rescaled prediction of a rank-``n_factors``
  factorization of the centred ratings (alternating least squares with an L2 penalty),
  clipped to [0, 1];
* **initial popularity** is the items' rating counts: :meth:`RatingsWorld.history`
  replays one clicked impression per rating, which the engine hands to the policy
  before the first session when ``warm_start`` is on; users' activity is proportional
  to how many ratings they gave.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.component_schema import (
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
    Range,
)
from loopsim.simulator.world.ratings_io import (
    MOVIELENS_SCALE,
    Ratings,
    check_variance,
    read_ratings,
)
from loopsim.simulator.world.state import WorldState


def als(
    rows: np.ndarray,
    cols: np.ndarray,
    values: np.ndarray,
    shape: tuple[int, int],
    rank: int,
    regularization: float,
    iterations: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Low-rank factorization ``values ~ P[rows] . Q[cols]`` by alternating least squares.

    Minimises ``sum (v - p_r . q_c)^2 + regularization * (|P|^2 + |Q|^2)`` over the
    observed entries only. Each half-step solves all rows at once (batched normal
    equations built with ``bincount``); no per-entry Python loop.

    Args:
        rows: ``(N,)`` row index of each observed entry.
        cols: ``(N,)`` column index of each observed entry.
        values: ``(N,)`` observed values.
        shape: ``(n_rows, n_cols)``.
        rank: Number of factors.
        regularization: L2 penalty, > 0.
        iterations: Number of (P, Q) sweeps.
        rng: Draws the initial ``Q``.

    Returns:
        ``(P, Q)`` of shapes ``(n_rows, rank)`` and ``(n_cols, rank)``.
    """
    q = rng.normal(0.0, 0.1, (shape[1], rank))
    p = np.zeros((shape[0], rank))
    for _ in range(iterations):
        p = _solve(rows, cols, values, shape[0], q, regularization)
        q = _solve(cols, rows, values, shape[1], p, regularization)
    return p, q


def _solve(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n: int,
           fixed: np.ndarray, reg: float) -> np.ndarray:
    d = fixed.shape[1]
    f = fixed[cols]
    a = np.empty((n, d, d))
    for k in range(d):
        for m in range(k, d):
            a[:, k, m] = a[:, m, k] = np.bincount(rows, weights=f[:, k] * f[:, m], minlength=n)
    b = np.stack([np.bincount(rows, weights=f[:, k] * values, minlength=n) for k in range(d)],
                 axis=1)
    a += reg * np.eye(d)
    return np.linalg.solve(a, b[..., None])[..., 0]


class RatingsWorld(WorldState):
    """Users, items and truth calibrated from a MovieLens-style ratings file.

    Args:
        path: The ratings file (CSV with header ``userId,movieId,rating,timestamp``, or
            tab-separated ``user item rating timestamp`` without header).
        format: ``auto``, ``csv`` or ``tsv``.
        n_factors: Rank of the factorization behind relevance.
        regularization: L2 penalty of the factorization.
        iterations: Alternating least squares sweeps.
        shrinkage: Pseudo-ratings at the global mean added to every item's mean.
        click_scale: Relevance of the best possible predicted rating, in (0, 1].
        sessions_per_user_per_day: Mean sessions per user per day; each user's rate is
            proportional to their number of ratings.
        warm_start: Hand the ratings (one clicked impression each) to the policy before
            the first session, so it starts from the items' rating counts.
        seed: Optional fixed seed of the world (initialises the factorization).
        duplicates: How rows repeating a (user, item) pair are combined: ``mean``,
            ``last`` or ``sum``; ``None`` (default) refuses such a file.
        rating_min: Lowest rating of the file's scale (MovieLens: 0.5); a rating below
            is refused, naming its line.
        rating_max: Highest rating of the file's scale (MovieLens: 5); a rating above
            is refused, naming its line.

    ``n_users``, ``n_initial_items`` and :attr:`n_items` are 0 until :meth:`reset` reads
    the file, then those of the file; :attr:`version` is fixed after calibration.
    """

    item_arrival_rate = 0.0
    item_lifetime = None

    def __init__(
        self,
        path: str | None = None,
        format: Literal["auto", "csv", "tsv"] = "auto",
        n_factors: PositiveInt = 8,
        regularization: Positive = 5.0,
        iterations: PositiveInt = 10,
        shrinkage: NonNegative = 10.0,
        click_scale: Annotated[float, Range(0.0, 1.0, low_open=True)] = 1.0,
        sessions_per_user_per_day: Positive = 1.0,
        warm_start: bool = True,
        seed: NonNegativeInt | None = None,
        duplicates: Literal["mean", "last", "sum"] | None = None,
        rating_min: float = MOVIELENS_SCALE[0],
        rating_max: float = MOVIELENS_SCALE[1],
    ) -> None:
        super().__init__(0, 0, sessions_per_user_per_day, seed)  # the file's, at reset
        self.path = path
        self.format = format
        self.n_factors = n_factors
        self.regularization = regularization
        self.iterations = iterations
        self.shrinkage = shrinkage
        self.click_scale = click_scale
        self.warm_start = warm_start
        self.duplicates = duplicates
        self.rating_min = rating_min
        self.rating_max = rating_max

    def _validate(self) -> None:
        if not self.path:
            raise ConfigError("`world.path` is not set: give the ratings file, e.g. "
                              "world.path=/data/ml-100k/u.data.")
        low, high = self.rating_min, self.rating_max
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ConfigError(f"`world.rating_min == {low!r}`, `world.rating_max == {high!r}`: "
                              "the rating scale must be finite with rating_min < rating_max "
                              "(MovieLens: 0.5 and 5).")

    def reset(self, rng: np.random.Generator) -> None:
        """Read the file and calibrate values, relevance, popularity and activity."""
        self._validate()
        path = Path(str(self.path)).expanduser()
        ratings = read_ratings(path, self.format, self.duplicates,
                               (float(self.rating_min), float(self.rating_max)))
        check_variance(path, ratings)
        self._calibrate(ratings, rng)

    def _calibrate(self, ratings: Ratings, rng: np.random.Generator) -> None:
        self.user_ids, users = np.unique(ratings.user, return_inverse=True)
        self.item_ids, items = np.unique(ratings.item, return_inverse=True)
        self._users, self._items = users.astype(np.int64), items.astype(np.int64)
        self.n_users, self.n_initial_items = self.user_ids.size, self.item_ids.size
        self._n_items = self.n_initial_items
        r = ratings.rating
        low, high = float(r.min()), float(r.max())
        span = high - low if high > low else 1.0
        self._scale = (low, span)
        mean = float(r.mean())
        counts = np.bincount(items, minlength=self.n_initial_items).astype(np.float64)
        sums = np.bincount(items, weights=r, minlength=self.n_initial_items)
        shrunk = (sums + self.shrinkage * mean) / (counts + self.shrinkage)
        self._value = (shrunk - low) / span
        self._popularity = counts
        self._p, self._q = als(users, items, r - mean, (self.n_users, self.n_initial_items),
                               self.n_factors, self.regularization, self.iterations, rng)
        self._mean = mean
        self._ratings = (r - low) / span
        user_counts = np.bincount(users, minlength=self.n_users).astype(np.float64)
        self._activity = self.sessions_per_user_per_day * user_counts / user_counts.mean()
        self._version = 1

    # -- state ----------------------------------------------------------------------
    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """The catalogue of a ratings file is fixed."""
        raise ConfigError("a ratings world has a fixed catalogue: new items cannot arrive.")

    def activity(self) -> np.ndarray:
        """Sessions per day, proportional to each user's number of ratings."""
        return self._activity

    @property
    def is_global(self) -> bool:
        """Relevance is personal (from the factorization)."""
        return False

    def initial_popularity(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` number of ratings of each item in the file."""
        return self._popularity[items]

    def predicted_rating(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` predicted ratings of the factorization, on the file's scale."""
        return self._mean + self._p[users] @ self._q[items].T

    def history(self) -> Feedback:
        """The file's ratings as clicked impressions at ``t = 0`` (rank 1, reward = the
        rescaled rating); empty unless ``warm_start``."""
        if not self.warm_start:
            return Feedback.empty()
        n = self._users.shape[0]
        return Feedback(
            t=np.zeros(n), user=self._users, item=self._items,
            rank=np.ones(n, dtype=np.int16), click=np.ones(n, dtype=bool),
            reward=self._ratings.astype(np.float32), propensity=np.ones(n, dtype=np.float32),
        )

    # -- truth ----------------------------------------------------------------------
    def _to_relevance(self, predicted: np.ndarray) -> np.ndarray:
        low, span = self._scale
        return self.click_scale * np.clip((predicted - low) / span, 0.0, 1.0)

    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` rescaled predicted rating times ``click_scale``."""
        return self._to_relevance(self.predicted_rating(users, items))

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` relevance of ``slates[b, r]`` for ``users[b]``."""
        predicted = self._mean + np.einsum("bd,bkd->bk", self._p[users], self._q[slates])
        return self._to_relevance(predicted)

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """Shrunk mean rating, rescaled to [0, 1]."""
        return self._value[items]

    def observe(self, feedback: Feedback) -> None:
        """A ratings world does not change with what is served."""

    def __repr__(self) -> str:
        return f"RatingsWorld(path={self.path!r}, n_factors={self.n_factors})"


__all__ = ["RatingsWorld", "als", "read_ratings"]
