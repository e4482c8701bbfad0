"""Lazy Gumbel-top-k draws give the slates of adding Gumbel noise to every logit."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies.selectors.gumbel_draws import (
    EXPECTED_ABOVE,
    MARGIN,
    GumbelPlan,
    gumbel_plan,
    gumbel_top_k,
)
from loopsim.policies.selectors.softmax import floored, plackett_luce_marginals
from loopsim.policies.selectors.topk import top_k_rows


def _full(logits: np.ndarray, sessions: int, k: int, seed: int) -> tuple[np.ndarray, float]:
    rng = np.random.default_rng(seed)
    out = top_k_rows(logits + rng.gumbel(size=(sessions, logits.size)), k)
    return out, float(rng.random())


def _lazy(logits: np.ndarray, sessions: int, k: int, seed: int) -> tuple[np.ndarray, float]:
    rng = np.random.default_rng(seed)
    out = gumbel_top_k(rng, gumbel_plan(logits, k), sessions, k)
    return out, float(rng.random())


@pytest.mark.parametrize(("n", "k", "spread"), [
    (1000, 10, 20.0),    # softmax at a low temperature: a sharp head
    (1000, 10, 0.5),     # nearly uniform: keys spread over the whole catalogue
    (300, 5, 3.0),
    (40, 10, 2.0),       # too few candidates for a threshold: every key computed
    (2000, 50, 8.0),
])
def test_the_same_slates_and_the_same_stream_as_gumbel_noise_on_every_logit(
        n: int, k: int, spread: float) -> None:
    logits = floored(np.random.default_rng(n).normal(0.0, spread, n))
    for seed in range(3):
        lazy, next_lazy = _lazy(logits, 400, k, seed)
        full, next_full = _full(logits, 400, k, seed)
        np.testing.assert_array_equal(lazy, full)
        assert next_lazy == next_full  # the stream advanced by one value per candidate


def test_sessions_short_of_k_keys_above_the_threshold_are_drawn_in_full() -> None:
    logits = floored(np.random.default_rng(7).normal(0.0, 1.0, 2000))
    k = 10
    plan = gumbel_plan(logits, k)
    # the threshold puts about EXPECTED_ABOVE keys above it
    expected = (-np.expm1(-np.exp(logits - plan.x))).sum()
    assert expected == pytest.approx(max(EXPECTED_ABOVE, 2.5 * k), rel=0.03)
    # a higher threshold (about 11 keys above it) leaves many sessions short of k: they
    # must still equal the full draw
    x = plan.x + 0.8
    high = GumbelPlan(logits, x, -np.expm1(-np.exp(logits - x + MARGIN * abs(x))))
    r = np.random.default_rng(0).random((2000, logits.size))
    keys = logits - np.log(-np.log(1.0 - r))
    assert ((keys > x).sum(axis=1) < k).mean() > 0.1
    lazy = gumbel_top_k(np.random.default_rng(0), high, 2000, k)
    full, _ = _full(logits, 2000, k, 0)
    np.testing.assert_array_equal(lazy, full)


def test_large_logits_keep_the_same_slates() -> None:
    """Logits far from 0 (scores near the temperature's limit): the margin still holds."""
    logits = floored(1e6 + np.random.default_rng(3).normal(0.0, 5.0, 800))
    lazy, _ = _lazy(logits, 300, 10, 1)
    full, _ = _full(logits, 300, 10, 1)
    np.testing.assert_array_equal(lazy, full)


def test_the_draws_follow_the_exact_plackett_luce_marginals() -> None:
    logits = floored(np.random.default_rng(11).normal(0.0, 2.0, 200))
    k, sessions = 3, 40_000
    out = gumbel_top_k(np.random.default_rng(5), gumbel_plan(logits, k), sessions, k)
    exact = plackett_luce_marginals(logits[None, :], k)[0]
    for rank in range(k):
        freq = np.bincount(out[:, rank], minlength=logits.size) / sessions
        sd = np.sqrt(exact[:, rank] * (1 - exact[:, rank]) / sessions)
        assert np.all(np.abs(freq - exact[:, rank]) <= 5 * sd + 1e-4)
