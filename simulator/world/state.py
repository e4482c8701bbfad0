"""State the built-in worlds share: the population's parameters and a growing catalogue.

:class:`~loopsim.simulator.contract.world.World` and its optional hooks stay Protocols: a
user's world is structural and need not inherit anything from here. These small mixins
only hold what the built-in worlds would otherwise each repeat; they draw nothing:

* :class:`WorldState` -- the parameters every world stores (``n_users``,
  ``n_initial_items``, ``sessions_per_user_per_day``, ``seed``), the count of item ids
  created (``n_items``) and the relevance ``version``;
* :class:`UniformActivity` -- ``activity()`` when every user has the same rate;
* :class:`PreferenceViews` -- the :class:`~loopsim.simulator.contract.world.HasPreferences`
  hook, as read-only views of ``_preferences`` and ``_initial_preferences``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PreferenceViews", "UniformActivity", "WorldState"]


class WorldState:
    """The population's parameters, the item counter and the version of a world.

    A world built on it calls this constructor with the parameters it shares, clears the
    counter with :meth:`_reset_items` in ``reset``, and ends ``add_items`` with
    :meth:`_items_added`. What else changes :attr:`version` is the world's own business
    (it increments ``_version``) and is said in its docstring.

    Attributes:
        n_users: Number of users.
        n_initial_items: Number of items at time 0.
        sessions_per_user_per_day: Mean sessions per user per day.
        seed: Optional fixed seed of the world; ``None`` derives it from the run's seed.
    """

    def __init__(
        self, n_users: int, n_items: int, sessions_per_user_per_day: float, seed: int | None
    ) -> None:
        self.n_users = n_users
        self.n_initial_items = n_items
        self.sessions_per_user_per_day = sessions_per_user_per_day
        self.seed = seed
        self._n_items = 0
        self._version = 0

    @property
    def n_items(self) -> int:
        """Number of item ids created so far."""
        return self._n_items

    @property
    def version(self) -> int:
        """Changes whenever relevance may have changed (new items, and what the world says)."""
        return self._version

    def _reset_items(self) -> None:
        """No item yet, version 0 (``reset`` then draws the initial items)."""
        self._n_items = 0
        self._version = 0

    def _items_added(self, start: int, stop: int) -> np.ndarray:
        """Count ids ``start..stop-1`` as created (a new version) and return them."""
        self._n_items = stop
        self._version += 1
        return np.arange(start, stop, dtype=np.int64)


class UniformActivity:
    """``activity()`` of a world whose users all have ``sessions_per_user_per_day``."""

    n_users: int
    sessions_per_user_per_day: float

    def activity(self) -> np.ndarray:
        """``(n_users,)`` expected sessions per day: the same rate for every user."""
        return np.full(self.n_users, float(self.sessions_per_user_per_day))


class PreferenceViews:
    """Read-only views of the world's ``_preferences`` and ``_initial_preferences``."""

    _preferences: np.ndarray
    _initial_preferences: np.ndarray

    @property
    def preferences(self) -> np.ndarray:
        """``(n_users, d)`` current user preferences (read-only view)."""
        return _read_only_view(self._preferences)

    @property
    def initial_preferences(self) -> np.ndarray:
        """``(n_users, d)`` user preferences at time 0 (read-only view).

        A world whose preferences cannot move may keep the very buffer of
        :attr:`preferences` here, so ``drift_distance`` knows it is 0 without computing it.
        """
        return _read_only_view(self._initial_preferences)


def _read_only_view(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view
