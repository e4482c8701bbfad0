"""RandTop-N, RandPair and Softmax: sampled frequencies match the exact propensities."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from loopsim.policies.selectors import RandPairSelector, RandTopNSelector, SoftmaxSelector
from loopsim.policies.selectors.softmax import plackett_luce_marginals
from loopsim.simulator.contract.batches import SlateRequest
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.component_schema import check_arguments


class _Fixed:
    """Global scores ``-id / 10``: item 0 is best."""

    personalized = False
    version = 0

    def scores(self, items: np.ndarray) -> np.ndarray:
        return -items / 10.0


class _Personal:
    """Per-user scores: user u prefers item (u + j) mod n in order j."""

    personalized = True
    version = 0

    def user_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return -((items[None, :] - users[:, None]) % items.size) / 10.0


def _request(rng: np.random.Generator, b: int, n: int, k: int, users=None) -> SlateRequest:
    users = np.zeros(b, dtype=np.int64) if users is None else users
    return SlateRequest(0.0, users, np.arange(n, dtype=np.int64), k, rng)


def _check_frequencies(items: np.ndarray, props: np.ndarray, n: int, atol: float) -> None:
    """Empirical P(item at rank) agrees with the logged propensity of every served pair."""
    k = items.shape[1]
    freq = np.stack([(items == i).mean(axis=0) for i in range(n)])
    served = freq[items, np.arange(k)]
    np.testing.assert_allclose(props, served, atol=atol)
    assert all(len(set(r)) == k for r in items[:300].tolist())


def _enumerate_pl(w: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((w.size, k))
    for perm in itertools.permutations(range(w.size), k):
        p, rest = 1.0, w.sum()
        for i in perm:
            p *= w[i] / rest
            rest -= w[i]
        for r, i in enumerate(perm):
            out[i, r] += p
    return out


@pytest.mark.parametrize(("n", "k"), [(12, 4), (3, 5)])
def test_rand_topn(rng: np.random.Generator, n: int, k: int) -> None:
    out = RandTopNSelector(n).select(_request(rng, 40_000, 8 if n < k else 15, k), _Fixed())
    _check_frequencies(out.items, out.propensities, 15, atol=0.01)
    if n < k:
        assert np.all(out.items[:, n:] == np.arange(n, k)) and np.all(out.propensities[:, n:] == 1)
    else:
        assert out.items.max() < n


def test_rand_pair(rng: np.random.Generator) -> None:
    out = RandPairSelector().select(_request(rng, 40_000, 20, 5), _Fixed())
    _check_frequencies(out.items, out.propensities, 20, atol=0.01)
    np.testing.assert_allclose(np.unique(out.propensities), [0.2, 0.8], rtol=1e-6)


def test_plackett_luce_marginals_match_enumeration(rng: np.random.Generator) -> None:
    for n, k, scale in [(5, 3, 1.0), (6, 4, 3.0), (6, 6, 0.5), (7, 3, 8.0)]:
        logits = rng.normal(0.0, scale, n)
        exact = _enumerate_pl(np.exp(logits), k)
        np.testing.assert_allclose(plackett_luce_marginals(logits[None], k)[0], exact,
                                   atol=1e-9)


def test_softmax_frequencies_global_and_personal(rng: np.random.Generator) -> None:
    sel = SoftmaxSelector(temperature=0.1)
    out = sel.select(_request(rng, 40_000, 8, 3), _Fixed())
    _check_frequencies(out.items, out.propensities, 8, atol=0.01)
    users = np.zeros(20_000, dtype=np.int64)
    users[10_000:] = 3
    out = sel.select(_request(rng, 20_000, 8, 3, users), _Personal())
    _check_frequencies(out.items[:10_000], out.propensities[:10_000], 8, atol=0.015)
    _check_frequencies(out.items[10_000:], out.propensities[10_000:], 8, atol=0.015)


def test_softmax_temperature_limits(rng: np.random.Generator) -> None:
    hot = SoftmaxSelector(1e6).select(_request(rng, 10, 50, 5), _Fixed())
    np.testing.assert_allclose(hot.propensities, 1 / 50, rtol=1e-4)
    cold = SoftmaxSelector(0.02).select(_request(rng, 10, 50, 5), _Fixed())
    assert np.all(cold.items[:, 0] == 0) and np.all(cold.propensities[:, 0] > 0.99)
    frozen = SoftmaxSelector(1e-6).select(_request(rng, 10, 50, 5), _Fixed())
    assert np.all(frozen.items[:, 0] == 0) and np.all(frozen.propensities > 0)
    with pytest.raises(ConfigError, match=r"policy.selector.temperature == 0.*> 0"):
        check_arguments(SoftmaxSelector, {"temperature": 0}, "policy.selector.")
    with pytest.raises(ConfigError, match=r"policy.selector.n == 0"):
        check_arguments(RandTopNSelector, {"n": 0}, "policy.selector.")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(3)
