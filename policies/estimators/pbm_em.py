"""The position-based click model fitted by expectation-maximization on (item, rank) counts.

``P(click | item a, rank r) = theta_a * e_r`` with ``e_1 = 1``: an item's attractiveness
times the examination of its rank. The counts ``clicks[a, r]`` and ``views[a, r]`` are
sufficient, so a fit costs O(items x ranks) per iteration whatever the log's length.
This is the EM of Chuklin, Markov and de Rijke (2015, section 4.2), and Wang et al.
(2018, WSDM, "Position bias estimation for unbiased learning to rank in personal
search")'s regression EM without features (the M-step's regression of the relevance on
features reduces to one parameter per item). It needs no randomized traffic: the
examination is identified by items seen at several ranks, which a ranking that moves
between model versions provides (the placement may depend on past clicks: the counts'
likelihood is unchanged by an adaptive design).

One E/M iteration, for the misses ``m = views - clicks``::

    P(relevant | no click) = theta (1 - e) / (1 - theta e)
    P(examined | no click) = e (1 - theta) / (1 - theta e)
    theta_a = (sum_r clicks + m P(relevant | no click) + s * mean) / (views_a + s)
    e_r     = (sum_a clicks + m P(examined | no click)) / views_r

then ``e`` is rescaled so that its largest entry is 1 (``theta`` times that entry): the
E-step's posteriors are probabilities only while ``theta`` and ``e`` both lie in [0, 1].
Rescaling by ``e_1`` instead, when a rank below the first is examined more (rank 1 rarely
viewed, or clicked less than rank 2), left ``e_r > 1``: ``P(examined | no click)`` then
exceeded 1, ``e_r`` grew each iteration without bound (overflow, then NaN) and ``theta``
collapsed to 0. The fit is returned relative to rank 1 (``examination[0] == 1``; other
ranks may then exceed 1). ``s`` pseudo-views at the mean attractiveness keep an item with
few views finite.

Used by the policies' learned examination curve
(:class:`~loopsim.policies.estimators.examination.ExaminationCurve`, warm-started at
each retrain) and by the off-policy direct method (``loopsim.experiments.ope.dm``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Smallest examination of a rank relative to the most examined one, inside EM.
MIN_EXAMINATION = 1e-12


@dataclass(frozen=True)
class PBMFit:
    """A fitted position-based model.

    Attributes:
        theta: ``(items,)`` attractiveness (rank-1 click probability) of each item.
        examination: ``(ranks,)`` examination relative to rank 1 (``examination[0] == 1``
            once rank 1 has views).
        mean: view-weighted mean attractiveness (used for items never viewed).
    """

    theta: np.ndarray
    examination: np.ndarray
    mean: float


def pbm_start(clicks: np.ndarray, views: np.ndarray) -> PBMFit:
    """EM's starting point: each item's CTR, and CTR by rank over CTR at rank 1 (x 0.9).

    ``e = 1`` everywhere is a fixed point of EM, so the start is shrunk below 1.
    """
    k = clicks.shape[1]
    total = views.sum()
    mean = float(clicks.sum() / total) if total > 0 else 0.0
    theta = np.clip((clicks.sum(1) + mean) / (views.sum(1) + 1.0), 1e-6, 1 - 1e-6)
    ctr = clicks.sum(0) / np.maximum(views.sum(0), 1.0)
    e = 0.9 * np.clip(ctr / ctr[0] if k and ctr[0] > 0 else np.ones(k), 0.01, 1.0)
    return PBMFit(theta, e, mean)


def pbm_em(clicks: np.ndarray, views: np.ndarray, start: PBMFit, iterations: int,
           prior_strength: float = 1.0) -> PBMFit:
    """Run ``iterations`` EM iterations from ``start`` on ``(items, ranks)`` counts.

    Args:
        clicks: ``(items, ranks)`` clicks of each item at each rank (rank 1 first).
        views: ``(items, ranks)`` impressions, same shape.
        start: The fit to start from (:func:`pbm_start`, or the previous fit: warm start);
            its arrays must match ``clicks``'s shape (see :func:`warm_start`).
        iterations: EM iterations (0 returns ``start``).
        prior_strength: Pseudo-views per item at the mean attractiveness.
    """
    if iterations <= 0:
        return start
    c, v = clicks, views
    theta, e, mean = start.theta, start.examination, start.mean
    if e.size and e.max() > 1:  # a fit relative to rank 1 where another rank is above it
        theta, e = _probabilities(theta, e)
    total = v.sum()
    miss = v - c
    item_views, rank_views = v.sum(1), v.sum(0)
    item_clicks, rank_clicks = c.sum(1), c.sum(0)
    seen = rank_views > 0
    for _ in range(iterations):
        p = np.clip(theta[:, None] * e[None, :], 0.0, 1 - 1e-9)
        post_r = theta[:, None] * (1 - e[None, :]) / (1 - p)   # P(R=1 | no click)
        post_e = e[None, :] * (1 - theta[:, None]) / (1 - p)   # P(E=1 | no click)
        mean = float(theta @ item_views / total) if total > 0 else mean
        theta = ((item_clicks + (miss * post_r).sum(1) + prior_strength * mean)
                 / (item_views + prior_strength))
        e_new = (rank_clicks + (miss * post_e).sum(0)) / np.where(seen, rank_views, 1.0)
        e = np.where(seen, e_new, e)
        theta, e = _probabilities(theta, e)
    if e.size and e[0] > 0:  # relative to rank 1, as PBMFit states
        theta, e = theta * e[0], e / e[0]
    return PBMFit(theta, e, float(mean))


def _probabilities(theta: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same products ``theta_a e_r`` with ``max e == 1``, so both are probabilities.

    ``theta`` is clipped into (0, 1) (a product above 1 is no click probability) and
    ``e`` to at least :data:`MIN_EXAMINATION`, so that the fit relative to rank 1 stays
    finite when rank 1 is viewed but never clicked.
    """
    top = float(e.max()) if e.size else 0.0
    if top > 0:
        theta, e = theta * top, e / top
    return np.clip(theta, 1e-9, 1 - 1e-9), np.maximum(e, MIN_EXAMINATION)


def warm_start(previous: PBMFit | None, clicks: np.ndarray, views: np.ndarray) -> PBMFit:
    """``previous`` grown to the counts' shape (new items at its mean, new ranks from
    :func:`pbm_start`), or :func:`pbm_start` when there is none."""
    fresh = pbm_start(clicks, views)
    if previous is None:
        return fresh
    n, k = clicks.shape
    theta = np.full(n, previous.mean if previous.theta.size else fresh.mean)
    m = min(n, previous.theta.size)
    theta[:m] = previous.theta[:m]
    e = fresh.examination.copy()
    r = min(k, previous.examination.size)
    e[:r] = previous.examination[:r]
    return PBMFit(np.clip(theta, 1e-6, 1 - 1e-6), e, previous.mean)


__all__ = ["MIN_EXAMINATION", "PBMFit", "pbm_em", "pbm_start", "warm_start"]
