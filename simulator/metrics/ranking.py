"""How well one ordering of items recovers another (true ranking recovery).

Pure, vectorized functions of two 1-D arrays over the same items, typically
``true_value`` against a policy's ``item_scores`` or against cumulative clicks.
"""

from __future__ import annotations

import math

import numpy as np
from loopsim.simulator.params.checks import check_positive_int

__all__ = [
    "DiscordantPairs",
    "Ordering",
    "average_ranks",
    "count_inversions",
    "kendall_tau_b",
    "ordering",
    "precision_at_k",
    "rank_metrics",
    "spearman",
]

# Blocks of this many elements are sorted and inversion-counted by brute force
# (BLOCK^2 / 2 comparisons per block) before the merge levels start.
_BLOCK = 16
# Up to this many (padded) values the blocks are compared as one outer product (fewer
# numpy calls); beyond, one comparison per distance inside the blocks (less memory).
_OUTER_MAX = 2048


def _as_1d(x: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be a 1-D array with one entry per item, got {arr.shape}.")
    return arr


def _as_pair(x: np.ndarray, y: np.ndarray, names: tuple[str, str]) -> tuple[np.ndarray, ...]:
    a, b = _as_1d(x, names[0]), _as_1d(y, names[1])
    if a.shape != b.shape:
        raise ValueError(
            f"`{names[0]}` and `{names[1]}` must describe the same items, got lengths "
            f"{a.size} and {b.size}."
        )
    return a, b


def _has_nan(*arrays: np.ndarray) -> bool:
    return any(bool(np.isnan(a).any()) for a in arrays)


def _tied_pairs(counts: np.ndarray) -> int:
    """Number of pairs within groups of the given sizes: ``sum t (t - 1) / 2``."""
    c = counts.astype(np.int64)
    return int((c * (c - 1) // 2).sum())


class Ordering:
    """The sort of one 1-D array, shared by every rank metric that compares it.

    Kendall tau-b, Spearman and precision@k all start by sorting each side; a snapshot
    compares the true values with the clicks and with the policy's scores, so sorting
    each array once (:func:`ordering`) and handing the :class:`Ordering` to
    :func:`rank_metrics` does the sorts once instead of once per metric. Results are
    identical to the array functions.

    Attributes:
        values: ``(n,)`` float64 values.
        order: ``(n,)`` a stable ascending argsort of ``values``.
        codes: ``(n,)`` int64 index of each value among the distinct values (ascending).
        counts: ``(m,)`` size of each group of equal values, in ascending order.
        has_nan: Whether ``values`` holds a NaN (every rank metric is then ``nan``).
    """

    __slots__ = ("values", "order", "codes", "counts", "has_nan", "_ranks", "_centered",
                 "_top", "_tied")

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        n = values.size
        # Stable sorts: numpy's default introselect/quicksort is ~20x slower on counts
        # with few distinct values (most items never clicked).
        self.order = np.argsort(values, kind="stable")
        ordered = values[self.order]
        new_group = np.ones(n, dtype=bool)
        new_group[1:] = ordered[1:] != ordered[:-1]
        self.codes = np.empty(n, dtype=np.int64)
        self.codes[self.order] = np.cumsum(new_group) - 1
        self.counts = np.diff(np.append(np.flatnonzero(new_group), n))
        self.has_nan = bool(np.isnan(ordered[-1])) if n else False
        self._ranks: np.ndarray | None = None
        self._centered: tuple[np.ndarray, float] | None = None
        self._top: tuple[int, np.ndarray] | None = None
        self._tied: int | None = None

    @property
    def ranks(self) -> np.ndarray:
        """``(n,)`` 1-based average ranks, as :func:`average_ranks` (read-only, cached)."""
        if self._ranks is None:
            edges = np.concatenate(([0], np.cumsum(self.counts)))
            mean_rank = 0.5 * (edges[:-1] + edges[1:] + 1)
            self._ranks = mean_rank[self.codes]
            self._ranks.flags.writeable = False
        return self._ranks

    @property
    def centered_ranks(self) -> tuple[np.ndarray, float]:
        """``(ranks - mean(ranks), sum of their squares)`` for Spearman (cached).

        A snapshot keeps the true values' :class:`Ordering` while they do not change, so
        its side of Spearman is computed once per run instead of once per snapshot.
        """
        if self._centered is None:
            r = self.ranks - self.ranks.mean()
            r.flags.writeable = False
            self._centered = (r, float(r @ r))
        return self._centered

    @property
    def tied_pairs(self) -> int:
        """Pairs of items with equal values, ``sum t (t - 1) / 2`` over groups (cached)."""
        if self._tied is None:
            self._tied = _tied_pairs(self.counts)
        return self._tied

    def top_k_membership(self, k: int) -> np.ndarray:
        """:func:`_top_k_membership` of this ordering (the last ``k`` asked is cached)."""
        if self._top is None or self._top[0] != k:
            self._top = (k, _top_k_membership(self, k))
        return self._top[1]

    def kth_largest(self, k: int) -> float:
        """The ``k``-th largest value (``1 <= k <= n``)."""
        return self.values[self.order[self.values.size - k]]


def ordering(x: np.ndarray, name: str = "x") -> Ordering:
    """Sort ``x`` once for :func:`rank_metrics`.

    Args:
        x: ``(n,)`` values, one per item.
        name: The argument's name in error messages.

    Returns:
        The :class:`Ordering` of ``x`` as float64.

    Raises:
        ValueError: ``x`` is not 1-D.
    """
    return Ordering(_as_1d(x, name))


def _count_inversions(a: np.ndarray) -> int:
    """Number of pairs ``i < j`` with ``a[i] > a[j]`` (strict), for ints in ``[0, m)``.

    One row of :func:`count_inversions_rows`.
    """
    if a.size < 2:
        return 0
    return int(count_inversions_rows(a.reshape(1, -1))[0])


def count_inversions_rows(a: np.ndarray) -> np.ndarray:
    """``(S,)`` int64: the strict inversions of each row of ``(S, n)`` ints in ``[0, m)``.

    Bottom-up merge sort, vectorized across blocks and rows: each row is padded with the
    value ``m`` (which adds no strict inversion) to ``BLOCK * 2^L``, blocks of
    ``_BLOCK`` are sorted and counted by brute force, then at each of the ``L`` merge
    levels all pairs of sorted halves (of every row) are merged at once by a stable
    ``argsort`` along rows (two sorted runs: linear work), and the landing positions of
    the right halves' elements count the left-half elements greater than each of them.
    O(S n log n) total, in ``O(L)`` numpy calls whatever ``S``.
    """
    rows_in, n = a.shape
    out = np.zeros(rows_in, dtype=np.int64)
    if n < 2 or rows_in == 0:
        return out
    m = int(a.max()) + 1
    block = min(_BLOCK, 1 << (n - 1).bit_length())
    size = block
    while size < n:
        size *= 2
    buf = np.full((rows_in, size), m, dtype=np.int64)
    buf[:, :n] = a
    blocks = buf.reshape(rows_in, -1, block)
    if buf.size <= _OUTER_MAX:  # few values: one outer comparison per block
        upper = np.triu(np.ones((block, block), dtype=bool), k=1)
        pairs_above = (blocks[..., :, None] > blocks[..., None, :]) & upper
        out += np.count_nonzero(pairs_above.reshape(rows_in, -1), axis=1)
    else:
        for d in range(1, block):  # pairs d apart inside each block
            out += np.count_nonzero(
                (blocks[..., :-d] > blocks[..., d:]).reshape(rows_in, -1), axis=1)
    cur = np.sort(blocks, axis=2).reshape(-1)
    flat = np.arange(rows_in * size, dtype=np.int64)
    # Positions inside a row, as floats for a matrix product (exact: sums below 2**53).
    within = np.arange(size, dtype=np.float64)

    width = block
    while width < size:
        # Each row holds two sorted halves [left | right]. In the stable order of the
        # row (left first on ties), right element j lands at j + #(left <= it), so the
        # landing positions of the right elements give the inversions across the halves.
        pairs = size // (2 * width)  # merged rows per input row
        order = np.argsort(cur.reshape(-1, 2 * width), axis=1, kind="stable").reshape(-1)
        right = (order >= width).reshape(rows_in, size)
        # Landing positions inside each input row, minus the merged rows' offsets
        # r * 2w of their w right elements.
        landing = (right.astype(np.float64) @ within).astype(np.int64)
        landing -= width * width * pairs * (pairs - 1)
        le = landing - pairs * (width * (width - 1) // 2)
        out += pairs * width * width - le
        order += np.repeat(flat[:: 2 * width], 2 * width)
        cur = cur[order]
        width *= 2
    return out


def count_inversions(a: np.ndarray) -> int:
    """Number of pairs ``i < j`` with ``a[i] > a[j]`` (strict) of non-negative ints.

    Kendall's discordant pairs of a ranking against an order without ties: e.g. the
    codes of the clicks (:class:`Ordering`) in the order of the true values.
    O(n log n), vectorized (a bottom-up merge sort across blocks).

    Args:
        a: ``(n,)`` int64 values in ``[0, m)``.
    """
    return _count_inversions(a)


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall rank correlation with the tau-b tie correction.

    Over the ``n0 = n (n - 1) / 2`` pairs of items, with ``C`` concordant pairs, ``D``
    discordant pairs, ``n1`` pairs tied in ``x``, ``n2`` tied in ``y`` and ``n3`` tied
    in both::

        tau_b = (C - D) / sqrt((n0 - n1) * (n0 - n2))

    Identical to ``scipy.stats.kendalltau(x, y, variant="b")``. O(n log n) and fully
    vectorized: the items are sorted by ``(x, y)``, and ``D`` is the number of strict
    inversions of ``y`` in that order (counted by a vectorized merge sort);
    ``C = n0 - n1 - n2 + n3 - D``. Counts are exact integers.

    Args:
        x: ``(n,)`` values, one per item.
        y: ``(n,)`` values of the same items, in the same order.

    Returns:
        ``tau_b`` in ``[-1, 1]``; ``nan`` when ``n < 2``, when ``x`` or ``y`` is
        constant (no untied pair to compare) or when either holds a NaN.

    Raises:
        ValueError: ``x`` or ``y`` is not 1-D, or their lengths differ.
    """
    a, b = _as_pair(x, y, ("x", "y"))
    if a.size < 2 or _has_nan(a, b):
        return math.nan
    return _tau_b(Ordering(a), Ordering(b))


def _discordant(ox: Ordering, oy: Ordering) -> tuple[int, int]:
    """``(D, n3)``: strictly discordant pairs, and pairs tied in both (``n >= 2``)."""
    n = ox.values.size
    cy = oy.counts
    if ox.counts.size == n:
        # No tie in x: the (x, y) order is the x order, and no pair is tied in both.
        return _count_inversions(oy.codes[ox.order]), 0
    joint = np.sort(ox.codes * cy.size + oy.codes)
    boundaries = np.flatnonzero(np.diff(joint)) + 1
    joint_counts = np.diff(np.concatenate(([0], boundaries, [n])))
    return _count_inversions(joint % cy.size), _tied_pairs(joint_counts)


#: Largest (changed items x n) sign table :class:`DiscordantPairs` builds to update.
_PAIRS_MAX = 1 << 20


class DiscordantPairs:
    """Kendall's discordant-pair count of (truth, other), kept across snapshots.

    Between two snapshots the click counts of most items do not change (a popularity
    loop shows the same few items to everyone): when the truth is the same
    :class:`Ordering` as last time and ``other`` differs from last time's values in at
    most :attr:`max_changed` items, the count is updated from the pairs that involve a
    changed item (``O(changed x n)``) instead of recounted (``O(n log n)``). The count
    is an exact integer either way, so :func:`rank_metrics` returns identical values.
    Only for a truth without ties (``n3 = 0``); otherwise it recounts.
    """

    #: Changed items up to which the count is updated instead of recounted.
    max_changed = 48

    def __init__(self) -> None:
        self._truth: Ordering | None = None
        self._values = np.zeros(0)
        self._d = 0

    def count(self, truth: Ordering, other: Ordering) -> tuple[int, int]:
        """``(D, n3)`` of ``truth`` and ``other`` (same items, ``n >= 2``, no NaN)."""
        x, y = truth.values, other.values
        n = x.size
        if truth.counts.size != n:
            self._truth = None
            return _discordant(truth, other)
        changed = None
        if truth is self._truth and self._values.shape == y.shape:
            changed = np.flatnonzero(y != self._values)
        if changed is None or changed.size > self.max_changed or changed.size * n > _PAIRS_MAX:
            d = _discordant(truth, other)[0]
        else:
            # The truth's side of the changed items' pairs is shared by the old and new counts.
            above = x[changed, None] > x[None, :]  # (c, n); no tie in x, so "<" is ~above
            below = ~above
            d = (self._d - _touching(above, below, self._values, changed)
                 + _touching(above, below, y, changed))
        self._truth, self._values, self._d = truth, y.copy(), d
        return d, 0


def _touching(above: np.ndarray, below: np.ndarray, y: np.ndarray,
              changed: np.ndarray) -> int:
    """Strictly discordant pairs of ``(x, y)`` with at least one item in ``changed``.

    ``above`` is ``x[changed, None] > x[None, :]`` for an ``x`` without ties, ``below``
    its negation: a pair of ``changed[r]`` with item ``j != changed[r]`` is discordant
    when ``y`` orders it the other way (strictly). The pair of an item with itself is
    never discordant (``y`` ties it), so ``below`` may hold it.
    """
    if changed.size == 0:
        return 0
    yc = y[changed, None]
    negative = np.less(yc, y[None, :])  # (c, n)
    negative &= above
    negative |= np.greater(yc, y[None, :]) & below
    # Pairs inside ``changed`` appear twice (once from each end): count them once.
    within = int(np.count_nonzero(negative[:, changed]))
    return int(np.count_nonzero(negative)) - within // 2


def _tau_b(ox: Ordering, oy: Ordering, pairs: DiscordantPairs | None = None) -> float:
    """:func:`kendall_tau_b` of two sorted sides (``n >= 2``, no NaN)."""
    n = ox.values.size
    cx, cy = ox.counts, oy.counts
    if cx.size == 1 or cy.size == 1:
        return math.nan
    n0 = n * (n - 1) // 2
    n1, n2 = ox.tied_pairs, oy.tied_pairs
    d, n3 = _discordant(ox, oy) if pairs is None else pairs.count(ox, oy)
    c_minus_d = n0 - n1 - n2 + n3 - 2 * d
    tau = c_minus_d / math.sqrt((n0 - n1) * (n0 - n2))  # exact int product: tau(x, x) == 1
    return min(1.0, max(-1.0, tau))


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks of ``x`` in ascending order, ties given the mean of their ranks.

    ``average_ranks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1]``; the same as
    ``scipy.stats.rankdata(x, method="average")``. O(n log n).

    Args:
        x: ``(n,)`` values without NaN (NaN entries would each get their own rank).

    Returns:
        ``(n,)`` float64 ranks in ``[1, n]``, summing to ``n (n + 1) / 2``.

    Raises:
        ValueError: ``x`` is not 1-D.
    """
    arr = _as_1d(x, "x")
    n = arr.size
    order = np.argsort(arr, kind="stable")  # ties share one mean rank; stable is fast on ties
    sorted_x = arr[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = sorted_x[1:] != sorted_x[:-1]
    group = np.cumsum(new_group) - 1
    edges = np.append(np.flatnonzero(new_group), n)
    # Group g covers 0-based sorted positions edges[g] .. edges[g + 1] - 1.
    mean_rank = 0.5 * (edges[:-1] + edges[1:] + 1)
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = mean_rank[group]
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation: Pearson correlation of the average ranks.

    ``rho = cov(r_x, r_y) / (sd(r_x) sd(r_y))`` with ``r = average_ranks(.)`` (ties
    get the mean rank), as ``scipy.stats.spearmanr``.

    Args:
        x: ``(n,)`` values, one per item.
        y: ``(n,)`` values of the same items, in the same order.

    Returns:
        ``rho`` in ``[-1, 1]``; ``nan`` when ``n < 2``, when a side is constant or when
        either holds a NaN.

    Raises:
        ValueError: ``x`` or ``y`` is not 1-D, or their lengths differ.
    """
    a, b = _as_pair(x, y, ("x", "y"))
    if a.size < 2 or _has_nan(a, b):
        return math.nan
    return _spearman(Ordering(a), Ordering(b))


def _spearman(ox: Ordering, oy: Ordering) -> float:
    """:func:`spearman` of two sorted sides (``n >= 2``, no NaN)."""
    rx, sxx = ox.centered_ranks
    ry, syy = oy.centered_ranks
    if sxx == 0 or syy == 0:
        return math.nan
    rho = float(rx @ ry) / math.sqrt(sxx * syy)
    return min(1.0, max(-1.0, rho))


def _top_k_membership(o: Ordering, k: int) -> np.ndarray:
    """Probability that each item is in the top ``k`` under uniform random tie-breaking.

    Items strictly above the ``k``-th largest value get 1, items equal to it share the
    remaining slots equally, items below get 0.
    """
    values = o.values
    boundary = o.kth_largest(k)
    above = values > boundary
    tied = values == boundary
    slots_left = k - np.count_nonzero(above)
    return above + tied * (slots_left / np.count_nonzero(tied))


def precision_at_k(true_value: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Share of the true top-``k`` items found in the top ``k`` by ``scores``.

    ``|top_k(scores) ∩ top_k(true_value)| / k``. Ties are never broken by item order
    (which would favour whichever items come first): the result is the exact expected
    precision when ties in ``scores`` and, independently, in ``true_value`` are broken
    uniformly at random. With ``p_i`` the probability that item ``i`` is in the top ``k``
    by scores (1 strictly above the ``k``-th largest score, ``slots_left / n_tied`` when
    tied with it, 0 below) and ``q_i`` the same for ``true_value``::

        precision = sum_i p_i q_i / k

    True values are expected to be continuous, in which case ``q`` is 0/1; ties there
    are handled the same way. A policy scoring every item equally gets ``k / n``, the
    precision of a random guess.

    Args:
        true_value: ``(n,)`` true value of each item; higher is better.
        scores: ``(n,)`` policy scores (or popularity) of the same items; higher is
            better.
        k: Number of top items compared, ``>= 1``; clipped to ``n``.

    Returns:
        The precision in ``[0, 1]``; ``nan`` when ``n == 0`` or either input holds a
        NaN.

    Raises:
        ValueError: an input is not 1-D or their lengths differ.
        ConfigError: ``k`` is not an integer ``>= 1``.
    """
    k = check_positive_int("k", k, minimum=1)
    truth, s = _as_pair(true_value, scores, ("true_value", "scores"))
    if truth.size == 0 or _has_nan(truth, s):
        return math.nan
    return _precision(Ordering(truth), Ordering(s), k)


def _precision(truth: Ordering, scores: Ordering, k: int) -> float:
    """:func:`precision_at_k` of two sorted sides (``n >= 1``, no NaN)."""
    k = min(k, truth.values.size)
    p = scores.top_k_membership(k)
    q = truth.top_k_membership(k)
    return min(1.0, float(p @ q) / k)


def rank_metrics(truth: Ordering, other: Ordering, k: int,
                 pairs: DiscordantPairs | None = None) -> tuple[float, float, float]:
    """Kendall tau-b, Spearman and precision@k of ``other`` against ``truth``, sorted once.

    The same values as ``kendall_tau_b(x, y)``, ``spearman(x, y)`` and
    ``precision_at_k(x, y, k)`` with ``x = truth.values``, ``y = other.values``.

    Args:
        truth: :func:`ordering` of the true values.
        other: :func:`ordering` of the scores (or clicks) of the same items.
        k: Cut-off of precision@k, ``>= 1``; clipped to ``n``.
        pairs: Optional :class:`DiscordantPairs` kept by the caller across calls with the
            same truth (a snapshot's clicks): the tau's pair count is then updated where
            ``other`` changed in few items (the same value).

    Returns:
        ``(tau_b, spearman, precision_at_k)``.

    Raises:
        ValueError: the two sides have different lengths.
        ConfigError: ``k`` is not an integer ``>= 1``.
    """
    k = check_positive_int("k", k, minimum=1)
    n = truth.values.size
    if other.values.size != n:
        raise ValueError(
            f"`truth` and `other` must describe the same items, got lengths {n} and "
            f"{other.values.size}."
        )
    nan = math.nan
    if truth.has_nan or other.has_nan:
        return nan, nan, nan
    precision = _precision(truth, other, k) if n else nan
    if n < 2:
        return nan, nan, precision
    return _tau_b(truth, other, pairs), _spearman(truth, other), precision
