"""The item-side metrics of many snapshots at once equal the per-snapshot definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from loopsim.simulator.metrics.concentration import coverage, gini, normalized_entropy, top_share
from loopsim.simulator.metrics.item_batch import (
    ItemWindow,
    _most_exposed_first,
    item_metrics,
    item_metrics_one,
    item_names,
)
from loopsim.simulator.metrics.loop_detector import rank_error_by_exposure
from loopsim.simulator.metrics.ranking import (
    DiscordantPairs,
    kendall_tau_b,
    ordering,
    precision_at_k,
    spearman,
)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _windows(seed: int, n: int, s: int, scores: str, truth_ties: bool = False
             ) -> list[ItemWindow]:
    """``s`` snapshots of a growing popularity loop over ``n`` items (many ties, zeros)."""
    rng = np.random.default_rng(seed)
    value = rng.random(n)
    if truth_ties:
        value = np.round(value, 1)
    truth = ordering(value)
    exposure = np.zeros(n, dtype=np.int64)
    clicks = np.zeros(n, dtype=np.int64)
    out = []
    for t in range(s):
        shown = rng.choice(n, size=min(n, 3), replace=False) if t % 4 != 3 else np.zeros(0, int)
        exposure_w = np.zeros(n, dtype=np.int64)
        exposure_w[shown] = rng.integers(1, 50, shown.size)
        clicks_w = np.minimum(exposure_w, rng.integers(0, 5, n))
        exposure = exposure + exposure_w
        clicks = clicks + clicks_w
        c = clicks.copy()
        own = {"none": None, "clicks": c, "own": rng.random(n),
               "mixed": c if t % 2 else rng.integers(0, 3, n).astype(np.float64)}[scores]
        out.append(ItemWindow(exposure.copy(), c, exposure_w, clicks_w, truth, own))
    return out


@pytest.mark.parametrize("scores", ["none", "clicks", "own", "mixed"])
@pytest.mark.parametrize("seed", range(4))
def test_batch_equals_one_by_one(seed: int, scores: str) -> None:
    windows = _windows(seed, 40, 12, scores)
    batch = item_metrics(windows, 5, DiscordantPairs())
    pairs = DiscordantPairs()
    single = [item_metrics_one(w, 5, pairs) for w in windows]
    assert len(batch) == len(single)
    for a, b in zip(batch, single, strict=True):
        assert set(a) >= set(item_names(scores != "none"))
        for name in item_names(scores != "none"):
            assert _same(a[name], b[name]), (name, a[name], b[name])


@pytest.mark.parametrize("seed", range(3))
def test_batch_equals_the_definitions(seed: int) -> None:
    windows = _windows(seed, 30, 8, "own")
    got = item_metrics(windows, 4, DiscordantPairs())
    for w, m in zip(windows, got, strict=True):
        value = w.truth.values
        assert _same(m["gini_exposure"], gini(w.exposure))
        assert _same(m["gini_clicks_window"], gini(w.clicks_w))
        assert _same(m["entropy_exposure_window"], normalized_entropy(w.exposure_w))
        assert _same(m["top10_share_clicks"], top_share(w.clicks, 0.1))
        assert _same(m["coverage_window"], coverage(w.exposure_w))
        assert _same(m["tau_popularity"], kendall_tau_b(value, w.clicks))
        assert _same(m["spearman_popularity"], spearman(value, w.clicks))
        assert _same(m["precision_at_k"], precision_at_k(value, w.clicks, 4))
        assert _same(m["tau_scores"], kendall_tau_b(value, w.scores))
        assert _same(m["spearman_scores"], spearman(value, w.scores))
        errors = rank_error_by_exposure(value, w.scores, w.exposure)
        for bucket, e in errors.items():
            assert _same(m[f"rank_error_{bucket}"], e)
        assert m["gini_reward"] == m["gini_clicks"]


def test_by_hand() -> None:
    # Two items, one of which has every click: gini 1 - 1/2, coverage 1/2, tau 1.
    truth = ordering(np.array([0.1, 0.9]))
    w = ItemWindow(np.array([0, 4]), np.array([0, 2]), np.array([0, 4]), np.array([0, 2]),
                   truth, None)
    (m,) = item_metrics([w], 1, DiscordantPairs())
    assert m["gini_exposure"] == pytest.approx(0.5, abs=1e-15)
    assert m["coverage_window"] == 0.5
    assert m["tau_popularity"] == pytest.approx(1.0, abs=1e-15)
    assert m["precision_at_k"] == 1.0
    assert m["entropy_exposure"] == 0.0


def test_groups_fall_back_on_ties_nan_and_a_new_truth() -> None:
    windows = _windows(1, 25, 6, "own", truth_ties=True)
    windows[2] = ItemWindow(windows[2].exposure, windows[2].clicks, windows[2].exposure_w,
                            windows[2].clicks_w, windows[2].truth,
                            np.full(25, np.nan))
    windows += _windows(2, 25, 3, "own")  # another truth object: a new group
    batch = item_metrics(windows, 3, DiscordantPairs())
    pairs = DiscordantPairs()
    for w, a in zip(windows, batch, strict=True):
        b = item_metrics_one(w, 3, pairs)
        for name in item_names(True):
            assert _same(a[name], b[name]), name
    assert math.isnan(batch[2]["tau_scores"])


def test_most_exposed_first_is_the_stable_descending_order() -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, (5, 300)).astype(np.float64)  # many ties
    for exposure in (counts, counts + 0.5, counts - 1.0, np.zeros((2, 3))):
        np.testing.assert_array_equal(_most_exposed_first(exposure),
                                      np.argsort(-exposure, axis=1, kind="stable"))
