"""The MLP head of a factor model: its gradients, its start as the dot head, its fit."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies.pipeline import FactorUpstream
from loopsim.policies.pipeline.mlp_head import MLPHead, fit_mlp_factors

from tests.policies.pipeline.test_learned_pipeline import feedback


def test_the_head_starts_as_the_dot_head() -> None:
    z = np.random.default_rng(0).standard_normal((7, 3))
    head = MLPHead(3, (5, 4), np.random.default_rng(1))
    np.testing.assert_allclose(head(z), z.sum(axis=1), atol=1e-12)


def test_backward_matches_finite_differences() -> None:
    rng = np.random.default_rng(2)
    head = MLPHead(3, (6, 4), rng)
    for p in head.params():  # away from the start, every layer in use
        p += 0.3 * rng.standard_normal(p.shape)
    z = rng.standard_normal((9, 3))
    g = rng.standard_normal(9)
    h, acts = head.forward(z)
    grads, dz = head.backward(acts, g)
    eps = 1e-6
    for p, grad in zip(head.params(), grads, strict=True):
        flat, gflat = p.reshape(-1), grad.reshape(-1)
        for j in range(0, flat.size, max(1, flat.size // 5)):
            old = flat[j]
            flat[j] = old + eps
            up = float(g @ head(z))
            flat[j] = old - eps
            down = float(g @ head(z))
            flat[j] = old
            assert gflat[j] == pytest.approx((up - down) / (2 * eps), abs=1e-5)
    for b, j in ((0, 0), (4, 1), (8, 2)):
        step = np.zeros_like(z)
        step[b, j] = eps
        num = (g @ head(z + step) - g @ head(z - step)) / (2 * eps)
        assert dz[b, j] == pytest.approx(float(num), abs=1e-5)


def test_adam_lowers_the_loss_and_updates_the_tables_in_place() -> None:
    rng = np.random.default_rng(3)
    users, items = rng.integers(0, 20, 400), rng.integers(0, 15, 400)
    target = (rng.random(400) < 0.4).astype(float)
    tables = {"u": 0.1 * rng.standard_normal((20, 2)), "v": 0.1 * rng.standard_normal((15, 2)),
              "user_bias": np.zeros(20), "item_bias": np.zeros(15)}
    u0 = tables["u"]
    head = MLPHead(2, (4,), rng)
    weight = np.ones(400)

    def loss() -> float:
        pred = (0.4 + tables["user_bias"][users] + tables["item_bias"][items]
                + head(tables["u"][users] * tables["v"][items]))
        return float(((pred - target) ** 2).mean())
    before = loss()
    state = fit_mlp_factors(head, tables, users, items, target, weight, 0.4, 0.01, 100, 0.02)
    after = loss()
    assert after < before - 0.005
    assert tables["u"] is u0  # in place
    assert state["t"][0].sum() == 100.0


def step_taste(rng: np.random.Generator, n_users: int = 80, n_items: int = 60,
               rows: int = 40_000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """p(u, i) = 0.15 + 0.6 * [a_u c_i > 0.25]: a step of a rank-1 product, not linear in it."""
    a, c = rng.uniform(-1, 1, n_users), rng.uniform(-1, 1, n_items)
    p = 0.15 + 0.6 * (a[:, None] * c[None, :] > 0.25)
    users, items = rng.integers(0, n_users, rows), rng.integers(0, n_items, rows)
    return users, items, rng.random(rows) < p[users, items], p


def test_mlp_head_fits_a_step_of_a_product_that_the_dot_head_cannot() -> None:
    """One factor: the dot head is linear in U_u V_i; the mlp head bends it into a step."""
    users, items, clicks, p = step_taste(np.random.default_rng(4))
    errors = {}
    for head in ("dot", "mlp"):
        up = FactorUpstream(n_factors=1, regularization=0.1, iterations=4, head=head,
                            hidden=[8], head_steps=300, learning_rate=0.05)
        up.use_policy_stream(np.random.default_rng(5))
        for s in range(0, users.size, 10_000):
            up.update(feedback(users[s:s + 10_000], items[s:s + 10_000],
                               clicks[s:s + 10_000]))
        pred = up.pair_scores(np.arange(80), np.broadcast_to(np.arange(60), (80, 60)))
        errors[head] = float(((pred - p) ** 2).mean())
    assert errors["mlp"] < 0.7 * errors["dot"], errors


def test_mlp_upstream_is_reproducible_from_its_stream() -> None:
    users, items, clicks, _ = step_taste(np.random.default_rng(6), rows=3_000)

    def fitted(seed: int) -> np.ndarray:
        up = FactorUpstream(n_factors=2, head="mlp", hidden=[4], head_steps=20)
        up.use_policy_stream(np.random.default_rng(seed))
        up.update(feedback(users, items, clicks))
        return up.pair_scores(np.arange(5), np.broadcast_to(np.arange(6), (5, 6)))
    np.testing.assert_array_equal(fitted(7), fitted(7))
    assert not np.allclose(fitted(7), fitted(8))


def test_a_head_only_fit_leaves_the_factors_and_biases_alone() -> None:
    rng = np.random.default_rng(9)
    users, items = rng.integers(0, 20, 400), rng.integers(0, 15, 400)
    target = (rng.random(400) < 0.4).astype(float)
    tables = {"u": 0.3 * rng.standard_normal((20, 2)), "v": 0.3 * rng.standard_normal((15, 2)),
              "user_bias": 0.1 * rng.standard_normal(20), "item_bias": np.zeros(15)}
    copies = {k: v.copy() for k, v in tables.items()}
    head = MLPHead(2, (4,), rng)
    skip = head.skip.copy()
    fit_mlp_factors(head, tables, users, items, target, np.ones(400), 0.4, 0.01, 50, 0.02,
                    train_factors=False)
    for k, v in tables.items():
        np.testing.assert_array_equal(v, copies[k])
    assert not np.allclose(head.skip, skip)


def test_the_als_fit_of_the_mlp_head_fits_a_step_the_dot_head_cannot() -> None:
    """mlp_fit: als (ALS on the factors, then the head alone) beats the dot head too."""
    users, items, clicks, p = step_taste(np.random.default_rng(4))
    errors = {}
    for head in ("dot", "mlp"):
        up = FactorUpstream(n_factors=1, regularization=0.1, iterations=4, head=head,
                            hidden=[8], head_steps=300, learning_rate=0.05, mlp_fit="als")
        up.use_policy_stream(np.random.default_rng(5))
        for s in range(0, users.size, 10_000):
            up.update(feedback(users[s:s + 10_000], items[s:s + 10_000],
                               clicks[s:s + 10_000]))
        pred = up.pair_scores(np.arange(80), np.broadcast_to(np.arange(60), (80, 60)))
        errors[head] = float(((pred - p) ** 2).mean())
    assert errors["mlp"] < 0.85 * errors["dot"], errors  # measured 0.75x


def test_an_unknown_mlp_fit_is_refused() -> None:
    users, items, clicks, _ = step_taste(np.random.default_rng(6), rows=300)
    up = FactorUpstream(n_factors=2, head="mlp", mlp_fit="lbfgs")
    with pytest.raises(Exception, match="mlp_fit == 'lbfgs'"):
        up.update(feedback(users, items, clicks))
