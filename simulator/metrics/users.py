"""What happens to the users: preference drift, diversity and homogenization of consumption.

Pure functions of arrays (no simulator state). Consumption is given as events, one row
per consumption (a click): ``users[j]`` consumed ``items[j]``; repeats are allowed and
mean the same item was consumed again.

* :func:`drift_distance` -- mean distance of users' preferences from their start
  (Jiang et al. 2019: degeneracy of user interest).
* :func:`user_entropy_window` -- how spread each user's consumption is over items.
* :func:`homogenization` -- how similar the consumed-item sets of pairs of users are
  (Chaney et al. 2018).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["distinct_consumption", "drift_distance", "homogenization", "user_entropy_window"]


def _events(users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the consumption events as two 1-D int64 arrays of equal length."""
    u = np.asarray(users)
    i = np.asarray(items)
    if u.ndim != 1 or i.ndim != 1 or u.shape != i.shape:
        raise ValueError(
            f"`users` and `items` must be 1-D arrays of equal length (one row per "
            f"consumption), got shapes {u.shape} and {i.shape}."
        )
    if u.size and not (np.issubdtype(u.dtype, np.integer) and np.issubdtype(i.dtype, np.integer)):
        raise ValueError(
            f"`users` and `items` must hold integer ids, got dtypes {u.dtype} and {i.dtype}."
        )
    return u.astype(np.int64, copy=False), i.astype(np.int64, copy=False)


def distinct_consumption(
    users: np.ndarray, items: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``(user, item)`` pairs of consumption events, with their counts.

    Args:
        users: ``(N,)`` integer user id of each consumption.
        items: ``(N,)`` integer item id of each consumption.

    Returns:
        ``(user, item, count)``: three ``(M,)`` int64 arrays, sorted by user then item,
        one row per distinct pair; ``count`` is how many times the pair occurred.

    Raises:
        ValueError: the arrays are not 1-D integer arrays of equal length.
    """
    u, i = _events(users, items)
    if u.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    key = _pair_keys(u, i)
    if key is not None:
        return _distinct_keys(key, int(i.max()) + 1)
    order = np.lexsort((i, u))
    u, i = u[order], i[order]
    new = np.ones(u.size, dtype=bool)
    new[1:] = (u[1:] != u[:-1]) | (i[1:] != i[:-1])
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, u.size)).astype(np.int64)
    return u[starts], i[starts], counts


def distinct_ids(users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`distinct_consumption` of ids known to be valid: non-negative int64 arrays.

    The simulator's own events (user and item ids) need none of the dtype and shape
    checks; this path skips them (the same rows and counts).
    """
    if users.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    width = int(items.max()) + 1
    if (int(users.max()) + 1) * width >= 1 << 62:
        return distinct_consumption(users, items)
    return _distinct_keys(users * width + items, width)


def _distinct_keys(key: np.ndarray, width: int) -> tuple[np.ndarray, ...]:
    """Distinct ``user * width + item`` keys (sorted in place) as (user, item, count)."""
    # One sort of the combined (user, item) keys: the same rows as a lexsort by
    # (user, item), about 3x faster.
    key.sort()
    new = np.empty(key.size, dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    counts = np.diff(starts, append=key.size)
    distinct = key[starts]
    user = distinct // width
    return user, distinct - user * width, counts


def _pair_keys(u: np.ndarray, i: np.ndarray) -> np.ndarray | None:
    """``u * (max(i) + 1) + i`` as int64 (order as by (user, item)), or ``None``.

    ``None`` when an id is negative or the keys could overflow int64.
    """
    lo_u, lo_i = int(u.min()), int(i.min())
    if lo_u < 0 or lo_i < 0:
        return None
    width = int(i.max()) + 1
    if (int(u.max()) + 1) * width >= 1 << 62:
        return None
    return u * width + i


def drift_distance(initial: np.ndarray, current: np.ndarray) -> float:
    """Mean Euclidean distance of users' preferences from their starting point.

    ``D = (1/U) sum_u || current[u] - initial[u] ||_2``. On unit-sphere preferences it
    lies in ``[0, 2]``: 0 when nobody moved, ``sqrt(2)`` on average when every user
    has moved to an independent random direction, 2 when every user turned around.

    Args:
        initial: ``(U, d)`` preferences at time 0.
        current: ``(U, d)`` preferences now.

    Returns:
        The mean distance; ``nan`` when ``U == 0``; exactly 0 without computing it when
        both are views of the same memory (a world whose preferences never move).

    Raises:
        ValueError: the arrays are not 2-D of the same shape.
    """
    if _same_memory(initial, current) and initial.ndim == 2 and initial.shape[0] > 0:
        return 0.0
    a = np.asarray(initial, dtype=np.float64)
    b = np.asarray(current, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(
            f"`initial` and `current` must be 2-D (users x factors) of the same shape, "
            f"got {a.shape} and {b.shape}."
        )
    if a.shape[0] == 0:
        return math.nan
    return float(np.linalg.norm(b - a, axis=1).mean())


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` and ``b`` are the same elements (same buffer, shape and strides)."""
    return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
            and a.strides == b.strides and a.dtype == b.dtype
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def user_entropy_window(users: np.ndarray, items: np.ndarray) -> float:
    """Mean over users of the normalized entropy of the items each consumed.

    For a user ``u`` with ``n_u`` consumptions in the window, of which ``c_ui`` were of
    item ``i``, with ``p_ui = c_ui / n_u``::

        H_u = - sum_i p_ui log p_ui            (0 log 0 = 0)
        h_u = H_u / log(n_u)                   (n_u >= 2)

    ``log(n_u)`` is the largest entropy ``n_u`` consumptions can have (all distinct), so
    ``h_u`` is 1 when the user never consumed the same item twice and 0 when every
    consumption was of one item. The result is the mean of ``h_u`` over the users with
    ``n_u >= 2``: a user with one consumption (or none) has no distribution to be spread
    over and is left out. Normalizing by ``n_u`` rather than by the catalogue size makes
    users of different activity comparable.

    Args:
        users: ``(N,)`` integer user id of each consumption in the window.
        items: ``(N,)`` integer item id of each consumption in the window.

    Returns:
        The mean normalized entropy in ``[0, 1]``; ``nan`` when no user consumed at
        least twice.

    Raises:
        ValueError: the arrays are not 1-D integer arrays of equal length.
    """
    u, _, c = distinct_consumption(users, items)
    return entropy_of_distinct(u, c)


def entropy_of_distinct(u: np.ndarray, c: np.ndarray) -> float:
    """:func:`user_entropy_window` from :func:`distinct_consumption`'s users and counts.

    Args:
        u: ``(M,)`` user of each distinct ``(user, item)`` pair, sorted.
        c: ``(M,)`` how many times each pair occurred.
    """
    if u.size == 0:
        return math.nan
    # ``u`` is sorted: each run of one user is a slot (as np.unique's inverse).
    new_user = np.ones(u.size, dtype=bool)
    np.not_equal(u[1:], u[:-1], out=new_user[1:])
    slot = np.cumsum(new_user) - 1
    n_slots = int(slot[-1]) + 1
    n = np.bincount(slot, weights=c, minlength=n_slots)
    p = c / n[slot]
    h = -np.bincount(slot, weights=p * np.log(p), minlength=n_slots)
    many = n >= 2
    if not many.any():
        return math.nan
    normalized = h[many] / np.log(n[many])
    return float(np.clip(normalized, 0.0, 1.0).mean())


def homogenization(users: np.ndarray, items: np.ndarray, pairs: np.ndarray) -> float:
    """Mean Jaccard similarity of the consumed-item sets of pairs of users.

    With ``S_u`` the set of distinct items user ``u`` consumed (repeats ignored), the
    similarity of a pair ``(a, b)`` is ``J = |S_a & S_b| / |S_a | S_b|``. The result is
    the mean of ``J`` over the given pairs (Chaney, Stewart & Engelhardt 2018). A pair
    where neither user consumed anything has no sets to compare (``0 / 0``) and is left
    out of the mean; a pair where one user consumed and the other did not has ``J = 0``.

    Args:
        users: ``(N,)`` integer user id of each consumption.
        items: ``(N,)`` integer item id of each consumption.
        pairs: ``(P, 2)`` integer user ids of the pairs to compare (a fixed sample,
            drawn once per run, so values at different times are comparable).

    Returns:
        The mean Jaccard similarity in ``[0, 1]``; ``nan`` when no pair has a
        consumption (including ``P == 0``).

    Raises:
        ValueError: the events are not 1-D integer arrays of equal length, or ``pairs``
            is not a ``(P, 2)`` integer array.
    """
    pairs = np.asarray(pairs)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or (
        pairs.size and not np.issubdtype(pairs.dtype, np.integer)
    ):
        raise ValueError(
            f"`pairs` must be a (P, 2) array of integer user ids, got shape {pairs.shape} "
            f"and dtype {pairs.dtype}."
        )
    u, i, _ = distinct_consumption(users, items)
    if pairs.shape[0] == 0 or u.size == 0:
        return math.nan
    a = pairs[:, 0].astype(np.int64)
    b = pairs[:, 1].astype(np.int64)
    user_ids, first = np.unique(u, return_index=True)
    sizes = np.diff(np.append(first, u.size))
    start_a, size_a = _lookup(user_ids, first, sizes, a)
    slot_b, size_b = _lookup(user_ids, np.arange(user_ids.size), sizes, b)
    # Items of each pair's first user, flattened: row j belongs to pair pair_of[j].
    pair_of = np.repeat(np.arange(a.size), size_a)
    offsets = np.arange(pair_of.size) - np.repeat(np.cumsum(size_a) - size_a, size_a)
    their_items = i[np.repeat(start_a, size_a) + offsets]
    # Is (b, item) consumed? Keys sorted like (user slot, item), so searchsorted finds it.
    width = int(i.max()) + 1
    keys = np.repeat(np.arange(user_ids.size), sizes) * width + i
    query = slot_b[pair_of] * width + their_items
    pos = np.minimum(np.searchsorted(keys, query), keys.size - 1)
    found = (keys[pos] == query) & (size_b[pair_of] > 0)
    inter = np.bincount(pair_of, weights=found, minlength=a.size)
    union = size_a + size_b - inter
    some = union > 0
    if not some.any():
        return math.nan
    return float((inter[some] / union[some]).mean())


def _lookup(
    user_ids: np.ndarray, values: np.ndarray, sizes: np.ndarray, query: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``values`` and ``sizes`` of the ``query`` users; size 0 (value 0) when absent."""
    pos = np.minimum(np.searchsorted(user_ids, query), user_ids.size - 1)
    present = user_ids[pos] == query
    return np.where(present, values[pos], 0), np.where(present, sizes[pos], 0)
