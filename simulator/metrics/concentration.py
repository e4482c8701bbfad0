"""How concentrated a distribution of counts over items is (exposure, clicks, reward).

Pure functions of a 1-D array of non-negative values, one entry per available item
(items never shown count with 0). None of them reads simulator state.
"""

from __future__ import annotations

import math

import numpy as np
from loopsim.simulator.params.checks import check_in_range

__all__ = ["Concentration", "coverage", "gini", "lorenz_curve", "normalized_entropy", "top_share"]


def _as_counts(x: np.ndarray, name: str = "x") -> np.ndarray:
    """Return ``x`` as a 1-D float64 array, checking that it holds no negative value."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(
            f"`{name}` must be a 1-D array of per-item counts, got shape {arr.shape}; "
            "pass one entry per available item (use .ravel() for a single row)."
        )
    if arr.size and arr.min() < 0:
        raise ValueError(
            f"`{name}` must hold non-negative counts, got minimum {arr.min()!r}; "
            "concentration measures are defined on exposure/click/reward totals."
        )
    return arr


def gini(x: np.ndarray) -> float:
    """Gini coefficient of a distribution of non-negative values.

    With ``x`` sorted ascending as ``x_1 <= ... <= x_n``::

        G = sum_i (2 i - n - 1) x_i / (n * sum_i x_i)

    ``G`` is 0 when every entry is equal and ``1 - 1/n`` when one entry holds
    everything. Rounding can give a result a few ulps below 0 for equal entries; it is
    clipped to 0. O(n log n).

    Args:
        x: ``(n,)`` non-negative values (counts of any numeric dtype), one per item;
            items with nothing count with 0.

    Returns:
        The Gini coefficient in ``[0, 1 - 1/n]``; ``0.0`` when ``n == 0`` or the sum
        is 0 (nothing to be unequal about).

    Raises:
        ValueError: ``x`` is not 1-D or holds a negative value.
    """
    arr = _as_counts(x)
    total = arr.sum()
    if arr.size == 0 or total == 0:
        return 0.0
    return _gini_of_sorted(np.sort(arr), total)


#: The weights ``2 i - n - 1`` (``i = 1..n``) of the last ``n`` asked (a snapshot asks
#: the same ``n`` for every array while the catalogue does not change).
_GINI_WEIGHTS: list[np.ndarray] = [np.zeros(0)]


def _gini_weights(n: int) -> np.ndarray:
    """``(n,)`` read-only ``2 i - n - 1`` for ``i = 1..n``, as float64 (cached)."""
    coef = _GINI_WEIGHTS[0]
    if coef.size != n:
        coef = 2.0 * np.arange(1, n + 1, dtype=np.float64) - n - 1.0
        coef.flags.writeable = False
        _GINI_WEIGHTS[0] = coef
    return coef


def _gini_of_sorted(ordered: np.ndarray, total: float) -> float:
    """:func:`gini` of values already sorted ascending, with a positive ``total``."""
    n = ordered.size
    coef = _gini_weights(n)
    g = float(coef @ ordered) / (n * float(total))
    return max(g, 0.0)


def normalized_entropy(x: np.ndarray) -> float:
    """Shannon entropy of the shares ``x / sum(x)``, divided by its maximum ``log n``.

    ``H = -sum_i p_i log p_i`` with ``p_i = x_i / sum(x)`` and ``0 log 0 = 0`` (zero
    entries contribute nothing but still count in ``n``). The result is ``H / log n``:
    1 for equal positive shares, 0 when one entry holds everything. Rounding is
    clipped to ``[0, 1]``.

    Args:
        x: ``(n,)`` non-negative values, one per item.

    Returns:
        The normalized entropy in ``[0, 1]``. ``nan`` when the sum is 0 (including
        ``n == 0``): there are no shares. ``0.0`` when ``n == 1`` and the sum is
        positive: ``log 1 = 0``, and a single item is treated as fully concentrated.

    Raises:
        ValueError: ``x`` is not 1-D or holds a negative value.
    """
    arr = _as_counts(x)
    return _entropy(arr, arr.sum())


def _entropy(arr: np.ndarray, total: float) -> float:
    """:func:`normalized_entropy` of checked values with their sum."""
    n = arr.size
    if total == 0:
        return math.nan
    if n <= 1:
        return 0.0
    p = arr[arr > 0] / total
    h = float(-(p * np.log(p)).sum()) / math.log(n)
    return min(max(h, 0.0), 1.0)


def top_share(x: np.ndarray, fraction: float = 0.1) -> float:
    """Share of the total held by the top ``ceil(fraction * n)`` entries.

    ``top_share(x, 0.1)`` is the "top-10% share". The number of entries is
    ``m = ceil(fraction * n)`` computed with a relative tolerance of 1e-12, so that
    ``fraction * n`` that is an integer up to rounding (``0.1 * 30``) is not rounded
    up; ``m >= 1`` whenever ``n >= 1``. O(n).

    Args:
        x: ``(n,)`` non-negative values, one per item.
        fraction: Fraction of the entries to keep, in ``(0, 1]``.

    Returns:
        ``sum(top m entries) / sum(x)`` in ``[m/n, 1]``; ``nan`` when the sum is 0
        (including ``n == 0``).

    Raises:
        ValueError: ``x`` is not 1-D or holds a negative value.
        ConfigError: ``fraction`` is not a number in ``(0, 1]``.
    """
    fraction = check_in_range("fraction", fraction, 0.0, 1.0, low_open=True)
    arr = _as_counts(x)
    total = arr.sum()
    if total == 0:
        return math.nan
    return _top_share_of_sorted(np.sort(arr), total, fraction)


def _top_share_of_sorted(ordered: np.ndarray, total: float, fraction: float) -> float:
    """:func:`top_share` of values sorted ascending, with a positive ``total``."""
    n = ordered.size
    m = max(1, math.ceil(fraction * n * (1.0 - 1e-12)))
    return float(ordered[n - m :].sum()) / float(total)


def coverage(x: np.ndarray) -> float:
    """Share of entries that are strictly positive.

    Over exposure counts in a window, this is the share of available items shown at
    least once.

    Args:
        x: ``(n,)`` non-negative values, one per item.

    Returns:
        ``count(x > 0) / n`` in ``[0, 1]``; ``nan`` when ``n == 0``.

    Raises:
        ValueError: ``x`` is not 1-D or holds a negative value.
    """
    arr = _as_counts(x)
    if arr.size == 0:
        return math.nan
    return np.count_nonzero(arr) / arr.size


class Concentration:
    """One array's concentration measures from a single sort (a snapshot reads several).

    ``Concentration(x).gini()`` equals ``gini(x)``, and likewise for
    :meth:`normalized_entropy`, :meth:`top_share` and :meth:`coverage`, bit for bit:
    the same sorted values and the same sums, but ``x`` is checked and sorted once
    (on the first measure that needs the order) instead of once per measure.

    Args:
        x: ``(n,)`` non-negative values, one per item.
        ordered: Optional: ``x`` as float64 already sorted ascending (e.g. from a
            stable argsort the caller made anyway).

    Raises:
        ValueError: ``x`` is not 1-D or holds a negative value.
    """

    __slots__ = ("values", "total", "_ordered", "_gini", "_entropy")

    def __init__(self, x: np.ndarray, ordered: np.ndarray | None = None) -> None:
        self.values = _as_counts(x)
        self.total = self.values.sum()
        self._ordered = ordered
        self._gini: float | None = None  # each measure computed once (a snapshot may ask
        self._entropy: float | None = None  # again for the rewards when they are the clicks)

    @property
    def ordered(self) -> np.ndarray:
        """``(n,)`` the values sorted ascending (sorted on first use)."""
        if self._ordered is None:
            self._ordered = np.sort(self.values)
        return self._ordered

    def gini(self) -> float:
        """:func:`gini` of the values."""
        if self.values.size == 0 or self.total == 0:
            return 0.0
        if self._gini is None:
            self._gini = _gini_of_sorted(self.ordered, self.total)
        return self._gini

    def normalized_entropy(self) -> float:
        """:func:`normalized_entropy` of the values."""
        if self._entropy is None:
            self._entropy = _entropy(self.values, self.total)
        return self._entropy

    def top_share(self, fraction: float = 0.1) -> float:
        """:func:`top_share` of the values."""
        fraction = check_in_range("fraction", fraction, 0.0, 1.0, low_open=True)
        if self.total == 0:
            return math.nan
        return _top_share_of_sorted(self.ordered, self.total, fraction)

    def coverage(self) -> float:
        """:func:`coverage` of the values."""
        if self.values.size == 0:
            return math.nan
        return np.count_nonzero(self.values) / self.values.size


def lorenz_curve(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points of the Lorenz curve, for plots.

    With ``x`` sorted ascending, point ``i`` (``i = 0..n``) is
    ``(i / n, (x_1 + ... + x_i) / sum(x))``; both coordinates start at 0 and end at 1.
    The Gini coefficient is ``1 - 2 * area`` under this piecewise-linear curve.

    Args:
        x: ``(n,)`` non-negative values, one per item.

    Returns:
        ``(population_share, value_share)``, two ``(n + 1,)`` float64 arrays. When the
        sum is 0 the value share equals the population share (the line of equality,
        consistent with ``gini == 0``). When ``n == 0`` both are ``[0.0]``.

    Raises:
        ValueError: ``x`` is not 1-D or holds a negative value.
    """
    arr = _as_counts(x)
    n = arr.size
    if n == 0:
        return np.zeros(1), np.zeros(1)
    population = np.arange(n + 1, dtype=np.float64) / n
    total = arr.sum()
    if total == 0:
        return population, population.copy()
    value = np.empty(n + 1, dtype=np.float64)
    value[0] = 0.0
    np.cumsum(np.sort(arr), out=value[1:])
    value /= total
    value[-1] = 1.0
    return population, value
