"""Epsilon-greedy: exact propensities, the greedy (eps=0) and random (eps=1) limits."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies import Random
from loopsim.policies.selectors.epsilon_greedy import EpsilonGreedySelector, epsilon_greedy_table
from loopsim.simulator.contract.batches import SlateRequest

from tests.builtins import make_policy
from tests.policies.policy_sim import Recorder, simulate


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def _enumerate(n: int, k: int, eps: float) -> np.ndarray:
    """P(item at rank) by walking every branch of the process (greedy order 0..n-1)."""
    acc = np.zeros((n, k))

    def walk(slate: list[int], p: float) -> None:
        r = len(slate)
        if r == k:
            return
        free = [i for i in range(n) if i not in slate]
        acc[free[0], r] += p * (1 - eps)
        walk(slate + [free[0]], p * (1 - eps))
        for x in free:
            acc[x, r] += p * eps / len(free)
            walk(slate + [x], p * eps / len(free))

    walk([], 1.0)
    return acc


@pytest.mark.parametrize(("n", "k", "eps"), [(5, 3, 0.4), (6, 4, 0.9), (4, 4, 0.25), (7, 2, 1.0)])
def test_table_matches_exhaustive_enumeration(n: int, k: int, eps: float) -> None:
    table = epsilon_greedy_table(n, k, eps)
    exact = _enumerate(n, k, eps)
    np.testing.assert_allclose(table[:k], exact[:k], atol=1e-12)
    if n > k:
        np.testing.assert_allclose(np.broadcast_to(table[k], exact[k:].shape), exact[k:],
                                   atol=1e-12)


def test_epsilon_one_is_uniform() -> None:
    np.testing.assert_allclose(epsilon_greedy_table(30, 10, 1.0), 1 / 30)


class _Fixed:
    """A global estimator with fixed scores (item id = its score order, best = 0)."""

    personalized = False
    version = 0

    def scores(self, items: np.ndarray) -> np.ndarray:
        return -items.astype(float)


def test_sampled_frequencies_match_propensities(rng: np.random.Generator) -> None:
    n, k, b = 8, 4, 60_000
    cands = np.arange(n, dtype=np.int64)
    req = SlateRequest(0.0, np.zeros(b, dtype=np.int64), cands, k, rng)
    out = EpsilonGreedySelector(0.3).select(req, _Fixed())
    freq = np.stack([(out.items == i).mean(axis=0) for i in range(n)])
    table = epsilon_greedy_table(n, k, 0.3)
    expected = np.vstack([table[:k], np.repeat(table[k:], n - k, axis=0)])
    np.testing.assert_allclose(freq, expected, atol=0.006)
    np.testing.assert_allclose(out.propensities, expected[out.items, np.arange(k)], rtol=1e-6)
    assert all(len(set(row)) == k for row in out.items[:500].tolist())


def test_epsilon_zero_gives_the_greedy_slates_for_the_same_seed() -> None:
    greedy, eps0 = Recorder(make_policy("ctr")), Recorder(
        make_policy("epsilon_greedy", "policy.selector.epsilon=0.0"))
    simulate(greedy, seed=4)
    simulate(eps0, seed=4)
    assert len(greedy.slates) == len(eps0.slates) > 10
    for a, b in zip(greedy.slates, eps0.slates, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(p is None for p in eps0.propensities)


def test_epsilon_zero_personalized_oracle_equals_oracle() -> None:
    oracle, eps0 = Recorder(make_policy("oracle")), Recorder(
        make_policy("epsilon_greedy", "policy/estimator=oracle", "policy.selector.epsilon=0.0"))
    simulate(oracle, seed=1, personalization=0.8, horizon=1.0)
    simulate(eps0, seed=1, personalization=0.8, horizon=1.0)
    for a, b in zip(oracle.slates, eps0.slates, strict=True):
        np.testing.assert_array_equal(a, b)


def test_personalized_exploration_is_per_user() -> None:
    rec = Recorder(make_policy("epsilon_greedy", "policy/estimator=oracle",
                               "policy.selector.epsilon=0.2"))
    simulate(rec, seed=2, personalization=0.8, horizon=1.0)
    slates = np.concatenate(rec.slates)
    props = np.concatenate(rec.propensities)
    assert np.all((props > 0) & (props <= 1))
    assert len({tuple(r) for r in slates.tolist()}) > 0.5 * slates.shape[0]


def test_epsilon_one_behaves_like_random() -> None:
    """Same world and seed: exposure concentration and CTR agree with uniform random."""
    eps1 = simulate(make_policy("epsilon_greedy", "policy.selector.epsilon=1.0"), seed=3,
                    horizon=5.0)
    rand = simulate(Random(), seed=3, horizon=5.0)
    for metric, tol in [("gini_exposure", 0.03), ("coverage_window", 0.02), ("ctr_window", 0.01)]:
        a = eps1.summary["final_metrics"][metric]
        b = rand.summary["final_metrics"][metric]
        assert abs(a - b) < tol, (metric, a, b)
    exposure = eps1.items["exposure"].to_numpy()
    # Uniform exposure: a chi-square dispersion close to 1 per degree of freedom.
    dispersion = ((exposure - exposure.mean()) ** 2 / exposure.mean()).sum() / (exposure.size - 1)
    assert dispersion < 1.5


def test_an_unknown_estimator_is_refused_when_the_config_is_composed() -> None:
    with pytest.raises(Exception, match=r"Could not find 'policy/estimator/nope'"):  # noqa: PT011
        make_policy("epsilon_greedy", "policy/estimator=nope")
