"""Concentration metrics checked against their definitions on hand-made arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.metrics.concentration import (
    coverage,
    gini,
    lorenz_curve,
    normalized_entropy,
    top_share,
)

counts = arrays(np.int64, st.integers(1, 60), elements=st.integers(0, 1_000))


def gini_by_mean_difference(x: np.ndarray) -> float:
    """Textbook form: sum_ij |x_i - x_j| / (2 n^2 mean)."""
    x = np.asarray(x, dtype=float)
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean()))


# -- gini -------------------------------------------------------------------------------


def test_gini_of_equal_shares_is_zero() -> None:
    assert gini(np.full(7, 3)) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("n", [1, 2, 5, 1000])
def test_gini_of_one_holder_is_one_minus_one_over_n(n: int) -> None:
    x = np.zeros(n)
    x[n // 2] = 42
    assert gini(x) == pytest.approx(1 - 1 / n, abs=1e-15)


def test_gini_hand_computed() -> None:
    # coefficients (2i - n - 1) = -3, -1, 1, 3: (-3 - 2 + 3 + 12) / (4 * 10) = 0.25
    assert gini(np.array([4, 1, 3, 2])) == pytest.approx(0.25, abs=1e-15)


def test_gini_matches_mean_difference_form() -> None:
    x = np.random.default_rng(0).integers(0, 50, size=200)
    assert gini(x) == pytest.approx(gini_by_mean_difference(x), abs=1e-12)


def test_gini_degenerate_inputs_are_zero() -> None:
    assert gini(np.zeros(0)) == 0.0
    assert gini(np.zeros(5, dtype=np.int64)) == 0.0


def test_gini_accepts_any_numeric_dtype() -> None:
    x = [0, 1, 5, 5]
    expected = gini(np.array(x, dtype=np.float64))
    for dtype in (np.int32, np.uint16, np.float32, np.int64):
        assert gini(np.array(x, dtype=dtype)) == pytest.approx(expected, abs=1e-15)


def test_gini_rejects_negative_and_2d() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        gini(np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="1-D"):
        gini(np.ones((2, 2)))


@given(counts)
def test_gini_is_bounded(x: np.ndarray) -> None:
    g = gini(x)
    assert 0.0 <= g <= 1 - 1 / x.size + 1e-12


@given(counts, st.integers(0, 2**32 - 1), st.floats(1e-3, 1e3))
def test_gini_invariant_to_permutation_and_scaling(x: np.ndarray, seed: int, c: float) -> None:
    g = gini(x)
    assert gini(np.random.default_rng(seed).permutation(x)) == pytest.approx(g, abs=1e-12)
    assert gini(c * x) == pytest.approx(g, abs=1e-12)


# -- normalized entropy -----------------------------------------------------------------


def test_entropy_of_uniform_is_one() -> None:
    assert normalized_entropy(np.full(10, 4)) == pytest.approx(1.0, abs=1e-15)


def test_entropy_of_one_holder_is_zero() -> None:
    assert normalized_entropy(np.array([0, 0, 9, 0])) == 0.0


def test_entropy_hand_computed() -> None:
    # shares 1/2, 1/4, 1/4, 0: H = 1.5 log 2, n = 4 -> 1.5 log 2 / log 4 = 0.75
    assert normalized_entropy(np.array([2, 1, 1, 0])) == pytest.approx(0.75, abs=1e-15)


def test_entropy_edge_cases() -> None:
    assert math.isnan(normalized_entropy(np.zeros(3)))
    assert math.isnan(normalized_entropy(np.zeros(0)))
    assert normalized_entropy(np.array([5.0])) == 0.0


@given(st.integers(2, 500), st.integers(1, 10**6))
def test_entropy_is_maximal_for_uniform(n: int, value: int) -> None:
    assert normalized_entropy(np.full(n, value)) == pytest.approx(1.0, abs=1e-12)


@given(counts.filter(lambda x: x.sum() > 0))
def test_entropy_is_bounded(x: np.ndarray) -> None:
    assert 0.0 <= normalized_entropy(x) <= 1.0


# -- top share --------------------------------------------------------------------------


def test_top_share_hand_computed() -> None:
    x = np.arange(1, 11)  # total 55; top 10% = {10}; top 30% = {10, 9, 8}
    assert top_share(x) == pytest.approx(10 / 55)
    assert top_share(x, 0.3) == pytest.approx(27 / 55)


def test_top_share_rounds_the_count_up_but_not_rounding_noise() -> None:
    x = np.arange(1, 31)  # 0.1 * 30 = 3.0000000000000004 in floating point: keep 3 items
    assert top_share(x, 0.1) == pytest.approx((30 + 29 + 28) / x.sum())
    assert top_share(np.arange(1, 6), 0.1) == pytest.approx(5 / 15)  # ceil(0.5) = 1


def test_top_share_edge_cases() -> None:
    assert math.isnan(top_share(np.zeros(4)))
    assert math.isnan(top_share(np.zeros(0)))
    assert top_share(np.full(10, 2.0), 1.0) == pytest.approx(1.0)
    assert top_share(np.full(10, 2.0), 0.5) == pytest.approx(0.5)


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5, float("nan")])
def test_top_share_rejects_bad_fraction(fraction: float) -> None:
    with pytest.raises(ConfigError, match="fraction"):
        top_share(np.ones(3), fraction)


# -- coverage ---------------------------------------------------------------------------


def test_coverage() -> None:
    assert coverage(np.array([0, 3, 0, 1])) == 0.5
    assert coverage(np.zeros(3)) == 0.0
    assert coverage(np.ones(3)) == 1.0
    assert math.isnan(coverage(np.zeros(0)))


# -- lorenz curve -----------------------------------------------------------------------


def test_lorenz_curve_hand_computed() -> None:
    pop, val = lorenz_curve(np.array([3, 1, 0, 4]))
    np.testing.assert_allclose(pop, [0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(val, [0, 0, 1 / 8, 4 / 8, 1.0])


def test_lorenz_curve_edge_cases() -> None:
    pop, val = lorenz_curve(np.zeros(4))
    np.testing.assert_array_equal(pop, val)
    pop, val = lorenz_curve(np.zeros(0))
    np.testing.assert_array_equal(pop, [0.0])
    np.testing.assert_array_equal(val, [0.0])


@given(counts.filter(lambda x: x.sum() > 0))
def test_gini_is_one_minus_twice_the_area_under_lorenz(x: np.ndarray) -> None:
    pop, val = lorenz_curve(x)
    area = float(np.sum(np.diff(pop) * (val[1:] + val[:-1]) / 2))
    assert gini(x) == pytest.approx(1 - 2 * area, abs=1e-12)
    assert np.all(np.diff(val) >= 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_concentration_sorted_once_equals_the_functions_bit_for_bit(seed: int) -> None:
    from loopsim.simulator.metrics.concentration import (
        Concentration,
        coverage,
        gini,
        normalized_entropy,
        top_share,
    )

    rng = np.random.default_rng(seed)
    x = rng.poisson(rng.pareto(1.0, 1_000)).astype(np.int64)  # many ties and zeros
    c = Concentration(x)
    assert c.gini() == gini(x)
    assert c.normalized_entropy() == normalized_entropy(x)
    assert c.top_share(0.1) == top_share(x, 0.1)
    assert c.coverage() == coverage(x)
    given = Concentration(x, np.sort(x.astype(np.float64)))
    assert given.gini() == gini(x) and given.top_share(0.3) == top_share(x, 0.3)


def test_concentration_of_nothing() -> None:
    from loopsim.simulator.metrics.concentration import Concentration

    c = Concentration(np.zeros(4))
    assert c.gini() == 0.0 and math.isnan(c.top_share()) and math.isnan(c.normalized_entropy())
    assert math.isnan(Concentration(np.zeros(0)).coverage())
    with pytest.raises(ValueError, match="non-negative"):
        Concentration(np.array([1.0, -1.0]))
