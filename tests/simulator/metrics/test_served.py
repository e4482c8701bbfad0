"""Served-quality metrics against their definitions on hand-made slates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.metrics.served import dcg, ndcg, top_k_values


def test_dcg_hand_computed() -> None:
    gains = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 2.0], [3.0, 0.0, 0.0]])
    expected = [1 + 1 / math.log2(3) + 1 / math.log2(4), 2 / math.log2(4), 3.0]
    np.testing.assert_allclose(dcg(gains), expected, rtol=1e-15)


def test_dcg_of_empty_slates() -> None:
    np.testing.assert_array_equal(dcg(np.zeros((4, 0))), np.zeros(4))
    assert dcg(np.zeros((0, 3))).shape == (0,)


def test_ndcg_of_ideal_slate_is_one() -> None:
    relevance = np.random.default_rng(0).random((5, 30))
    ideal = top_k_values(relevance, 4)
    np.testing.assert_array_equal(ndcg(ideal, ideal), np.ones(5))


def test_ndcg_of_reversed_slate_is_below_one() -> None:
    ideal = np.array([[0.9, 0.5, 0.2]])
    value = ndcg(ideal[:, ::-1], ideal)
    assert value[0] < 1.0
    # (0.2 + 0.5/log2 3 + 0.9/2) / (0.9 + 0.5/log2 3 + 0.2/2)
    d = 1 / math.log2(3)
    assert value[0] == pytest.approx((0.2 + 0.5 * d + 0.45) / (0.9 + 0.5 * d + 0.1), rel=1e-14)


def test_ndcg_rows_without_relevant_candidates() -> None:
    served = np.array([[0.0, 0.0], [0.5, 0.0], [0.1, 0.2]])
    ideal = np.array([[0.0, 0.0], [0.0, 0.0], [0.2, 0.1]])
    out = ndcg(served, ideal)
    assert out[0] == 1.0  # nothing relevant to serve: nothing lost
    assert math.isnan(out[1])  # "ideal" worse than served: inconsistent input
    assert 0 < out[2] < 1


def test_ndcg_accepts_a_broadcast_ideal() -> None:
    row = np.array([0.8, 0.4])
    ideal = np.broadcast_to(row, (3, 2))
    served = np.array([[0.8, 0.4], [0.4, 0.8], [0.0, 0.0]])
    out = ndcg(served, ideal)
    assert out[0] == 1.0 and 0 < out[1] < 1 and out[2] == 0.0


def test_ndcg_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="same"):
        ndcg(np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="2-D"):
        ndcg(np.ones(3), np.ones(3))


def test_top_k_values_matches_full_sort() -> None:
    m = np.random.default_rng(1).random((6, 25))
    np.testing.assert_array_equal(top_k_values(m, 5), -np.sort(-m, axis=1)[:, :5])


def test_top_k_values_with_ties_and_clipping() -> None:
    m = np.array([[1.0, 3.0, 3.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(top_k_values(m, 3), [[3, 3, 2], [0, 0, 0]])
    assert top_k_values(m, 10).shape == (2, 4)
    assert top_k_values(m, 0).shape == (2, 0)


def test_top_k_values_rejects_bad_k() -> None:
    with pytest.raises(ConfigError, match="`k == -1`"):
        top_k_values(np.ones((2, 2)), -1)
