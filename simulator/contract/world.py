"""The contract of a world: what the engine and the metrics need from it.

:class:`GroundTruth` is the truth as metrics read it (and oracle baselines only);
:class:`World` is the required part of a world (it extends :class:`GroundTruth`). The
optional hooks are small runtime-checkable protocols, checked once when the run starts
(never looked up inside the loop); :mod:`.registry` lists every optional hook of every
extension point with its meaning:

* :class:`HasHistory` -- ``history()``: logged feedback the policy learns from before
  the first session (a ratings world's warm start);
* :class:`HasRelevanceVersion` -- ``relevance_version``: changes only when the relevance
  of existing items changes (drift), not when items are added, so the metrics can keep
  their per-user ideal slates across item arrivals;
* :class:`HasPreferences` -- ``preferences`` and ``initial_preferences``: latent user
  vectors, for ``drift_distance``;
* :class:`HasUsers` -- ``n_users``: every :class:`World` has it; metrics given a bare
  :class:`~loopsim.simulator.contract.policy.GroundTruth` check for it to size user counters;
* :class:`ConvertsSlates` -- ``conversion_of_slates(users, slates)``: the probability of a
  conversion (download) after a click, for click models with a conversion step;
* :class:`HasOrganic` -- ``organic`` and ``organic_sharpness``: an open world, whose users
  also find items outside the recommender (:mod:`loopsim.simulator.world.organic_choice`); a world
  without them is the closed loop.
* :class:`ShiftingWorld` -- ``data_shift`` and ``advance(t)``: a world whose truth
  changes at known times (:mod:`loopsim.simulator.world.shift`);
* :class:`HasItemFeatures` -- ``item_features(items)``: what a team's monitor can see
  of served items (feature drift);
* :class:`HasItemAttributes` -- ``attribute_dim``, ``attributes_of(items)``,
  ``genres_of(items)``: observable catalogue metadata (noisy attributes, a genre) that
  policies asking for it receive (:class:`~loopsim.simulator.contract.catalogue.ItemCatalogue`);
* :class:`PairsSimilarUsers` -- ``nearest_neighbour_pairs()``: each user paired with the
  user of most similar taste, for the homogenization of similar users.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from loopsim.simulator.contract.batches import Feedback

if TYPE_CHECKING:
    from loopsim.simulator.world.shift import DataShift


@runtime_checkable
class GroundTruth(Protocol):
    """The world's truth, as exposed to metrics (and to oracle baselines only)."""

    @property
    def is_global(self) -> bool:
        """True when relevance does not depend on the user (everyone agrees)."""
        ...

    @property
    def version(self) -> int:
        """Counter that changes whenever relevance may have changed (drift, new items)."""
        ...

    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` probability that each user clicks each item once examined."""
        ...

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` relevance of ``slates[b, r]`` for ``users[b]``."""
        ...

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` the items' click probability once examined for a random *session*:
        relevance averaged over users weighted by their activity (sessions per day), as
        clicks are; its order is the true ranking."""
        ...


@runtime_checkable
class World(GroundTruth, Protocol):
    """A world: users, items and the ground truth the metrics are computed against.

    Like policies, a world's constructor only stores parameters; :meth:`reset` draws
    the initial users and items from the world's own random stream. The world is shown
    to metrics only; policies never see it (oracle baselines receive it through
    :class:`~loopsim.simulator.contract.policy.UsesGroundTruth`).

    Attributes:
        seed: Optional fixed seed of the world (users, items, item arrivals); ``None``
            derives it from the run's seed.
        n_users: Number of users.
        n_initial_items: Number of items at time 0.
        item_arrival_rate: Expected new items per day (Poisson), 0 for none.
        item_lifetime: Days an item stays available, ``None`` for ever.
    """

    seed: int | None
    n_users: int
    n_initial_items: int
    item_arrival_rate: float
    item_lifetime: float | None

    def reset(self, rng: np.random.Generator) -> None:
        """Draw the initial users and items."""
        ...

    def add_items(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` new items from ``rng`` and return their new ids (consecutive)."""
        ...

    @property
    def n_items(self) -> int:
        """Number of item ids created so far (available or not)."""
        ...

    def activity(self) -> np.ndarray:
        """``(n_users,)`` expected sessions per day of each user."""
        ...

    @property
    def is_global(self) -> bool:
        """True when relevance does not depend on the user."""
        ...

    @property
    def version(self) -> int:
        """Changes whenever relevance may have changed."""
        ...

    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` click probability of each item once examined by each user."""
        ...

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` relevance of ``slates[b, r]`` for ``users[b]``."""
        ...

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` population-level value whose order is the true ranking."""
        ...

    def observe(self, feedback: Feedback) -> None:
        """React to served feedback (preference drift, social signals); may do nothing."""
        ...


@runtime_checkable
class HasHistory(Protocol):
    """Optional world hook: feedback logged before the run, handed to the policy at t=0."""

    def history(self) -> Feedback:
        """The logged impressions (may be empty); called once, after :meth:`World.reset`."""
        ...


@runtime_checkable
class HasRelevanceVersion(Protocol):
    """Optional world hook: a counter of changes to the relevance of existing items."""

    @property
    def relevance_version(self) -> int:
        """Changes when existing items' relevance changes (drift), not when items arrive."""
        ...


@runtime_checkable
class HasPreferences(Protocol):
    """Optional world hook: latent user preferences, now and at the start (drift metric)."""

    @property
    def preferences(self) -> np.ndarray:
        """``(n_users, d)`` current preference vectors."""
        ...

    @property
    def initial_preferences(self) -> np.ndarray:
        """``(n_users, d)`` preference vectors at time 0."""
        ...


@runtime_checkable
class HasArrivalSchedule(Protocol):
    """Optional world hook: the pool grows as ``item_arrival_rate * t ** exponent``.

    Attributes:
        item_arrival_exponent: ``alpha > 0``; 1 is the plain Poisson stream (linear
            growth), below 1 sub-linear growth.
    """

    item_arrival_exponent: float


@runtime_checkable
class ConvertsSlates(Protocol):
    """Optional world hook: conversion probabilities of served items (MusicLab's quality)."""

    def conversion_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` probability that a click on ``slates[b, r]`` converts (a download)."""
        ...


@runtime_checkable
class HasOrganic(Protocol):
    """Optional world hook: an organic channel (search, browsing, links).

    Attributes:
        organic: Organic sessions per recommended session of each user (0: closed).
        organic_sharpness: Exponent on relevance of the organic pick
            (:mod:`loopsim.simulator.world.organic_choice`).
    """

    organic: float
    organic_sharpness: float


@runtime_checkable
class HasUsers(Protocol):
    """The population size (every :class:`World`; optional for a bare ground truth)."""

    n_users: int


@runtime_checkable
class ShiftingWorld(Protocol):
    """Optional hook: a world with a data shift, advanced by the engine on its clock.

    The engine calls :meth:`advance` at every time of :meth:`DataShift.change_times`
    (catalogue phase) and re-reads ``activity()`` when it says the activity changed.
    """

    @property
    def data_shift(self) -> DataShift:
        """The world's shift options (inactive ones when no shift is set)."""
        ...

    def advance(self, t: float) -> bool:
        """Apply the shift up to day ``t``; return True when ``activity()`` changed."""
        ...

    def user_arrival_times(self) -> np.ndarray:
        """``(n_users,)`` day each user joins the population."""
        ...


@runtime_checkable
class HasItemFeatures(Protocol):
    """Optional hook: a world whose items have observable features (content embeddings)."""

    def item_features(self, items: np.ndarray) -> np.ndarray:
        """``(len(items), d)`` features of the items, as a team would log them."""
        ...


@runtime_checkable
class HasItemAttributes(Protocol):
    """Optional hook: a world whose catalogue has observable metadata per item.

    ``attribute_dim == 0`` means the world gives none (e.g. ``SyntheticWorld`` with
    ``item_attributes: 0``, the default).
    """

    @property
    def attribute_dim(self) -> int:
        """Observable attributes per item (0: none)."""
        ...

    def attributes_of(self, items: np.ndarray) -> np.ndarray:
        """``(len(items), attribute_dim)`` observable attributes (not the truth)."""
        ...

    def genres_of(self, items: np.ndarray) -> np.ndarray:
        """``(len(items),)`` integer genre codes."""
        ...


@runtime_checkable
class PairsSimilarUsers(Protocol):
    """Optional world hook: each user paired with the user of most similar taste."""

    def nearest_neighbour_pairs(self) -> np.ndarray:
        """``(P, 2)`` integer user ids, one pair per user."""
        ...
