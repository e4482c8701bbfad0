"""The sparse-row top k shared by the lazy samplers, against its dense definition."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies.selectors.topk import top_k_sparse_rows, true_positions


def dense_top_k(sessions: int, k: int, rows: np.ndarray, ids: np.ndarray,
                values: np.ndarray, head_ids: np.ndarray, head_values: np.ndarray,
                n_ids: int) -> list[list[int]]:
    """Each row's k largest, by a full (sessions x n_ids) matrix of -inf and entries."""
    full = np.full((sessions, n_ids), -np.inf)
    full[:, head_ids] = head_values
    full[rows, ids] = values
    return [list(np.argsort(-full[s], kind="stable")[:k]) for s in range(sessions)]


@pytest.mark.parametrize("n_head", [0, 3])
def test_each_rows_k_largest_of_its_head_and_its_entries(n_head: int) -> None:
    rng = np.random.default_rng(4)
    sessions, k, n_ids = 40, 4, 30
    head_ids = np.arange(n_head, dtype=np.int64)
    head_values = rng.random((sessions, n_head))
    mask = rng.random((sessions, n_ids - n_head)) < 0.3
    mask[:, :k] = True  # every row has at least k entries: no padding in the slate
    rows, cols = np.nonzero(mask)
    ids = cols + n_head
    values = rng.random(rows.size)
    got = top_k_sparse_rows(sessions, k, rows, ids, values, head_ids, head_values)
    want = dense_top_k(sessions, k, rows, ids, values, head_ids, head_values, n_ids)
    assert got.tolist() == want


def test_rows_without_entries_and_no_entries_at_all() -> None:
    rows = np.array([2, 2], dtype=np.int64)
    ids = np.array([7, 5], dtype=np.int64)
    got = top_k_sparse_rows(4, 2, rows, ids, np.array([0.1, 0.9]))
    assert got.shape == (4, 2)
    assert got[2].tolist() == [5, 7]  # best first
    empty = np.zeros(0, dtype=np.int64)
    assert top_k_sparse_rows(3, 2, empty, empty, np.zeros(0)).shape == (3, 2)


@pytest.mark.parametrize("shape", [(0, 5), (3, 0), (1, 1), (7, 13), (95, 1100)])
def test_true_positions_are_nonzero_of_the_mask(shape: tuple[int, int]) -> None:
    mask = np.random.default_rng(1).random(shape) < 0.05
    rows, cols = true_positions(mask)
    expected_rows, expected_cols = np.nonzero(mask)
    np.testing.assert_array_equal(rows, expected_rows)
    np.testing.assert_array_equal(cols, expected_cols)
