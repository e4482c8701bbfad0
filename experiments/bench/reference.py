"""Bare numpy reference pipelines, timed in the same run as loopsim (``loopsim-bench``).

* :func:`global_pipeline`: what a global-score policy costs with nothing else around
  it: Poisson arrivals of users drawn in O(1) each from an alias table (or by binary
  search, ``user_draw="searchsorted"``), one shared slate re-ranked at every retrain,
  clicks under the position-based model, exposure and click counters.
* :func:`personal_kernel`: personalized scoring reduced to its kernel: a float64 matrix
  product of user and item factors, then a partial sort for each user's top-k.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

#: Scores held at once by the personal kernel (same bound as the selectors').
BLOCK = 1 << 21


def alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table of ``weights`` (Vose's construction): ``(prob, alias)``.

    Draw ``i`` uniformly, then keep it with probability ``prob[i]``, else take
    ``alias[i]``: each draw is O(1) whatever the number of outcomes.
    """
    n = weights.shape[0]
    scaled = weights * (n / weights.sum())
    prob = np.ones(n)
    alias = np.arange(n)
    small = [int(i) for i in np.flatnonzero(scaled < 1.0)]
    large = [int(i) for i in np.flatnonzero(scaled >= 1.0)]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return prob, alias


def alias_draw(prob: np.ndarray, alias: np.ndarray, n: int,
               rng: np.random.Generator) -> np.ndarray:
    """``n`` draws from an :func:`alias_table`, one uniform each (column and coin)."""
    u = rng.random(n) * prob.shape[0]
    i = u.astype(np.int64)
    return np.where(u - i < prob[i], i, alias[i])


def global_pipeline(n_users: int, n_items: int, days: float, tick: float = 0.05,
                    k: int = 10, retrain: float = 0.25, seed: int = 0,
                    user_draw: str = "alias") -> dict[str, Any]:
    """Time the bare global-score loop: impressions, wall and CPU seconds, throughputs.

    Args:
        n_users: Users (lognormal activity, one session per day on average).
        n_items: Items (Beta(2, 6) click probability once examined).
        days: Simulated days.
        tick: Days per batch of sessions.
        k: Slate size.
        retrain: Days between re-rankings of the shared slate (by a Beta-prior CTR).
        seed: Seed of the reference's own generator.
        user_draw: ``alias`` (O(1) per user) or ``searchsorted`` (a binary search).
    """
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n_users)
    activity = np.exp(z - 0.5)
    cum = np.cumsum(activity)
    total = float(cum[-1])
    prob, alias = alias_table(activity)
    quality = rng.beta(2.0, 6.0, n_items)
    exam = 1.0 / np.arange(1, k + 1)
    exposure = np.zeros(n_items, dtype=np.int64)
    clicks = np.zeros(n_items, dtype=np.int64)
    steps = max(1, round(days / tick))
    every = max(1, round(retrain / tick))
    impressions = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for step in range(steps):
        n = int(rng.poisson(total * tick))
        if user_draw == "alias":
            users = alias_draw(prob, alias, n, rng)
        else:
            users = np.searchsorted(cum, rng.random(n) * total, side="right")
        np.sort(rng.random(n))  # session times
        if step % every == 0:
            ctr = (clicks + 1.0) / (exposure + 20.0)
            slate = np.argpartition(-ctr, k - 1)[:k]
            slate = slate[np.argsort(-ctr[slate])]
            p = quality[slate] * exam
        c = rng.random((users.shape[0], k)) < p
        exposure[slate] += n
        clicks[slate] += c.sum(axis=0)
        impressions += n * k
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {"impressions": impressions, "seconds": seconds, "cpu_s": cpu,
            "impressions_per_s": impressions / seconds, "impressions_per_cpu_s": impressions / cpu}


def personal_kernel(n_users: int, n_items: int, k: int = 10, factors: int = 8,
                    seed: int = 0) -> dict[str, Any]:
    """Time top-k by a matrix product for ``n_users`` users; returns users per second."""
    rng = np.random.default_rng(seed)
    users = rng.standard_normal((n_users, factors))
    items = rng.standard_normal((n_items, factors))
    block = max(1, BLOCK // n_items)
    kk = min(k, n_items)
    start = time.perf_counter()
    for s in range(0, n_users, block):
        scores = users[s : s + block] @ items.T
        part = np.argpartition(scores, n_items - kk, axis=1)[:, n_items - kk :]
        top = np.take_along_axis(scores, part, axis=1)
        np.take_along_axis(part, np.argsort(-top, axis=1), axis=1)
    seconds = time.perf_counter() - start
    return {"users": n_users, "seconds": seconds, "users_per_s": n_users / seconds,
            "scores_per_s": n_users * n_items / seconds}


__all__ = ["alias_draw", "alias_table", "global_pipeline", "personal_kernel"]
