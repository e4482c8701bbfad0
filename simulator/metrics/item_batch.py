"""The item-side snapshot metrics of many snapshots at once (deferred, 2-D).

A snapshot's item-side metrics (concentration of exposure and clicks, rank recovery of
the clicks and of the scores, rank error by exposure bucket) are pure functions of a
few per-item vectors. :class:`~loopsim.simulator.metrics.recorder.MetricsRecorder` can
keep those vectors (:class:`ItemWindow`) and compute the metrics of all the snapshots
together when they are read: one 2-D sort per kind of vector over ``(snapshots x
items)`` instead of one sort and a dozen small calls per snapshot. The values are those
of the per-snapshot path (:func:`item_metrics_one`), bit for bit:

* sums of integer counts (totals, top shares, Gini numerators) and of average ranks
  (half-integers: Spearman) are exact in any order;
* the other sums (entropy terms, precision's dot product, the mean rank error of a
  bucket) are taken row by row over the same values in the same order;
* Kendall's discordant pairs are exact integers, counted by the same
  :class:`~loopsim.simulator.metrics.ranking.DiscordantPairs`, in snapshot order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from loopsim.simulator.metrics.concentration import Concentration
from loopsim.simulator.metrics.loop_detector import BUCKETS, rank_error_from_ranks
from loopsim.simulator.metrics.ranking import (
    DiscordantPairs,
    Ordering,
    count_inversions,
    count_inversions_rows,
    ordering,
    rank_metrics,
)

__all__ = ["ITEM_NAMES", "ItemWindow", "item_metrics", "item_metrics_one", "item_names"]

#: The deferred metrics of every snapshot, in the snapshot's order of names.
ITEM_NAMES = ("gini_exposure", "gini_clicks", "gini_exposure_window", "gini_clicks_window",
              "entropy_exposure", "entropy_exposure_window", "top10_share_exposure",
              "top10_share_clicks", "coverage_exposure", "coverage_window", "tau_popularity",
              "spearman_popularity", "precision_at_k")
#: The reward metrics that equal the clicks' while every reward is 1 per click.
REWARD_NAMES = {"gini_reward": "gini_clicks", "gini_reward_window": "gini_clicks_window",
                "entropy_reward": "entropy_clicks", "top10_share_reward": "top10_share_clicks"}
SCORE_NAMES = ("tau_scores", "spearman_scores", "precision_at_k_scores")
ERROR_NAMES = tuple(f"rank_error_{b}" for b in BUCKETS)


@dataclass(frozen=True)
class ItemWindow:
    """The vectors of one snapshot's item-side metrics (over its available items).

    Attributes:
        exposure: ``(n,)`` cumulative impressions.
        clicks: ``(n,)`` cumulative clicks.
        exposure_w: ``(n,)`` impressions of the window.
        clicks_w: ``(n,)`` clicks of the window.
        truth: :func:`~loopsim.simulator.metrics.ranking.ordering` of the true values
            (the same object across snapshots while they do not change).
        scores: ``(n,)`` float64 policy scores, ``None`` (no scores), or the clicks
            themselves when the scores equal them (a popularity policy).
    """

    exposure: np.ndarray
    clicks: np.ndarray
    exposure_w: np.ndarray
    clicks_w: np.ndarray
    truth: Ordering
    scores: np.ndarray | None

    @property
    def scores_are_clicks(self) -> bool:
        """Whether the scores are the clicks (they then share their metrics)."""
        return self.scores is self.clicks


def item_names(has_scores: bool) -> tuple[str, ...]:
    """Every deferred name of a snapshot (with the scores' names when it has scores)."""
    extra = (*SCORE_NAMES, *ERROR_NAMES) if has_scores else ()
    return (*ITEM_NAMES, *REWARD_NAMES, *extra)


def item_metrics_one(w: ItemWindow, k: int, pairs: DiscordantPairs) -> dict[str, float]:
    """The item-side metrics of one snapshot, as the per-snapshot path computes them."""
    by_clicks = ordering(w.clicks)
    exp, exp_w = Concentration(w.exposure), Concentration(w.exposure_w)
    clk = Concentration(w.clicks, by_clicks.values[by_clicks.order])
    clk_w = Concentration(w.clicks_w)
    tau, rho, prec = rank_metrics(w.truth, by_clicks, k, pairs)
    out = {
        "gini_exposure": exp.gini(), "gini_clicks": clk.gini(),
        "gini_exposure_window": exp_w.gini(), "gini_clicks_window": clk_w.gini(),
        "entropy_exposure": exp.normalized_entropy(),
        "entropy_exposure_window": exp_w.normalized_entropy(),
        "top10_share_exposure": exp.top_share(0.1), "top10_share_clicks": clk.top_share(0.1),
        "coverage_exposure": exp.coverage(), "coverage_window": exp_w.coverage(),
        "tau_popularity": tau, "spearman_popularity": rho, "precision_at_k": prec,
        "entropy_clicks": clk.normalized_entropy(),
    }
    if w.scores is not None:
        by_scores = by_clicks if w.scores_are_clicks else ordering(w.scores, "scores")
        values = (tau, rho, prec) if by_scores is by_clicks else rank_metrics(
            w.truth, by_scores, k)
        out.update(zip(SCORE_NAMES, values, strict=True))
        n = w.clicks.size
        if w.truth.has_nan or by_scores.has_nan or not n:
            errors = dict.fromkeys(BUCKETS, math.nan)
        else:
            errors = rank_error_from_ranks(w.truth.ranks, by_scores.ranks, exp.values)
        out.update({f"rank_error_{b}": e for b, e in errors.items()})
    return _with_rewards(out)


def _with_rewards(out: dict[str, float]) -> dict[str, float]:
    out.update({name: out[source] for name, source in REWARD_NAMES.items()})
    return out


def item_metrics(windows: list[ItemWindow], k: int,
                 pairs: DiscordantPairs) -> list[dict[str, float]]:
    """:func:`item_metrics_one` of each window, in order, computed in 2-D where possible.

    Consecutive windows with the same truth (the same :class:`Ordering`) and the same
    number of items are computed together; a group with NaN values, fewer than 2 items
    or a truth with ties is computed window by window.
    """
    out: list[dict[str, float]] = []
    start = 0
    while start < len(windows):
        first = windows[start]
        stop = start + 1
        while (stop < len(windows) and windows[stop].truth is first.truth
               and windows[stop].clicks.size == first.clicks.size
               and (windows[stop].scores is None) == (first.scores is None)):
            stop += 1
        out.extend(_group(windows[start:stop], k, pairs))
        start = stop
    return out


def _group(windows: list[ItemWindow], k: int, pairs: DiscordantPairs) -> list[dict[str, float]]:
    truth = windows[0].truth
    n = truth.values.size
    scores = [w.scores for w in windows if w.scores is not None and not w.scores_are_clicks]
    if (n < 2 or truth.has_nan or truth.counts.size != n
            or any(bool(np.isnan(s).any()) for s in scores)):
        return [item_metrics_one(w, k, pairs) for w in windows]
    exposure = _stack([w.exposure for w in windows])
    clicks = _Rows(_stack([w.clicks for w in windows]))
    cols: dict[str, np.ndarray | list[float]] = {}
    cols.update(_concentration(exposure, "exposure", entropy=True))
    cols.update(_concentration(_stack([w.exposure_w for w in windows]), "exposure_window",
                               entropy=True))
    cols.update(_concentration(clicks.values, "clicks", entropy=True, ordered=clicks.sorted))
    cols.update(_concentration(_stack([w.clicks_w for w in windows]), "clicks_window"))
    cols["coverage_exposure"] = cols.pop("coverage_exposure")
    cols["coverage_window"] = cols.pop("coverage_exposure_window")
    tau = [_tau(truth, clicks, s, pairs) for s in range(len(windows))]
    rho, prec = _spearman(truth, clicks), _precision(truth, clicks, k)
    cols.update(tau_popularity=tau, spearman_popularity=rho, precision_at_k=prec)
    has_scores = windows[0].scores is not None
    if has_scores:
        same = [w.scores_are_clicks for w in windows]
        by_scores = clicks if all(same) else _Rows(np.stack(
            [w.clicks if w.scores_are_clicks else w.scores for w in windows]).astype(
                np.float64))
        if by_scores is clicks:
            cols.update(tau_scores=tau, spearman_scores=rho, precision_at_k_scores=prec)
        else:
            own = [s for s in range(len(windows)) if not same[s]]
            counted = dict(zip(own, count_inversions_rows(
                by_scores.codes[own][:, truth.order]).tolist(), strict=True))
            cols.update(tau_scores=[_tau(truth, by_scores, s, None, counted[s])
                                    if not same[s] else tau[s] for s in range(len(windows))],
                        spearman_scores=_spearman(truth, by_scores),
                        precision_at_k_scores=_precision(truth, by_scores, k))
        cols.update(_rank_errors(truth, by_scores, exposure))
    names = (*ITEM_NAMES, "entropy_clicks", *((*SCORE_NAMES, *ERROR_NAMES) if has_scores
                                               else ()))
    columns = [np.asarray(cols[name], dtype=np.float64).tolist() for name in names]
    return [_with_rewards(dict(zip(names, values, strict=True)))
            for values in zip(*columns, strict=True)]


def _stack(rows: list[np.ndarray]) -> np.ndarray:
    return np.stack(rows).astype(np.float64, copy=False)


class _Rows:
    """The sort of each row of a ``(S, n)`` array, its groups of ties and average ranks.

    Nothing kept depends on the order of tied values (group codes, average ranks and
    the sorted values are the same for any sort), so the rows are sorted by numpy's
    default argsort (a vectorized sort: ~8x a stable sort's speed on rows of counts).
    """

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        s, n = values.shape
        self.order = np.argsort(values, axis=1)
        self.sorted = np.take_along_axis(values, self.order, axis=1)
        new = np.ones((s, n), dtype=bool)
        np.not_equal(self.sorted[:, 1:], self.sorted[:, :-1], out=new[:, 1:])
        flat = new.reshape(-1)
        starts = np.flatnonzero(flat)
        sizes = np.diff(np.append(starts, flat.size))
        row = starts // n
        self.n_groups = np.bincount(row, minlength=s)
        self.tied_pairs = np.bincount(row, weights=sizes * (sizes - 1) // 2, minlength=s)
        begin = starts - row * n
        mean_rank = 0.5 * (2 * begin + sizes + 1)  # 0.5 (start + end + 1), end = start + size
        group = np.cumsum(flat) - 1
        self.codes = np.empty((s, n), dtype=np.int64)
        np.put_along_axis(self.codes, self.order,
                          (group - np.repeat(np.cumsum(self.n_groups) - self.n_groups, n)
                           ).reshape(s, n), axis=1)
        self.ranks = np.empty((s, n))
        np.put_along_axis(self.ranks, self.order, mean_rank[group].reshape(s, n), axis=1)


def _concentration(x: np.ndarray, name: str, entropy: bool = False,
                   ordered: np.ndarray | None = None) -> dict[str, np.ndarray | list[float]]:
    """Gini, top-10% share, coverage (and normalized entropy) of each row of counts."""
    s, n = x.shape
    ordered = np.sort(x, axis=1) if ordered is None else ordered
    total = x.sum(axis=1)
    coef = 2.0 * np.arange(1, n + 1, dtype=np.float64) - n - 1.0  # as concentration.gini
    positive = total > 0
    gini = [max(float(coef @ ordered[r]) / (n * float(total[r])), 0.0) if positive[r] else 0.0
            for r in range(s)]
    m = max(1, math.ceil(0.1 * n * (1.0 - 1e-12)))
    top = np.full(s, math.nan)
    np.divide(ordered[:, n - m :].sum(axis=1), total, out=top, where=positive)
    out: dict[str, np.ndarray | list[float]] = {
        f"gini_{name}": gini, f"top10_share_{name}": top,
        f"coverage_{name}": np.count_nonzero(x, axis=1) / n if n else np.full(s, math.nan),
    }
    if entropy:
        out[f"entropy_{name}"] = _entropy(x, total)
    return out


def _entropy(x: np.ndarray, total: np.ndarray) -> list[float]:
    """Normalized entropy of each row (the row's positive shares summed in item order)."""
    s, n = x.shape
    positive = x > 0
    share = np.divide(x, total[:, None], out=np.ones_like(x), where=positive)
    terms = share * np.log(share)  # the terms of the 1-D function, where positive
    log_n = math.log(n) if n > 1 else 1.0
    out = []
    for r in range(s):
        if total[r] == 0:
            out.append(math.nan)
        elif n <= 1:
            out.append(0.0)
        else:
            h = float(-terms[r][positive[r]].sum()) / log_n
            out.append(min(max(h, 0.0), 1.0))
    return out


class _RowOrdering:
    """The parts of an :class:`Ordering` that :class:`DiscordantPairs` reads, for one row."""

    __slots__ = ("values", "codes", "counts")

    def __init__(self, rows: _Rows, s: int) -> None:
        self.values = rows.values[s]
        self.codes = rows.codes[s]
        self.counts = np.zeros(int(rows.n_groups[s]))  # only its size is read


def _tau(truth: Ordering, rows: _Rows, s: int, pairs: DiscordantPairs | None,
         discordant: int | None = None) -> float:
    """Kendall tau-b of row ``s`` against a truth without ties (``n >= 2``, no NaN).

    ``discordant``: the row's discordant pairs when already counted (with ``pairs``
    ``None``), e.g. for all rows at once by :func:`count_inversions_rows`.
    """
    n = truth.values.size
    if rows.n_groups[s] == 1:
        return math.nan
    n0 = n * (n - 1) // 2
    n2 = int(rows.tied_pairs[s])
    other = _RowOrdering(rows, s)
    if discordant is not None:
        d = discordant
    elif pairs is None:
        d = count_inversions(rows.codes[s][truth.order])
    else:
        d = pairs.count(truth, other)[0]  # type: ignore[arg-type]
    tau = (n0 - n2 - 2 * d) / math.sqrt(n0 * (n0 - n2))
    return min(1.0, max(-1.0, tau))


def _spearman(truth: Ordering, rows: _Rows) -> np.ndarray:
    """Spearman's rho of each row against the truth (exact sums of half-integer ranks)."""
    rx, sxx = truth.centered_ranks
    ry = rows.ranks - rows.ranks.mean(axis=1, keepdims=True)
    syy = np.einsum("ij,ij->i", ry, ry)
    num = ry @ rx
    rho = np.full(ry.shape[0], math.nan)
    ok = (syy != 0) & (sxx != 0)
    rho[ok] = np.clip(num[ok] / np.sqrt(sxx * syy[ok]), -1.0, 1.0)
    return rho


def _precision(truth: Ordering, rows: _Rows, k: int) -> list[float]:
    """Expected precision@k of each row (ties broken at random), as the 1-D function."""
    s, n = rows.values.shape
    k = min(k, n)
    q = truth.top_k_membership(k)
    boundary = rows.sorted[:, n - k, None]
    above = rows.values > boundary
    tied = rows.values == boundary
    left = k - np.count_nonzero(above, axis=1)
    p = above + tied * (left / np.count_nonzero(tied, axis=1))[:, None]
    return [min(1.0, float(p[r] @ q) / k) for r in range(s)]


def _most_exposed_first(exposure: np.ndarray) -> np.ndarray:
    """``np.argsort(-exposure, axis=1, kind="stable")``: each row's items, most exposed
    first, ties in item order.

    Counts (whole numbers, the usual case) are sorted by a unique key per item,
    ``(max - count) * n + item``, with numpy's default (vectorized) argsort: the same
    order as the stable sort, at a fraction of its time on rows with many ties.
    """
    s, n = exposure.shape
    top = float(exposure.max(initial=0.0))
    if (n == 0 or exposure.min(initial=0.0) < 0 or top * n >= 2.0**52
            or not bool((exposure == np.floor(exposure)).all())):
        return np.argsort(-exposure, axis=1, kind="stable")
    key = (top - exposure).astype(np.int64)
    key *= n
    key += np.arange(n, dtype=np.int64)
    return np.argsort(key, axis=1)


def _rank_errors(truth: Ordering, rows: _Rows, exposure: np.ndarray,
                 head: float = 0.5, torso: float = 0.9) -> dict[str, list[float]]:
    """``rank_error_{head,torso,tail}`` of each row, as
    :func:`~loopsim.simulator.metrics.loop_detector.rank_error_from_ranks` (2-D sorts and
    cumulative sums; each bucket's mean over the same values in the same order)."""
    s, n = exposure.shape
    error = np.abs(rows.ranks - truth.ranks) / n
    order = _most_exposed_first(exposure)
    ordered = np.take_along_axis(exposure, order, axis=1)
    total = ordered.sum(axis=1)
    before = np.ones((s, n))
    positive = total > 0
    before[positive] = ((np.cumsum(ordered[positive], axis=1) - ordered[positive])
                        / total[positive, None])
    shown = ordered > 0
    bucket = np.where(shown & (before < head), 0, np.where(shown & (before < torso), 1, 2))
    errors = np.take_along_axis(error, order, axis=1)
    unsorted = (bucket[:, 1:] < bucket[:, :-1]).any(axis=1)
    edges = np.zeros((s, len(BUCKETS) + 1), dtype=np.int64)
    edges[:, 1:] = np.cumsum(np.stack([(bucket == b).sum(axis=1)
                                       for b in range(len(BUCKETS))], axis=1), axis=1)
    out: dict[str, list[float]] = {name: [] for name in ERROR_NAMES}
    for r in range(s):
        if unsorted[r]:
            parts = [errors[r][bucket[r] == b] for b in range(len(BUCKETS))]
        else:
            parts = [errors[r][edges[r, b] : edges[r, b + 1]] for b in range(len(BUCKETS))]
        for name, part in zip(ERROR_NAMES, parts, strict=True):
            out[name].append(float(part.mean()) if part.size else math.nan)
    return out
