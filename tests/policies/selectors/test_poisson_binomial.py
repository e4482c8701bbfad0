"""Product-tree leave-one-out Poisson-binomial integrals and the Plackett-Luce marginals."""

from __future__ import annotations

import itertools

import loopsim.policies.selectors.poisson_binomial as pb
import numpy as np
import pytest
from loopsim.policies.selectors.softmax import plackett_luce_marginals


def _enumerate_pl(w: np.ndarray, k: int) -> np.ndarray:
    """``P(item at rank)`` by summing the probability of every ordered k-prefix."""
    out = np.zeros((w.size, k))
    for perm in itertools.permutations(range(w.size), k):
        p, left = 1.0, np.ones(w.size, dtype=bool)
        for i in perm:
            p *= w[i] / w[left].sum()  # not a running difference: weights span e^30
            left[i] = False
        for r, i in enumerate(perm):
            out[i, r] += p
    return out


def _direct_integrals(q: np.ndarray, density: np.ndarray, k: int) -> np.ndarray:
    """The definition: for each item, multiply the others' polynomials one by one."""
    r, n, nq = q.shape
    out = np.zeros((r, n, k))
    for i in range(n):
        poly = np.zeros((r, nq, k))
        poly[..., 0] = 1.0
        for j in range(n):
            if j != i:
                qj = q[:, j, :, None]
                shifted = np.concatenate([np.zeros((r, nq, 1)), poly[..., :-1]], axis=-1)
                poly = poly * (1.0 - qj) + shifted * qj
        out[:, i] = np.einsum("rqm,rq->rm", poly, density[:, i])
    return out


@pytest.mark.parametrize("logits", [
    [0.0, 0.0, 0.0, 1.0, 1.0, -2.0, 0.0],      # ties
    [0.0, -25.0, -25.0, 5.0, 0.5, 12.0],        # very unequal (some floored at max - 30)
    [3.0, 3.0, 3.0, 3.0, 3.0],                  # all equal: uniform
    [-40.0, 0.0, 0.0, -35.0, 20.0, 19.5, 1.0, 1.0],
])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_marginals_match_enumeration_with_ties_and_unequal_weights(logits: list[float],
                                                                   k: int) -> None:
    x = np.array(logits)
    w = np.exp(np.maximum(x, x.max() - 30.0))  # the sampled (floored) law
    exact = _enumerate_pl(w, min(k, x.size))
    got = plackett_luce_marginals(x[None], k)[0]
    np.testing.assert_allclose(got, np.maximum(exact, 1e-30), rtol=1e-8, atol=1e-10)


def test_marginals_of_several_rows_match_enumeration(rng: np.random.Generator) -> None:
    x = np.round(rng.normal(0.0, 4.0, (3, 7)))  # integer logits: ties within rows
    got = plackett_luce_marginals(x, 4)
    for row in range(3):
        np.testing.assert_allclose(got[row], _enumerate_pl(np.exp(x[row]), 4), atol=1e-10)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 37])
@pytest.mark.parametrize("block", [1 << 20, 64])
def test_rank_integrals_equal_the_direct_products(rng: np.random.Generator, n: int, block: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Any n (odd levels carried up), blocks of rows and nodes t, to rounding."""
    monkeypatch.setattr(pb, "BLOCK", block)
    q = rng.uniform(0.0, 1.0, (2, n, 9)) ** rng.uniform(0.1, 8.0, (2, n, 1))
    density = rng.uniform(0.0, 1.0, (2, n, 9))
    for k in sorted({1, 2, min(4, n), n}):
        np.testing.assert_allclose(pb.rank_integrals(q, density, k),
                                   _direct_integrals(q, density, k), rtol=1e-12, atol=1e-300)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240607)


@pytest.mark.parametrize("guard", [0.0, 1e-11, np.inf])
def test_deconvolution_guard_and_tree_fallback_equal_the_direct_products(
        rng: np.random.Generator, guard: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused items go to the tree on the product of the accepted ones: GUARD 0 refuses
    nearly every item, inf none (then only the left-out nodes q > 1/2 are missing, so
    q stays below 1/2 there)."""
    monkeypatch.setattr(pb, "GUARD", guard)
    n, k = 23, 5
    top = 0.45 if guard == np.inf else 1.0
    q = top * rng.uniform(0.0, 1.0, (2, n, 11)) ** rng.uniform(0.1, 8.0, (2, n, 1))
    density = rng.uniform(0.0, 1.0, (2, n, 11))
    want = _direct_integrals(q, density, k)
    np.testing.assert_allclose(pb.rank_integrals(q, density, k), want, rtol=1e-10,
                               atol=1e-300)


def test_heavy_items_go_to_the_tree_as_one_block(rng: np.random.Generator,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With a ``heavy`` mask covering the refused items, the same numbers; when refused
    items fall outside it, the general fallback still gives them."""
    calls: list[int] = []
    tree = pb._tree_integrals

    def spy(q: np.ndarray, *args: object) -> np.ndarray:
        calls.append(q.shape[1])
        return tree(q, *args)

    monkeypatch.setattr(pb, "_tree_integrals", spy)
    n, k = 40, 4
    q = rng.uniform(0.0, 0.05, (1, n, 13))
    q[:, :3] = rng.uniform(0.4, 0.99, (1, 3, 13))  # three items often above the others
    density = rng.uniform(0.0, 1.0, (1, n, 13))
    want = _direct_integrals(q, density, k)
    heavy = np.zeros(n, dtype=bool)
    heavy[:6] = True
    np.testing.assert_allclose(pb.rank_integrals(q, density, k, heavy=heavy), want,
                               rtol=1e-10)
    assert calls == [6]
    heavy[:] = False
    heavy[-2:] = True  # the wrong items
    np.testing.assert_allclose(pb.rank_integrals(q, density, k, heavy=heavy), want,
                               rtol=1e-10)
    assert 0 < calls[-1] < n
