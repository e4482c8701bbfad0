"""The error decomposition of a learned pipeline (Wu et al. 2021), on hand-made arrays."""

from __future__ import annotations

import numpy as np
from loopsim.simulator import PositionBasedModel
from loopsim.simulator.metrics.decomposition import quadratic_features, wu_terms

PBM = PositionBasedModel(eta=1.0)  # examination 1, 1/2, 1/3, ...


def test_quadratic_features_hold_every_product_of_two_columns() -> None:
    x = np.array([[1.0, 2.0, 3.0]])
    q = quadratic_features(x)
    assert q.shape == (1, 3 + 6)
    np.testing.assert_allclose(q[0], [1, 2, 3, 1, 2, 3, 4, 6, 9])


def test_terms_on_a_hand_made_pool() -> None:
    """Relevance [0.1, 0.4, 0.3, 0.2]; catalogue best 0.9 then 0.8; k = 2."""
    rel = np.array([[0.1, 0.4, 0.3, 0.2]])
    best_catalogue = np.array([0.9 + 0.8 / 2])
    outputs = np.stack([np.ones(4), rel[0]], axis=1)[None]   # the upstream knows relevance
    features = np.ones((1, 4, 1))                           # the ranker sees a constant
    served = np.array([0.1 + 0.4 / 2])                      # served items 0 then 1
    t = wu_terms(best_catalogue, rel, outputs, features, served, PBM, k=2)
    best_pool = 0.4 + 0.3 / 2
    first_two = 0.1 + 0.4 / 2  # a constant fit keeps the pool's order
    np.testing.assert_allclose(t["upstream"], best_catalogue - best_pool)
    np.testing.assert_allclose(t["approximation"], best_pool - first_two)
    np.testing.assert_allclose(t["estimation"], first_two - served, atol=1e-12)
    np.testing.assert_allclose(t["excess"], best_catalogue - served)


def test_terms_sum_to_the_excess_regret() -> None:
    rng = np.random.default_rng(0)
    s, n, k = 20, 12, 4
    rel = rng.random((s, n))
    best = PBM.best_expected_clicks(np.sort(rel, axis=1)[:, ::-1][:, :k]) + rng.random(s)
    served = PBM.expected_clicks(rel[:, :k])
    t = wu_terms(best, rel, rng.standard_normal((s, n, 5)), rng.standard_normal((s, n, 3)),
                 served, PBM, k)
    np.testing.assert_allclose(t["upstream"] + t["approximation"] + t["estimation"],
                               t["excess"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t["excess"], best - served)


def test_a_bilinear_truth_is_in_the_flexible_class_not_in_a_linear_one() -> None:
    """Relevance u . v: quadratic in the towers [1, u, v], not linear in them."""
    rng = np.random.default_rng(1)
    s, n, f, k = 30, 20, 3, 3
    u = rng.standard_normal((s, 1, f)).repeat(n, axis=1)
    v = rng.standard_normal((s, n, f))
    rel = (u * v).sum(axis=2)
    towers = np.concatenate([np.ones((s, n, 1)), u, v], axis=2)
    best = PBM.best_expected_clicks(np.sort(rel, axis=1)[:, ::-1][:, :k])
    t = wu_terms(best, rel, towers, towers, best, PBM, k)
    np.testing.assert_allclose(t["upstream"], 0.0, atol=1e-8)  # the pool is the catalogue
    assert t["approximation"].mean() > 0.1                     # linear towers cannot
    elementwise = np.concatenate([np.ones((s, n, 1)), u * v], axis=2)
    t = wu_terms(best, rel, towers, elementwise, best, PBM, k)
    np.testing.assert_allclose(t["approximation"], 0.0, atol=1e-8)  # u * v can
