"""The position-based model by EM: the examination curve without randomized traffic."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from loopsim.policies.estimators import ClicksOverExpected, ExaminationCurve, InversePropensityCTR
from loopsim.policies.estimators.examination import EXAM_FLOOR
from loopsim.policies.estimators.pbm_em import pbm_em, pbm_start, warm_start
from loopsim.simulator.contract.batches import Feedback

from tests.policies.policy_sim import EXAMINATION


def _rotating_counts(rng: np.random.Generator, n: int, k: int, exam: np.ndarray,
                     rel: np.ndarray, versions: int, views: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(item, rank) clicks and views of deterministic slates whose order moves between
    versions (no randomization within a version: every propensity would be 1)."""
    clicks, seen = np.zeros((n, k)), np.zeros((n, k))
    for _ in range(versions):
        slate = rng.permutation(n)[:k]
        seen[slate, np.arange(k)] += views
        clicks[slate, np.arange(k)] += rng.binomial(views, rel[slate] * exam[:k])
    return clicks, seen


def _feedback(clicks: np.ndarray, views: np.ndarray) -> Feedback:
    """Rows with propensity 1 reproducing integer (item, rank) counts."""
    item, rank = np.nonzero(views)
    reps = views[item, rank].astype(np.int64)
    it, rk = np.repeat(item, reps), np.repeat(rank + 1, reps)
    click = np.zeros(it.size, dtype=bool)
    start = np.concatenate([[0], np.cumsum(reps)[:-1]])
    for s, c in zip(start, clicks[item, rank].astype(np.int64), strict=True):
        click[s:s + c] = True
    size = it.size
    return Feedback(t=np.zeros(size), user=np.zeros(size, dtype=np.int64), item=it,
                    rank=rk.astype(np.int16), click=click,
                    reward=click.astype(np.float32), propensity=np.ones(size, np.float32))


def test_em_recovers_the_curve_from_a_ranking_that_moves(rng: np.random.Generator) -> None:
    exam = np.array(EXAMINATION) / EXAMINATION[0]
    rel = rng.uniform(0.2, 0.8, 40)
    c, v = _rotating_counts(rng, 40, 10, exam, rel, versions=400, views=200)
    fit = pbm_em(c, v, pbm_start(c, v), iterations=300)
    np.testing.assert_allclose(fit.examination, exam, rtol=0.08)
    assert np.corrcoef(fit.theta, rel)[0, 1] > 0.95


def test_naive_ctr_by_rank_is_biased_where_em_is_not(rng: np.random.Generator) -> None:
    """A greedy ranking puts better items higher: CTR by rank overstates the bias."""
    exam = np.array(EXAMINATION) / EXAMINATION[0]
    rel = np.sort(rng.uniform(0.1, 0.9, 40))[::-1]
    c, v = np.zeros((40, 10)), np.zeros((40, 10))
    for _ in range(30):  # mostly sorted by value, a little movement between versions
        order = np.argsort(-(rel + rng.normal(0, 0.1, 40)))[:10]
        v[order, np.arange(10)] += 300
        c[order, np.arange(10)] += rng.binomial(300, rel[order] * exam)
    naive = pbm_start(c, v).examination / 0.9
    fit = pbm_em(c, v, pbm_start(c, v), iterations=500)
    assert abs(naive[9] / exam[9] - 1) > 2 * abs(fit.examination[9] / exam[9] - 1)


def test_warm_start_reaches_the_cold_fit(rng: np.random.Generator) -> None:
    exam = np.array(EXAMINATION) / EXAMINATION[0]
    rel = rng.uniform(0.2, 0.8, 30)
    c1, v1 = _rotating_counts(rng, 30, 10, exam, rel, versions=100, views=100)
    c2, v2 = _rotating_counts(rng, 30, 10, exam, rel, versions=100, views=100)
    first = pbm_em(c1, v1, pbm_start(c1, v1), iterations=100)
    c, v = c1 + c2, v1 + v2
    warm = first
    for _ in range(40):  # 40 retrains of 5 iterations each
        warm = pbm_em(c, v, warm_start(warm, c, v), iterations=5)
    cold = pbm_em(c, v, pbm_start(c, v), iterations=300)
    np.testing.assert_allclose(warm.examination, cold.examination, rtol=0.02)


def test_warm_start_grows_with_new_items_and_ranks() -> None:
    c, v = np.ones((3, 2)), np.full((3, 2), 4.0)
    fit = pbm_em(c, v, pbm_start(c, v), iterations=3)
    grown = warm_start(fit, np.ones((5, 3)), np.full((5, 3), 4.0))
    assert grown.theta.shape == (5,) and grown.examination.shape == (3,)
    np.testing.assert_allclose(grown.theta[:3], fit.theta, rtol=1e-6)
    np.testing.assert_allclose(grown.theta[3:], fit.mean)


def test_em_mode_learns_from_deterministic_rows(rng: np.random.Generator) -> None:
    exam = np.array(EXAMINATION) / EXAMINATION[0]
    rel = rng.uniform(0.2, 0.8, 30)
    harvest, em = ExaminationCurve("estimated"), ExaminationCurve("em", em_iterations=20)
    learned = ExaminationCurve(em_iterations=20)  # the default mode: harvested, else EM
    for _ in range(30):  # 30 model versions, each one deterministic batch
        c, v = _rotating_counts(rng, 30, 10, exam, rel, versions=10, views=20)
        batch = _feedback(c, v)
        for curve in (harvest, em, learned):
            curve.update(batch)
    assert np.all(harvest.ratios(10) == 1.0)  # no randomized rows: no correction
    np.testing.assert_allclose(em.ratios(10), exam, rtol=0.15)
    np.testing.assert_allclose(learned.ratios(10), em.ratios(10))
    assert sorted(learned.policy_metrics()) == sorted(f"exam_ratio_{r}" for r in range(2, 11))


def test_learned_ratios_are_floored() -> None:
    curve = ExaminationCurve("em")
    c = np.array([[5.0, 0.0], [5.0, 0.0]])  # no click ever at rank 2
    v = np.array([[10.0, 50.0], [10.0, 50.0]])
    for _ in range(50):
        curve.update(_feedback(c, v))
    assert curve.ratios(2)[1] == pytest.approx(EXAM_FLOOR)


def test_debiased_estimators_default_to_the_learned_curve() -> None:
    for cls in (ClicksOverExpected, InversePropensityCTR):
        assert "propensity='learned'" in repr(cls())


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(11)


def test_em_stays_finite_when_a_lower_rank_is_examined_more() -> None:
    """Reproduction: rank 1 viewed 3 times and never clicked, rank 2 clicked 16 times in
    18. Rescaling to ``e_1 = 1`` left ``e_2 > 1``, so ``P(examined | no click)`` exceeded
    1 and ``e_2`` grew without bound (overflow in the E-step; seen with
    ``policy=thompson world=chaney click_model=cascade`` in the gym example)."""
    c, v = np.array([[0.0, 16.0, 1.0]]), np.array([[3.0, 18.0, 6.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fit = pbm_em(c, v, pbm_start(c, v), iterations=50)
        again = pbm_em(c, v, warm_start(fit, c, v), iterations=50)  # e_2 > 1 as a start
    for f in (fit, again):
        assert np.all(np.isfinite(f.theta)) and np.all(np.isfinite(f.examination))
        assert f.examination[0] == 1.0 and f.examination[1] > 1.0  # rank 2 is seen more
        assert np.all((f.theta > 0) & (f.theta * f.examination.max() <= 1.0 + 1e-12))
    # the fitted click probabilities follow the data's order of the ranks
    q = fit.theta[0] * fit.examination
    assert q[1] > q[2] > q[0]


def test_em_with_no_iteration_returns_its_start() -> None:
    c, v = np.array([[1.0, 2.0]]), np.array([[4.0, 8.0]])
    start = pbm_start(c, v)
    assert pbm_em(c, v, start, iterations=0) is start
