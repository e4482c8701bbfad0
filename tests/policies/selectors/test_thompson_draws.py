"""Thompson slates drawn lazily: the same slates as inverting every value, the exact law."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies.selectors import thompson_draws
from loopsim.policies.selectors.thompson_draws import draw_plan, draw_top_k
from loopsim.policies.selectors.thompson_marginals import thompson_marginals
from loopsim.policies.selectors.topk import top_k_rows
from scipy import special


def _posterior(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A catalogue mixing well-known items (narrow) and new ones (wide), some near 0.5."""
    rng = np.random.default_rng(seed)
    mean = rng.beta(2.0, 5.0, n)
    strength = np.where(rng.random(n) < 0.3, rng.uniform(2, 10, n), rng.uniform(50, 2000, n))
    return mean * strength + 0.5, (1 - mean) * strength + 0.5


def _inverted_everywhere(seed: int, alpha: np.ndarray, beta: np.ndarray, sessions: int,
                         k: int) -> np.ndarray:
    """The slates from the same random stream, every tail value computed by inversion."""
    plan = draw_plan(alpha, beta, k)
    rng = np.random.default_rng(seed)
    head = rng.beta(alpha[plan.head], beta[plan.head], size=(sessions, plan.head.size))
    u = rng.random((sessions, plan.tail.size))
    tail = 1.0 - special.betaincinv(beta[plan.tail], alpha[plan.tail], u)
    values = np.concatenate([head, tail], axis=1)
    return np.concatenate([plan.head, plan.tail])[top_k_rows(values, k)]


@pytest.mark.parametrize("expected_above", [25.0, 4.0])  # 4: many sessions fall short
def test_lazy_slates_equal_inverting_every_value(expected_above: float,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(thompson_draws, "EXPECTED_ABOVE", expected_above)
    alpha, beta = _posterior(400)
    k = 2 if expected_above < 10 else 10
    plan = draw_plan(alpha, beta, k)
    assert 0 < plan.head.size < 400 and plan.x > 0
    lazy = draw_top_k(np.random.default_rng(5), plan, 2000, k)
    assert np.array_equal(lazy, _inverted_everywhere(5, alpha, beta, 2000, k))


def test_short_sessions_are_exercised(monkeypatch: pytest.MonkeyPatch) -> None:
    """With few values expected above the threshold, some sessions fall short of k."""
    monkeypatch.setattr(thompson_draws, "EXPECTED_ABOVE", 4.0)
    alpha, beta = _posterior(400)
    plan = draw_plan(alpha, beta, 2)
    rng = np.random.default_rng(5)
    head = rng.beta(alpha[plan.head], beta[plan.head], size=(2000, plan.head.size))
    above = (head > plan.x).sum(axis=1) + (rng.random((2000, plan.tail.size))
                                           < plan.q_tail).sum(axis=1)
    assert (above < 2).sum() >= 5


def test_the_slates_follow_the_exact_marginals() -> None:
    """Empirical P(item at rank) over 40,000 sessions against the exact quadrature."""
    alpha, beta = _posterior(300, seed=2)
    k, sessions = 5, 40_000
    plan = draw_plan(alpha, beta, k)
    idx = draw_top_k(np.random.default_rng(3), plan, sessions, k)
    counts = np.zeros((alpha.size, k))
    np.add.at(counts, (idx, np.arange(k)), 1.0)
    exact = thompson_marginals(alpha, beta, k)
    cells = exact > 1e-3
    z = (counts / sessions - exact)[cells] / np.sqrt(exact * (1 - exact) / sessions)[cells]
    assert cells.sum() > 50
    assert np.mean(z ** 2) < 1.3 and np.abs(z).max() < 5.0


def test_a_small_catalogue_is_drawn_in_full() -> None:
    alpha, beta = np.array([2.0, 3.0, 5.0, 1.5]), np.array([5.0, 3.0, 2.0, 1.5])
    plan = draw_plan(alpha, beta, 2)
    assert plan.tail.size == 0
    idx = draw_top_k(np.random.default_rng(0), plan, 100, 2)
    assert idx.shape == (100, 2) and (idx[:, 0] != idx[:, 1]).all()
