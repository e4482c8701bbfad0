"""Property tests that complete those next to each metric's definition tests.

Already covered there (not repeated): Gini bounds, permutation and scaling invariance;
Kendall symmetry and 1 on identical orders; entropy 1 on uniform exposure and at most 1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from loopsim.simulator.metrics.concentration import gini, normalized_entropy
from loopsim.simulator.metrics.ranking import kendall_tau_b

counts = arrays(np.int64, st.integers(2, 60), elements=st.integers(0, 1_000))


def paired(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 40))
    side = arrays(np.int64, n, elements=st.integers(0, 6))
    return draw(side), draw(side), draw(st.permutations(range(n)).map(np.array))


pairs_and_permutation = st.composite(paired)()


@given(counts.filter(lambda x: x.sum() > 0 and np.ptp(x) > 0))
def test_entropy_is_maximal_only_for_uniform_exposure(x: np.ndarray) -> None:
    assert normalized_entropy(x) < 1.0
    assert normalized_entropy(np.full(x.size, x.max())) == pytest.approx(1.0, abs=1e-12)


@given(counts.filter(lambda x: x.sum() > 0))
def test_gini_is_zero_exactly_when_shares_are_equal(x: np.ndarray) -> None:
    assert (gini(x) < 1e-12) == (np.ptp(x) == 0)


@given(counts, st.integers(1, 5))
def test_gini_of_a_replicated_population_is_unchanged(
    x: np.ndarray, times: int
) -> None:
    # The population replicated `times` times has the same Lorenz curve: same Gini.
    assert gini(np.tile(x, times)) == pytest.approx(gini(x), abs=1e-12)


@given(pairs_and_permutation)
def test_kendall_is_bounded_and_invariant_under_a_joint_permutation(
    case: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    x, y, perm = case
    tau = kendall_tau_b(x, y)
    if math.isnan(tau):
        assert np.ptp(x) == 0 or np.ptp(y) == 0
        return
    assert -1.0 - 1e-12 <= tau <= 1.0 + 1e-12
    assert kendall_tau_b(x[perm], y[perm]) == pytest.approx(tau, abs=1e-12)
    assert kendall_tau_b(x, -y) == pytest.approx(-tau, abs=1e-12)
