"""GuidedSearch must equal np.searchsorted(side="right") exactly, boundaries included."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator.loop.user_sampler import MIN_GUIDED, GuidedSearch


@pytest.mark.parametrize("seed", range(20))
def test_equals_searchsorted_on_random_and_boundary_draws(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(MIN_GUIDED, 20_000))
    rates = np.exp(rng.uniform(0, 3) * rng.standard_normal(n))
    rates[rng.random(n) < 0.2] = 0.0  # zero-rate users: repeated cumulative values
    cum = np.cumsum(rates)
    draws = rng.random(3000) * cum[-1]
    draws[:50] = cum[rng.integers(0, n, 50)]  # exactly on boundaries
    draws[50:53] = [0.0, np.nextafter(cum[-1], 0.0), cum[-1]]
    expected = np.searchsorted(cum, draws, side="right")
    np.testing.assert_array_equal(GuidedSearch(cum)(draws), expected)


def test_small_inputs_fall_back_to_searchsorted() -> None:
    cum = np.cumsum(np.ones(10))
    draws = np.array([0.0, 0.5, 1.0, 9.99, 10.0])
    np.testing.assert_array_equal(GuidedSearch(cum)(draws), [0, 0, 1, 9, 10])


@pytest.mark.parametrize("seed", range(5))
def test_equals_searchsorted_at_slot_starts_and_past_the_total(seed: int) -> None:
    # Draws at the guide table's slot starts (and one ulp either side), where rounding
    # of the slot's computation could put a draw below its slot's bound.
    rng = np.random.default_rng(seed)
    n = int(rng.integers(MIN_GUIDED, 20_000))
    cum = np.cumsum(rng.exponential(1.0, n))
    starts = rng.integers(0, n + 1, 1000) * (cum[-1] / n)
    draws = np.concatenate([starts, np.nextafter(starts, 0.0), np.nextafter(starts, np.inf),
                            [cum[-1] * 1.5]])
    expected = np.searchsorted(cum, draws, side="right")
    np.testing.assert_array_equal(GuidedSearch(cum)(draws), expected)


def test_equals_searchsorted_with_leading_zeros_and_long_flat_runs() -> None:
    """Users of rate 0 first (cum starts with zeros: slot 0's entry is forced to 0) and
    long runs of them inside, with draws of exactly 0 and on every flat value."""
    rng = np.random.default_rng(7)
    rates = rng.exponential(1.0, 6000)
    rates[:300] = 0.0
    rates[2000:3500] = 0.0
    cum = np.cumsum(rates)
    draws = np.concatenate([np.zeros(5), np.unique(cum), rng.random(2000) * cum[-1]])
    expected = np.searchsorted(cum, draws, side="right")
    got = GuidedSearch(cum)(draws)
    np.testing.assert_array_equal(got, expected)
    assert got[0] == 300  # a draw of 0 skips the users who never come
