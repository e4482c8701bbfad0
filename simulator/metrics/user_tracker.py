"""Consumption of a fixed sample of users, for the user-side metrics of each snapshot.

Homogenization compares the consumed-item sets of a fixed sample of user pairs, drawn
once per run; only the users of those pairs are tracked, so memory grows with the
sample, not with the population. The same users are the sample of
``user_entropy_window``.

A world that pairs its users by taste (:class:`PairsSimilarUsers`, the Chaney world)
also gets ``homogenization_nn``: the same Jaccard mean over each user and their most
similar user (Chaney et al.'s "similar users" pairing), recorded beside the
random-pair ``homogenization``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from loopsim.simulator.contract.world import HasPreferences
from loopsim.simulator.metrics.pair_overlap import PairOverlap
from loopsim.simulator.metrics.user_batches import (
    entropy_series,
    homogenization_series,
    split_distinct,
)
from loopsim.simulator.metrics.users import (
    distinct_ids,
    drift_distance,
    entropy_of_distinct,
)

#: Default number of user pairs sampled for ``homogenization``.
N_USER_PAIRS = 1000


def sample_user_pairs(n_users: int, n_pairs: int, rng: np.random.Generator) -> np.ndarray:
    """``(P, 2)`` pairs of distinct users drawn uniformly (pairs may repeat).

    Args:
        n_users: Size of the population; no pair is drawn when it is below 2.
        n_pairs: Number of pairs ``P`` to draw.
        rng: Source of the draws.

    Returns:
        An int64 array of shape ``(n_pairs, 2)``, or ``(0, 2)`` when ``n_users < 2``.
    """
    if n_users < 2 or n_pairs <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    first = rng.integers(n_users, size=n_pairs)
    second = (first + rng.integers(1, n_users, size=n_pairs)) % n_users
    return np.stack([first, second], axis=1).astype(np.int64)


class UserConsumption:
    """Clicks of the users of a fixed sample of pairs: cumulative sets and the window.

    Args:
        n_users: Size of the population.
        rng: Draws the pairs, once, on first use. The recorder hands a child of its
            metrics stream (spawned, so the parent's draws are unchanged).
        n_pairs: Number of user pairs compared by ``homogenization``.
        similar_pairs: Optional: gives ``(P, 2)`` pairs of similar users on first use
            (a world's ``nearest_neighbour_pairs``); ``homogenization_nn`` is then
            recorded too.
    """

    def __init__(self, n_users: int, rng: np.random.Generator, n_pairs: int = N_USER_PAIRS,
                 similar_pairs: Callable[[], np.ndarray] | None = None) -> None:
        self.n_users = n_users
        self.rng = rng
        self.n_pairs = n_pairs
        self.similar_pairs = similar_pairs
        self._pairs: np.ndarray | None = None
        self._windows: list[list[tuple[np.ndarray, np.ndarray]]] = []  # deferred windows

    def _start(self) -> None:
        self._pairs = sample_user_pairs(self.n_users, self.n_pairs, self.rng)
        self._sampled = np.zeros(self.n_users, dtype=bool)
        self._sampled[self._pairs.reshape(-1)] = True
        self._tracked = self._sampled.copy()
        self._nn_pairs: np.ndarray | None = None
        self._nn_overlap: PairOverlap | None = None
        if self.similar_pairs is not None:
            self._nn_pairs = np.asarray(self.similar_pairs(), dtype=np.int64).reshape(-1, 2)
            self._tracked[self._nn_pairs.reshape(-1)] = True
        self._overlap: PairOverlap | None = None  # homogenization, built on first snapshot
        # Clicks since the last snapshot: the new consumption and the window's.
        self._new: list[tuple[np.ndarray, np.ndarray]] = []

    @property
    def pairs(self) -> np.ndarray:
        """``(P, 2)`` the sampled user pairs (drawn on first access)."""
        if self._pairs is None:
            self._start()
        return self._pairs  # type: ignore[return-value]

    def record(self, users: np.ndarray, items: np.ndarray, clicks: np.ndarray) -> None:
        """Keep the clicks of tracked users from one served batch.

        Args:
            users: ``(B,)`` user of each session.
            items: ``(B, k)`` served slates (a broadcast view is fine).
            clicks: ``(B, k)`` bool clicks.
        """
        rows, cols = np.nonzero(clicks)
        self.record_clicks(users[rows], items[rows, cols])

    def record_clicks(self, users: np.ndarray, items: np.ndarray) -> None:
        """Keep the clicks of tracked users: one ``(user, item)`` per click.

        Args:
            users: ``(C,)`` user of each click.
            items: ``(C,)`` item clicked.
        """
        if self._pairs is None:
            self._start()
        if users.size == 0:
            return
        keep = self._tracked[users]
        if not keep.any():
            return
        event = (users[keep].astype(np.int64), items[keep].astype(np.int64))
        self._new.append(event)

    def snapshot(self, defer: bool = False) -> dict[str, float]:
        """``homogenization`` (cumulative) and ``user_entropy_window``; resets the window.

        With ``defer``, the window's events are kept and the values are ``nan``
        placeholders: :meth:`resolve` computes every kept window at once
        (:mod:`~loopsim.simulator.metrics.user_batches`, the same numbers).

        ``homogenization`` is kept up to date by :class:`PairOverlap` from the new clicks
        only; it equals :func:`~loopsim.simulator.metrics.users.homogenization` on all of them.
        """
        self._ensure_overlaps()
        if defer:
            self._windows.append(self._new)
            self._new = []
            return dict.fromkeys(self.names(), math.nan)
        entropy = math.nan
        if self._new:
            # The same events as the window's (both are emptied here): their distinct
            # (user, item) pairs are sorted once for the overlaps and the entropy.
            users = np.concatenate([u for u, _ in self._new])
            items = np.concatenate([i for _, i in self._new])
            u, i, c = distinct_ids(users, items)
            self._overlap.add_distinct(u, i)
            if self._nn_overlap is not None:
                self._nn_overlap.add_distinct(u, i)
                keep = self._sampled[u]  # the entropy of the random sample only
                u, c = u[keep], c[keep]
            entropy = entropy_of_distinct(u, c)
            self._new = []
        out = {
            "homogenization": self._overlap.homogenization(),
            "user_entropy_window": entropy,
        }
        if self._nn_overlap is not None:
            out["homogenization_nn"] = self._nn_overlap.homogenization()
        return out


    def _ensure_overlaps(self) -> None:
        if self._pairs is None:  # a snapshot before the first served batch
            self._start()
        if self._overlap is None:
            self._overlap = PairOverlap(self.pairs)
            if self._nn_pairs is not None:
                self._nn_overlap = PairOverlap(self._nn_pairs)

    def names(self) -> tuple[str, ...]:
        """The metrics of :meth:`snapshot`, in its order."""
        nn = ("homogenization_nn",) if self.similar_pairs is not None else ()
        return ("homogenization", "user_entropy_window", *nn)

    def resolve(self) -> list[dict[str, float]]:
        """The values of the windows deferred since the last call, in order.

        Identical to what :meth:`snapshot` returns when not deferred: the windows are
        computed together (one sort of all their events, cumulative counts per window).
        """
        windows, self._windows = self._windows, []
        if not windows:
            return []
        self._ensure_overlaps()
        s = len(windows)
        merged = [(np.concatenate([u for u, _ in w]), np.concatenate([i for _, i in w]))
                  if w else (np.zeros(0, np.int64), np.zeros(0, np.int64)) for w in windows]
        window, user, item, count = split_distinct(merged)
        out: dict[str, list[float]] = {}
        out["homogenization"] = homogenization_series(self._overlap, window, user, item, s)
        if self._nn_overlap is not None:
            nn = homogenization_series(self._nn_overlap, window, user, item, s)
            keep = self._sampled[user]  # the entropy of the random sample only
            window, user, count = window[keep], user[keep], count[keep]
        out["user_entropy_window"] = entropy_series(window, user, count, s)
        if self._nn_overlap is not None:
            out["homogenization_nn"] = nn
        return [{name: out[name][j] for name in self.names()} for j in range(s)]


def preference_drift(world: HasPreferences) -> float:
    """``drift_distance`` of a world with latent preferences (:class:`HasPreferences`)."""
    return drift_distance(world.initial_preferences, world.preferences)
