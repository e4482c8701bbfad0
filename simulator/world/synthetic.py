"""The synthetic world: global item quality mixed with personal taste by one knob."""

from __future__ import annotations

from typing import Any

import numpy as np
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.component_schema import (
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
    Probability,
)
from loopsim.simulator.world.item_attributes import ItemAttributeTable
from loopsim.simulator.world.shift import DataShift, ShiftState
from loopsim.simulator.world.state import PreferenceViews, WorldState

TASTE_LINKS = ("linear", "saturate", "step")


def taste_term(dot: np.ndarray, link: str, gain: float) -> np.ndarray:
    """The taste part of relevance, in [0, 1], from ``dot = preference . features``.

    ``linear``: ``(1 + dot) / 2``; ``saturate``: ``clip((1 + gain * dot) / 2, 0, 1)``
    (a steeper taste that saturates); ``step``: ``1`` where ``dot > 0``, else ``0``.
    """
    if link == "linear":
        return 0.5 * (1.0 + dot)
    if link == "saturate":
        return np.clip(0.5 * (1.0 + gain * dot), 0.0, 1.0)
    return (dot > 0.0).astype(np.float64)


def _unit_rows(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """``n`` vectors drawn uniformly on the unit sphere of dimension ``d``."""
    v = rng.standard_normal((n, d))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


class SyntheticWorld(PreferenceViews, WorldState):
    """Users with latent tastes and activity; items with a quality and latent features.

    Relevance (the probability of a click once an item is examined) mixes a global
    quality with a personal taste::

        relevance(u, i) = (1 - personalization) * quality[i]
                          + personalization * (1 + preference[u] . features[i]) / 2

    where ``preference`` and ``features`` are unit vectors of dimension ``n_factors``
    and ``quality ~ Beta(quality_alpha, quality_beta)``. ``taste_link`` bends the taste
    term (:func:`taste_term`): ``linear`` is the formula above; ``saturate`` is
    ``clip((1 + taste_gain * preference . features) / 2, 0, 1)``; ``step`` is
    ``1[preference . features > 0]``. A non-linear link makes the truth a non-linear
    function of a rank-``n_factors`` bilinear term (the true value is then the exact
    activity-weighted mean over users, computed over the user table). ``personalization = 0`` means
    everyone agrees on quality; ``1`` means fully personal taste. The true value of an
    item is its click probability once examined for a random *session*: its relevance
    averaged over users weighted by their activity, as clicks are, computed exactly
    (relevance is linear in the preferences); :meth:`mean_relevance` is the unweighted
    mean over users. The world is *open*
    (:mod:`~loopsim.simulator.world.organic_choice`): each user also has
    ``organic`` organic sessions per recommended session, in which they pick an item
    with probability proportional to ``relevance ** organic_sharpness``; ``organic = 0``
    is the closed loop. User activity (sessions
    per day) is lognormal with mean
    ``sessions_per_user_per_day`` and log-scale ``activity_sigma``. New items arrive as
    a Poisson stream of rate ``item_arrival_rate`` per day (cold start), and stay for
    ``item_lifetime`` days (``None``: for ever).

    With ``drift > 0`` preferences drift toward what users consume (Jiang et al. 2019,
    the echo chamber): after a served batch, a user who clicked the items ``C`` moves to::

        preference[u] <- normalize((1 - r) * preference[u] + r * mean_{i in C} features[i])
        r = 1 - (1 - drift) ** |C|

    Several clicks in one batch are one step toward the mean of their features, at the
    rate of ``|C|`` successive steps of ``drift`` (the same point as successive steps
    toward one item before renormalisation; a little beyond it after), so the result
    depends little on how sessions are batched (``tick``). Preferences stay on the unit
    sphere; relevance and the true value follow them. ``drift = 0`` changes nothing.

    ``item_attributes = d > 0`` gives each item ``d`` observable attributes, noisy linear
    views of its latent features, and a genre from the signs of its first ``genre_bits``
    features (:class:`~loopsim.simulator.world.item_attributes.ItemAttributeTable`), which
    policies may ask for (``UsesItemAttributes``); drawn from a stream of their own, so
    ``0`` (the default) changes no draw.

    ``shift`` (a mapping of :class:`~loopsim.simulator.world.shift.DataShift` options:
    item drift, a new user cohort, seasonal activity) moves the world during the run;
    the truth follows it. ``None`` or the defaults shift nothing.

    :attr:`version` changes whenever relevance may have changed (new items, drift, a
    shift); ``relevance_version`` only when existing items' relevance may have.
    """

    def __init__(
        self,
        n_users: PositiveInt = 2000,
        n_items: PositiveInt = 1000,
        sessions_per_user_per_day: Positive = 1.0,
        activity_sigma: NonNegative = 1.0,
        personalization: Probability = 0.3,
        n_factors: PositiveInt = 8,
        quality_alpha: Positive = 2.0,
        quality_beta: Positive = 6.0,
        item_arrival_rate: NonNegative = 5.0,
        item_lifetime: Positive | None = None,
        seed: NonNegativeInt | None = None,
        drift: Probability = 0.0,
        shift: dict[str, Any] | None = None,
        organic: NonNegative = 0.2,
        organic_sharpness: NonNegative = 1.0,
        taste_link: str = "linear",
        taste_gain: Positive = 3.0,
        item_attributes: NonNegativeInt = 0,
        attribute_noise: NonNegative = 0.5,
        genre_bits: PositiveInt = 2,
    ) -> None:
        super().__init__(n_users, n_items, sessions_per_user_per_day, seed)
        self.activity_sigma = activity_sigma
        self.personalization = personalization
        self.n_factors = n_factors
        self.quality_alpha = quality_alpha
        self.quality_beta = quality_beta
        self.item_arrival_rate = item_arrival_rate
        self.item_lifetime = item_lifetime
        self.drift = drift
        self.shift = shift
        self._shift: ShiftState | None = None
        self._n_present = n_users
        self.organic = organic
        self.organic_sharpness = organic_sharpness
        self._relevance_version = 0
        self.taste_link = taste_link
        self.taste_gain = taste_gain
        self._taste_cache: dict[bool, tuple[tuple[int, int, bool], np.ndarray]] = {}
        self.item_attributes = item_attributes
        self.attribute_noise = attribute_noise
        self.genre_bits = genre_bits
        self._attributes = ItemAttributeTable(0, 0.0, 1)

    # -- set-up ---------------------------------------------------------------------
    def reset(self, rng: np.random.Generator) -> None:
        """Draw users (activity, preferences) and the initial items from ``rng``."""
        self.data_shift.validate()  # the shift's options (times against the horizon: engine)
        if self.taste_link not in TASTE_LINKS:
            raise ConfigError(f"`world.taste_link == {self.taste_link!r}` is not a taste link: "
                              f"use one of {', '.join(TASTE_LINKS)} (linear: the default).")
        sigma = float(self.activity_sigma)
        z = rng.standard_normal(self.n_users)
        self._activity = self.sessions_per_user_per_day * np.exp(sigma * z - sigma**2 / 2)
        self._preferences = _unit_rows(rng, self.n_users, self.n_factors)
        self._initial_preferences = self._fixed_or_copy(self._preferences)
        self._weights = self._activity / self._activity.sum()  # a random session's user
        self._mean_preference = self._weights @ self._preferences
        self._plain_mean_preference = self._preferences.mean(axis=0)
        capacity = max(16, 2 * self.n_initial_items)
        self._quality = np.zeros(capacity)
        self._features = np.zeros((capacity, self.n_factors))
        self._reset_items()
        self._relevance_version = 0
        self._taste_cache = {}  # a new world: nothing computed on the old one holds
        self._shift = None
        self._n_present = self.n_users
        if self.data_shift.active:  # its own stream: no shift, no change to any draw
            self._start_shift(rng.spawn(1)[0])
        self._attributes = ItemAttributeTable(int(self.item_attributes),
                                              float(self.attribute_noise),
                                              int(self.genre_bits))
        if self._attributes.dim > 0:  # its own stream too: off, no draw moves
            if int(self.genre_bits) > self.n_factors:
                raise ConfigError(
                    f"`world.genre_bits == {self.genre_bits}` exceeds `world.n_factors == "
                    f"{self.n_factors}`: a genre is the signs of that many latent features; "
                    "set genre_bits <= n_factors.")
            self._attributes.start(self.n_factors, rng.spawn(1)[0])
        self.add_items(self.n_initial_items, rng)

    # -- data shift (loopsim.simulator.world.shift) ---------------------------------
    @property
    def data_shift(self) -> DataShift:
        """The shift options of ``shift`` (inactive when ``None``)."""
        return DataShift.from_options(self.shift)

    def _start_shift(self, rng: np.random.Generator) -> None:
        self._shift = ShiftState(self.data_shift, rng)
        self._shift.start(self._activity, self._preferences)
        self._initial_preferences = self._fixed_or_copy(self._preferences)
        self._population_changed()

    def _population_changed(self) -> None:
        present = self._shift.present  # type: ignore[union-attr]
        self._n_present = int(present.sum())
        # Absent users have no activity: the session weights cover the present ones.
        self._weights = self._activity / self._activity.sum()
        self._mean_preference = self._weights @ self._preferences
        self._plain_mean_preference = self._preferences[present].mean(axis=0)

    def advance(self, t: float) -> bool:
        """Apply the data shift up to day ``t``; True when ``activity()`` changed."""
        if self._shift is None:
            return False
        q_changed, a_changed = self._shift.advance(t, self._quality[: self._n_items],
                                                   self._activity)
        if a_changed:
            self._population_changed()
        if q_changed or (a_changed and self.personalization > 0):
            self._version += 1
            self._relevance_version += 1
        return a_changed

    def user_arrival_times(self) -> np.ndarray:
        """``(n_users,)`` day each user joins the population (0: from the start)."""
        if self._shift is None:
            return np.zeros(self.n_users)
        return self._shift.arrival_times()

    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` new items (quality and features) and return their ids."""
        start, stop = self._n_items, self._n_items + n
        if stop > self._quality.shape[0]:
            capacity = max(stop, 2 * self._quality.shape[0])
            self._quality = np.resize(self._quality, capacity)
            self._features = np.resize(self._features, (capacity, self.n_factors))
        self._quality[start:stop] = rng.beta(self.quality_alpha, self.quality_beta, n)
        self._features[start:stop] = _unit_rows(rng, n, self.n_factors)
        self._attributes.add(self._features[start:stop])
        return self._items_added(start, stop)

    # -- state ----------------------------------------------------------------------
    def activity(self) -> np.ndarray:
        """``(n_users,)`` expected sessions per day of each user."""
        return self._activity

    @property
    def is_global(self) -> bool:
        """True when ``personalization == 0`` (relevance is the same for every user)."""
        return self.personalization == 0

    @property
    def relevance_version(self) -> int:
        """Changes whenever the relevance of existing items may have changed (drift).

        Unlike :attr:`version`, adding items leaves it alone: the metrics recorder then
        keeps what it computed on the old items and scores only the new ones.
        """
        return self._relevance_version

    def _fixed_or_copy(self, preferences: np.ndarray) -> np.ndarray:
        """The preferences at time 0: a copy when they drift, else the same buffer.

        Without drift nothing moves them, so :attr:`initial_preferences` is then the very
        buffer of :attr:`preferences` and ``drift_distance`` knows it is 0 without
        computing it.
        """
        return preferences.copy() if self.drift > 0 else preferences

    def item_features(self, items: np.ndarray) -> np.ndarray:
        """``(I, n_factors)`` latent features of items (a copy; OPE contexts)."""
        return self._features[items].copy()

    @property
    def attribute_dim(self) -> int:
        """Observable attributes per item (``item_attributes``; 0: none given)."""
        return self._attributes.dim

    def attributes_of(self, items: np.ndarray) -> np.ndarray:
        """``(I, item_attributes)`` the items' observable attributes (noisy linear views
        of their latent features, :class:`ItemAttributeTable`); a copy."""
        return self._attributes.attributes(np.asarray(items))

    def genres_of(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` the items' genres, ``0 .. 2**genre_bits - 1``: the signs of their first
        ``genre_bits`` latent features (catalogue metadata)."""
        return self._attributes.genres(np.asarray(items))

    def quality(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` global quality of items."""
        return self._quality[items]

    # -- truth ----------------------------------------------------------------------
    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` click probability of each item once examined by each user."""
        w = self.personalization
        base = (1.0 - w) * self._quality[items]
        if w == 0:
            return np.broadcast_to(base, (len(users), len(items)))
        taste = self._preferences[users] @ self._features[items].T
        if self.taste_link != "linear":
            return base + w * taste_term(taste, self.taste_link, float(self.taste_gain))
        taste += 1.0
        taste *= 0.5 * w
        taste += base
        return taste

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` relevance of ``slates[b, r]`` for ``users[b]``."""
        w = self.personalization
        shared = slates.shape[0] > 0 and slates.strides[0] == 0
        if shared:
            row = slates[0]
            if w == 0:
                return np.broadcast_to((1.0 - w) * self._quality[row], slates.shape)
            return self.relevance(users, row)
        if w == 0:
            return self._quality[slates]  # (1 - 0) * quality, without the product
        base = (1.0 - w) * self._quality[slates]
        taste = np.einsum("bd,bkd->bk", self._preferences[users], self._features[slates])
        if self.taste_link != "linear":
            return base + w * taste_term(taste, self.taste_link, float(self.taste_gain))
        return base + 0.5 * w * (1.0 + taste)

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """Click probability once examined for a random session: relevance averaged over
        users weighted by activity, exactly (with the linear link through the mean
        preference; otherwise over the user table)."""
        return self._value(items, self._mean_preference, self._weights)

    def mean_relevance(self, items: np.ndarray) -> np.ndarray:
        """Relevance averaged over users, every user counting once (not the truth)."""
        return self._value(items, self._plain_mean_preference, None)

    def _value(self, items: np.ndarray, preference: np.ndarray,
               weights: np.ndarray | None) -> np.ndarray:
        w = self.personalization
        base = (1.0 - w) * self._quality[items]
        if w == 0:
            return base
        if self.taste_link == "linear":
            return base + 0.5 * w * (1.0 + self._features[items] @ preference)
        return base + w * self._link_taste(weights is None)[items]

    def _link_taste(self, plain: bool) -> np.ndarray:
        """``(n_items,)`` the taste term of every item under a non-linear link, averaged
        over the user table (``plain``: every present user once; else activity-weighted).

        Computed once per :attr:`version` (it changes whenever relevance, the items or
        the users' weights may have changed) and kept: the metrics ask for it every batch,
        and it costs a pass over (users x items).
        """
        key = (self._version, self._n_items, plain)
        cached = self._taste_cache.get(plain)
        if cached is not None and cached[0] == key:
            return cached[1]
        weights = self._weights
        if plain:  # every present user counts once
            weights = (self._weights > 0) / (self._weights > 0).sum()
        taste = np.zeros(self._n_items)
        feats = self._features[: self._n_items]
        for s in range(0, self.n_users, 4096):  # (users, items) blocks
            dots = self._preferences[s:s + 4096] @ feats.T
            taste += weights[s:s + 4096] @ taste_term(dots, self.taste_link,
                                                      float(self.taste_gain))
        self._taste_cache[plain] = (key, taste)
        return taste

    def observe(self, feedback: Feedback) -> None:
        """Move the preferences of users who clicked toward the clicked items (``drift``)."""
        if self.drift == 0:
            return
        clicked = np.flatnonzero(feedback.click)
        if clicked.size == 0:
            return
        users, slot, n = np.unique(feedback.user[clicked], return_inverse=True, return_counts=True)
        target = np.zeros((users.size, self.n_factors))
        np.add.at(target, slot, self._features[feedback.item[clicked]])
        target /= n[:, None]
        rate = -np.expm1(n * np.log1p(-self.drift))[:, None] if self.drift < 1 else 1.0
        old = self._preferences[users]
        new = old + rate * (target - old)
        norm = np.linalg.norm(new, axis=1, keepdims=True)
        new = np.where(norm > 0, new / np.where(norm > 0, norm, 1.0), old)
        self._preferences[users] = new
        self._mean_preference += self._weights[users] @ (new - old)
        self._plain_mean_preference += (new - old).sum(axis=0) / self._n_present
        if self.personalization > 0:
            self._version += 1
            self._relevance_version += 1

    def __repr__(self) -> str:
        return (
            f"SyntheticWorld(n_users={self.n_users}, n_items={self.n_initial_items}, "
            f"personalization={self.personalization}"
            + (f", taste_link={self.taste_link!r}" if self.taste_link != "linear" else "")
            + (f", drift={self.drift})" if self.drift else ")")
        )


__all__ = ["TASTE_LINKS", "SyntheticWorld", "taste_term"]
