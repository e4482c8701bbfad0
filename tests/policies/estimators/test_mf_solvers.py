"""ALS half-sweeps: CSR row sums, CG on the clicked rows only, float32, the exact solver."""

from __future__ import annotations

import numpy as np
from loopsim.policies.estimators import ImplicitMF
from loopsim.policies.estimators.mf_solvers import ClickRows, conjugate_gradient, normal_equations
from loopsim.simulator.contract.batches import Feedback


def _pairs(seed: int = 0, rows: int = 60, cols: int = 40, nnz: int = 500
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    keys = np.unique(rng.integers(0, rows, nnz) * 1000 + rng.integers(0, cols, nnz))
    return keys // 1000, keys % 1000, rng.integers(1, 4, keys.size).astype(float)


def test_row_sums_are_the_sums_over_each_rows_pairs() -> None:
    r, c, w = _pairs()
    other = np.random.default_rng(1).standard_normal((40, 5))
    pairs = ClickRows.of(c, r % 40, w)  # unsorted rows: sorted by the constructor
    want = np.zeros((40, 5))
    np.add.at(want, c, w[:, None] * other[r % 40])
    np.testing.assert_allclose(pairs.sums(w[np.argsort(c, kind="stable")], other),
                               want[pairs.clicked], rtol=1e-12, atol=1e-12)
    assert np.array_equal(pairs.clicked, np.unique(c))


def test_many_cg_steps_reach_the_exact_solution_and_unclicked_rows_are_zero() -> None:
    r, c, w = _pairs()
    rng = np.random.default_rng(2)
    other, start = rng.standard_normal((40, 4)), rng.standard_normal((70, 4))
    pairs = ClickRows.of(r, c, w, presorted=True)
    exact = normal_equations(other, pairs, 70, 10.0, 0.1)
    cg = conjugate_gradient(other, pairs, start, 10.0, 0.1, steps=12)
    np.testing.assert_allclose(cg, exact, rtol=1e-6, atol=1e-8)
    unclicked = np.setdiff1d(np.arange(70), pairs.clicked)
    assert unclicked.size and np.all(cg[unclicked] == 0) and np.all(exact[unclicked] == 0)
    few = conjugate_gradient(other, pairs, start, 10.0, 0.1, steps=1)
    assert np.abs(few - exact).max() > 1e-6  # one step is not the solution: the test can fail


def _log(seed: int) -> Feedback:
    rng = np.random.default_rng(seed)
    n = 3000
    users, items = rng.integers(0, 200, n), rng.integers(0, 80, n)
    click = rng.random(n) < 0.3
    return Feedback(t=np.zeros(n), user=users, item=items, rank=np.ones(n, dtype=np.int16),
                    click=click, reward=click.astype(np.float32),
                    propensity=np.ones(n, dtype=np.float32))


def test_float32_factors_follow_float64_ones() -> None:
    a, b = ImplicitMF(init_seed=1), ImplicitMF(init_seed=1, dtype="float32")
    for seed in range(3):
        a.update(_log(seed))
        b.update(_log(seed))
    assert b._users.dtype == np.float32 and b._items.dtype == np.float32
    users, items = np.arange(200), np.arange(80)
    np.testing.assert_allclose(b.user_scores(users, items), a.user_scores(users, items),
                               atol=1e-4)
    assert b.user_factors(users).dtype == np.float32


def test_the_exact_solver_keeps_the_dtype() -> None:
    mf = ImplicitMF(init_seed=1, dtype="float32", solver="exact")
    mf.update(_log(0))
    assert mf._users.dtype == np.float32 and mf._items.dtype == np.float32
