"""Exact Thompson-sampling rank marginals against their definition and against sampling."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies.selectors.thompson_marginals import (
    TOLERANCE_ABS,
    TOLERANCE_REL,
    TOLERANCE_REL_STEEP,
    marginals_and_regime,
    thompson_marginals,
)
from loopsim.policies.selectors.topk import top_k_rows
from scipy import integrate, special


def _reference(alpha: np.ndarray, beta: np.ndarray, k: int) -> np.ndarray:
    """``P(i at rank r)`` by adaptive quadrature per item, ``betainc`` at every point and
    the Poisson-binomial by a plain sequential product (independent of the module).
    Above 1/2 the integral runs over ``y = 1 - x``, so densities singular at 1 are exact."""
    n = alpha.size
    mean = alpha / (alpha + beta)
    out = np.zeros((n, k))
    for i in range(n):
        def integrand(x: float, y: float, i: int) -> np.ndarray:
            q = special.betainc(beta, alpha, y)
            p = special.betainc(alpha, beta, x)
            c = np.zeros(k)
            c[0] = 1.0
            for j in range(n):
                if j != i:
                    c[1:] = c[1:] * p[j] + c[:-1] * q[j]
                    c[0] *= p[j]
            log_f = ((alpha[i] - 1) * np.log(x) + (beta[i] - 1) * np.log(y)
                     - special.betaln(alpha[i], beta[i]))
            return np.exp(log_f) * c
        cuts = np.unique(np.concatenate([[0.0, 0.5, 1.0], mean]))
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            if b <= 0.5:
                part = integrate.quad_vec(lambda x, i=i: integrand(x, 1.0 - x, i), a, b,
                                          epsrel=1e-11, epsabs=1e-300, limit=4000)[0]
            else:  # y = 1 - x from 1 - b to 1 - a
                part = integrate.quad_vec(lambda y, i=i: integrand(1.0 - y, y, i), 1.0 - b,
                                          1.0 - a, epsrel=1e-11, epsabs=1e-300, limit=4000)[0]
            out[i] += part
    return out


def _posteriors(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Means 0.1-0.7 with 3 to 20,000 pseudo-observations: wide and sharp posteriors."""
    strength = np.exp(rng.uniform(np.log(3.0), np.log(20000.0), n))
    mean = rng.uniform(0.1, 0.7, n)
    return mean * strength, (1.0 - mean) * strength


def _assert_within_tolerance(got: np.ndarray, want: np.ndarray,
                             rel: float = TOLERANCE_REL) -> None:
    excess = np.abs(got - want) / (rel * want + TOLERANCE_ABS)
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    assert excess.max() <= 1.0, (worst, got[worst], want[worst])


def test_identical_posteriors_give_every_item_every_rank_equally() -> None:
    p = thompson_marginals(np.full(50, 10.0), np.full(50, 10.0), 5)
    np.testing.assert_allclose(p, 1 / 50, rtol=1e-9)


def test_rank_columns_sum_to_one_and_values_are_probabilities() -> None:
    a, b = _posteriors(np.random.default_rng(3), 300)
    p = thompson_marginals(a, b, 10)
    assert p.shape == (300, 10)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-12)
    assert (p > 0).all() and (p.sum(axis=1) <= 1 + 1e-9).all()


def test_a_slate_of_the_whole_catalogue_orders_two_items_by_their_draws() -> None:
    """n = k = 2: P(item 0 first) = P(theta_0 > theta_1), computed apart."""
    a, b = np.array([3.0, 40.0]), np.array([5.0, 60.0])
    want = integrate.quad(lambda x: np.exp(special.xlogy(2.0, x) + special.xlog1py(4.0, -x)
                                           - special.betaln(3.0, 5.0))
                          * special.betainc(40.0, 60.0, x), 0, 1, epsabs=1e-14)[0]
    p = thompson_marginals(a, b, 2)
    assert p[0, 0] == pytest.approx(want, rel=1e-8)
    assert p[0, 1] == pytest.approx(1.0 - want, rel=1e-8)


@pytest.mark.slow
def test_equal_to_an_adaptive_quadrature_to_the_stated_tolerance() -> None:
    """Wide and sharp posteriors, marginals from ~0.5 down to ~1e-12 (~40 s)."""
    a, b = _posteriors(np.random.default_rng(1), 20)
    want = _reference(a, b, 4)
    assert want[want > 0].min() < 1e-8  # tiny marginals are part of the check
    _assert_within_tolerance(thompson_marginals(a, b, 4), want)


def test_equal_to_an_adaptive_quadrature_on_a_small_catalogue() -> None:
    a = np.array([2.0, 30.0, 400.0, 1.5, 900.0, 12.0])
    b = np.array([3.0, 50.0, 500.0, 4.0, 2000.0, 30.0])
    want = _reference(a, b, 3)
    assert want.min() < 1e-4
    _assert_within_tolerance(thompson_marginals(a, b, 3), want)


@pytest.mark.parametrize("k", [3, 6])
def test_densities_steep_at_0_or_1_are_integrated(k: int) -> None:
    """alpha or beta between 1 and 2 (a weak prior: infinite slope at an end): equal to
    the reference; k = n ranks the whole catalogue, so the mass near 0 counts too."""
    a = np.array([5.0, 1.2, 2.0, 30.0, 1.1, 12.0])
    b = np.array([1.3, 3.0, 2.5, 50.0, 1.05, 30.0])
    _assert_within_tolerance(thompson_marginals(a, b, k), _reference(a, b, k),
                             TOLERANCE_REL_STEEP)


def test_densities_singular_at_0_or_1_stay_probabilities() -> None:
    """alpha or beta below 1: outside the stated tolerance (the selector then declares
    its propensities approximate), but finite and within 10% of the reference."""
    a = np.array([5.0, 0.5, 2.0, 30.0, 0.8, 12.0])
    b = np.array([0.4, 3.0, 2.5, 50.0, 0.7, 30.0])
    p = thompson_marginals(a, b, 3)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(p, _reference(a, b, 3), rtol=0.1, atol=1e-6)
    assert marginals_and_regime(a, b, 3)[1]  # integrated up to a singular end


@pytest.mark.slow
def test_a_singular_end_outside_the_integrated_range_keeps_the_tolerance() -> None:
    """(~60 s: the reference integrates 91 items adaptively.) An arriving item with
    alpha < 1 among sharp posteriors near 0.8: the range starts
    far above 0, its density is smooth there, and the stated tolerance holds."""
    rng = np.random.default_rng(3)
    mean = rng.uniform(0.75, 0.85, 90)
    a, b = np.append(mean * 400.0, 0.9), np.append((1.0 - mean) * 400.0, 3.0)
    p, singular = marginals_and_regime(a, b, 3)
    assert not singular
    _assert_within_tolerance(p, _reference(a, b, 3), TOLERANCE_REL)
    assert marginals_and_regime(np.array([0.5, 3.0]), np.array([2.0, 3.0]), 1)[1]


@pytest.mark.slow
def test_matches_monte_carlo_at_large_and_small_marginals() -> None:
    """800,000 posterior slates (~20 s): every marginal within 5 standard errors, including those
    far below 1/201 (the floor of the old Monte-Carlo propensities)."""
    rng = np.random.default_rng(7)
    a, b = _posteriors(rng, 25)
    k, draws = 4, 800_000
    counts = np.zeros((25, k))
    for _ in range(draws // 100_000):
        idx = top_k_rows(rng.beta(a, b, size=(100_000, 25)), k)
        np.add.at(counts, (idx, np.broadcast_to(np.arange(k), idx.shape)), 1.0)
    mc = counts / draws
    p = thompson_marginals(a, b, k)
    se = np.sqrt(p * (1 - p) / draws)
    assert ((p > 1e-5) & (p < 1 / 201)).any()  # small marginals are in the check
    assert (np.abs(mc - p) <= 5 * se + 1 / draws).all(), np.abs(mc - p) / se
