"""Measures across replicate markets (Salganik, Dodds & Watts 2006).

Pure functions of per-item totals of several replicate runs of the same world.
"""

from __future__ import annotations

import numpy as np

__all__ = ["half_split_unpredictability", "market_shares", "share_distance",
           "unpredictability"]


def market_shares(counts: np.ndarray) -> np.ndarray:
    """Each row's counts divided by the row's total (rows with no total stay 0).

    Args:
        counts: ``(R, n)`` non-negative totals (downloads...) of ``n`` items in ``R`` runs.

    Returns:
        ``(R, n)`` market shares; every row with a positive total sums to 1.
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"`counts` must be 2-D (runs, items), got shape {c.shape}.")
    total = c.sum(axis=1, keepdims=True)
    return np.divide(c, total, out=np.zeros_like(c), where=total > 0)


def unpredictability(shares: np.ndarray) -> float:
    """Unpredictability ``U`` of Salganik et al. (2006) across replicate runs.

    ``U_i`` is the mean, over all pairs of runs ``(j, k)``, of ``|m_ij - m_ik|`` where
    ``m_ij`` is item ``i``'s market share in run ``j``; ``U`` is the mean of ``U_i``
    over items. 0 when every run ends with the same shares.

    Args:
        shares: ``(R, n)`` market shares of ``n`` items in ``R >= 2`` runs.

    Returns:
        ``U >= 0``.

    Raises:
        ValueError: fewer than two runs or not 2-D.
    """
    m = np.asarray(shares, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] < 2:
        raise ValueError(
            f"`shares` must be (runs, items) with at least 2 runs, got shape {m.shape}."
        )
    j, k = np.triu_indices(m.shape[0], 1)
    return float(np.abs(m[j] - m[k]).mean())


def share_distance(shares: np.ndarray) -> float:
    """Unpredictability on a scale that does not depend on the catalogue's size.

    The mean, over all pairs of runs ``(j, k)``, of the total-variation distance
    ``(1/2) sum_i |m_ij - m_ik|`` between their market shares: the share of the market
    that would have to move for one run to end like the other. It equals ``n U / 2``
    with ``U`` :func:`unpredictability` over the same ``n`` items (``U``'s largest value
    is ``2 / n``, reached when every pair of runs has disjoint winners, which is why
    ``U`` shrinks as ``1 / n``). 0 when every run ends with the same shares, 1 when no
    two runs share a sold item. Finite downloads leave a noise floor (two runs of the
    same uniform market of ``n`` items with ``D`` downloads each differ by about
    ``sqrt(n / (2 pi D))`` when ``D >> n``).

    Args:
        shares: ``(R, n)`` market shares of ``n`` items in ``R >= 2`` runs.

    Returns:
        A value in ``[0, 1]`` for shares that sum to 1.
    """
    m = np.asarray(shares, dtype=np.float64)
    return unpredictability(m) * m.shape[1] / 2.0


def half_split_unpredictability(per_participant: np.ndarray, rng: np.random.Generator,
                                splits: int = 200) -> float:
    """U of one world split at random into two halves of its participants, averaged.

    The estimator the MusicLab data's README uses for the independent world (there is
    one independent world, so U is measured between two random halves of it): each
    split puts a random half of the participants (rows) in one market, the rest in the
    other; U of the two markets is ``mean_i |m_i1 - m_i2|``; the result is the mean over
    ``splits`` splits.

    Args:
        per_participant: ``(P, n)`` downloads of each participant (row) of each item.
        rng: Draws the splits.
        splits: Number of random splits (``>= 1``).

    Returns:
        The mean U over the splits.
    """
    x = np.asarray(per_participant, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"`per_participant` must be (participants >= 2, items), got {x.shape}.")
    half = x.shape[0] // 2
    out = np.empty(splits)
    for s in range(splits):
        first = np.zeros(x.shape[0], dtype=bool)
        first[rng.permutation(x.shape[0])[:half]] = True
        out[s] = unpredictability(market_shares(np.stack([x[first].sum(0), x[~first].sum(0)])))
    return float(out.mean())
