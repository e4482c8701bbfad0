"""One sort per side (``ordering`` / ``rank_metrics``): the same values as before, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.metrics.ranking import (
    _count_inversions,
    _tied_pairs,
    kendall_tau_b,
    ordering,
    precision_at_k,
    rank_metrics,
    spearman,
)


def _tau_unique(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall tau-b as computed before the shared sort (np.unique on both sides)."""
    n = x.size
    _, ix, cx = np.unique(x, return_inverse=True, return_counts=True)
    uy, iy, cy = np.unique(y, return_inverse=True, return_counts=True)
    if cx.size == 1 or cy.size == 1:
        return math.nan
    joint = np.sort(ix.astype(np.int64) * uy.size + iy)
    joint_counts = np.diff(np.concatenate(([0], np.flatnonzero(np.diff(joint)) + 1, [n])))
    n0 = n * (n - 1) // 2
    n1, n2, n3 = _tied_pairs(cx), _tied_pairs(cy), _tied_pairs(joint_counts)
    c_minus_d = n0 - n1 - n2 + n3 - 2 * _count_inversions(joint % uy.size)
    return min(1.0, max(-1.0, c_minus_d / math.sqrt((n0 - n1) * (n0 - n2))))


def _ranks_argsort(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x)
    s = x[order]
    new = np.ones(x.size, dtype=bool)
    new[1:] = s[1:] != s[:-1]
    edges = np.append(np.flatnonzero(new), x.size)
    ranks = np.empty(x.size)
    ranks[order] = (0.5 * (edges[:-1] + edges[1:] + 1))[np.cumsum(new) - 1]
    return ranks


def _spearman_argsort(x: np.ndarray, y: np.ndarray) -> float:
    rx, ry = _ranks_argsort(x), _ranks_argsort(y)
    rx -= rx.mean()
    ry -= ry.mean()
    sxx, syy = float(rx @ rx), float(ry @ ry)
    if sxx == 0 or syy == 0:
        return math.nan
    return min(1.0, max(-1.0, float(rx @ ry) / math.sqrt(sxx * syy)))


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    out = []
    for n in (2, 3, 17, 200, 1500):
        value = rng.random(n)
        out.append((value, rng.poisson(3, n).astype(float)))  # many ties
        out.append((value, np.where(rng.random(n) < 0.01, 50.0, 0.0)))  # almost constant
        out.append((value, rng.random(n)))  # no ties
        out.append((np.round(value, 1), rng.integers(0, 4, n).astype(float)))  # ties in both
    return out


@pytest.mark.parametrize("k", [1, 10])
def test_rank_metrics_equal_the_array_functions_and_the_previous_code(k: int) -> None:
    for x, y in _cases():
        tau, rho, prec = rank_metrics(ordering(x), ordering(y), k)
        assert _same(tau, kendall_tau_b(x, y)) and _same(tau, _tau_unique(x, y))
        assert _same(rho, spearman(x, y)) and _same(rho, _spearman_argsort(x, y))
        assert _same(prec, precision_at_k(x, y, k))


def test_an_ordering_is_reusable_and_its_ranks_are_read_only() -> None:
    x = np.array([3.0, 1.0, 3.0, 2.0])
    o = ordering(x)
    np.testing.assert_array_equal(o.ranks, [3.5, 1, 3.5, 2])
    with pytest.raises(ValueError):
        o.ranks[0] = 0.0
    assert o.kth_largest(1) == 3.0 and o.kth_largest(4) == 1.0
    first = rank_metrics(o, ordering(np.array([1.0, 2.0, 3.0, 4.0])), 2)
    assert rank_metrics(o, ordering(np.array([1.0, 2.0, 3.0, 4.0])), 2) == first


def test_nan_empty_and_bad_inputs() -> None:
    nan3 = rank_metrics(ordering(np.array([1.0, np.nan])), ordering(np.array([1.0, 2.0])), 1)
    assert all(math.isnan(v) for v in nan3)
    tau, rho, prec = rank_metrics(ordering(np.array([1.0])), ordering(np.array([2.0])), 3)
    assert math.isnan(tau) and math.isnan(rho) and prec == 1.0
    assert all(math.isnan(v) for v in rank_metrics(ordering(np.zeros(0)), ordering(np.zeros(0)), 1))
    with pytest.raises(ValueError, match="same items"):
        rank_metrics(ordering(np.zeros(2)), ordering(np.zeros(3)), 1)
    with pytest.raises(ConfigError, match="k"):
        rank_metrics(ordering(np.zeros(2)), ordering(np.zeros(2)), 0)
    with pytest.raises(ValueError, match="1-D"):
        ordering(np.zeros((2, 2)))
