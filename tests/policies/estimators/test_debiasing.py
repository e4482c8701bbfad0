"""Position debiasing: the examination curve (known, estimated) and COEC / IPS / PAL."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies.estimators import (
    BetaCTR,
    ClicksOverExpected,
    ExaminationCurve,
    InversePropensityCTR,
    PositionAwareLogistic,
)
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.metrics.ranking import kendall_tau_b
from loopsim.simulator.params.component_schema import check_arguments

from tests.builtins import make_policy
from tests.policies.policy_sim import EXAMINATION, Recorder, simulate


def _shuffled_log(rng: np.random.Generator, n: int, k: int, rel: np.ndarray,
                  exam: np.ndarray, sessions: int, propensity: float) -> Feedback:
    """Uniformly shuffled slates of ``k`` of ``n`` items under a PBM."""
    items = np.argsort(rng.random((sessions, n)), axis=1)[:, :k]
    rank = np.tile(np.arange(1, k + 1), sessions)
    click = rng.random(items.shape) < rel[items] * exam[None, :k]
    size = sessions * k
    return Feedback(t=np.zeros(size), user=np.zeros(size, dtype=np.int64),
                    item=items.reshape(-1), rank=rank.astype(np.int16),
                    click=click.reshape(-1), reward=click.reshape(-1).astype(np.float32),
                    propensity=np.full(size, propensity, dtype=np.float32))


def test_known_curve_from_eta_or_list() -> None:
    known = ExaminationCurve("known", examination_eta=1.0)
    np.testing.assert_allclose(known.ratios(3), [1, 1 / 2, 1 / 3])
    np.testing.assert_allclose(ExaminationCurve("known", examination=[0.5, 0.25, 0.1]).ratios(2),
                               [1, 0.5])
    with pytest.raises(ConfigError, match=r"policy.examination .*at least 3 positive"):
        ExaminationCurve("known", examination=[0.5, 0.25]).ratios(3)
    with pytest.raises(ConfigError,
                       match=r"propensity == 'guess'`: must be one of \['learned', 'em'"):
        check_arguments(ClicksOverExpected, {"propensity": "guess"}, "policy.estimator.")


def test_estimated_curve_from_shuffled_log(rng: np.random.Generator) -> None:
    exam = np.array(EXAMINATION)
    rel = rng.uniform(0.2, 0.8, 30)
    curve = ExaminationCurve(propensity="estimated")
    assert np.isnan(curve.estimate(3)).all() and np.all(curve.ratios(3) == 1.0)
    curve.update(_shuffled_log(rng, 30, 10, rel, exam, 100_000, 1 / 30))
    np.testing.assert_allclose(curve.estimate(10), exam / exam[0], rtol=0.05)
    reported = curve.policy_metrics()
    assert sorted(reported) == sorted(f"exam_ratio_{r}" for r in range(2, 11))


def test_deterministic_rows_are_not_used_for_the_estimate(rng: np.random.Generator) -> None:
    curve = ExaminationCurve(propensity="estimated")
    exam = np.array(EXAMINATION)
    curve.update(_shuffled_log(rng, 30, 10, np.full(30, 0.5), exam, 1000, 1.0))
    assert curve.policy_metrics() == {}


def test_propensity_estimation_within_3_percent_under_shuffled_slates() -> None:
    """Issue evidence: PBM with the issue's curve, uniformly shuffled slates (RandTop-N
    over all 10 items of a 10-item world), ~3.7M impressions: the ratios reported in the
    metrics (``policy_exam_ratio_<k>`` = e(k)/e(1)) give e(1)/e(k) within 3%."""
    res = simulate(
        make_policy("rand_topn", "policy/estimator=coec", "policy.selector.n=10",
               "policy.estimator.propensity=estimated"), seed=0, horizon=4.0,
        n_users=1000, n_items=10, examination=EXAMINATION,
        world={"sessions_per_user_per_day": 100.0, "quality_alpha": 5.0, "quality_beta": 5.0},
        snapshot_interval=2.0, retrain_interval=1.0,
    )
    final = res.summary["final_metrics"]
    est = np.array([1.0] + [final[f"policy_exam_ratio_{r}"] for r in range(2, 11)])
    truth = np.array(EXAMINATION) / EXAMINATION[0]
    np.testing.assert_allclose(truth / est, 1.0, rtol=0.03)  # e(1)/e(k), estimate vs truth


def test_coec_and_ips_recover_relevance_at_rank_one(rng: np.random.Generator) -> None:
    exam = np.array(EXAMINATION)
    rel = np.linspace(0.1, 0.9, 20)
    log = _shuffled_log(rng, 20, 10, rel, exam, 40_000, 1 / 20)
    for est in (ClicksOverExpected(prior_strength=1.0, propensity="known",
                                   examination=EXAMINATION),
                InversePropensityCTR(prior_strength=1.0, propensity="known",
                                     examination=EXAMINATION),
                ClicksOverExpected(prior_strength=1.0),  # learned: harvested from the shuffles
                InversePropensityCTR(prior_strength=1.0)):
        est.update(log)
        np.testing.assert_allclose(est.scores(np.arange(20)), rel * exam[0], rtol=0.08)
        alpha, beta = est.posterior(np.arange(20))
        np.testing.assert_allclose(alpha / (alpha + beta), est.scores(np.arange(20)), rtol=0.05)


def test_pal_learns_a_falling_rank_effect_and_the_item_order(rng: np.random.Generator) -> None:
    rel = np.linspace(0.1, 0.6, 20)
    pal = PositionAwareLogistic(prior_strength=1.0)
    pal.update(_shuffled_log(rng, 20, 10, rel, np.array(EXAMINATION), 40_000, 1.0))
    assert np.all(np.diff(pal.rank_effects()[[0, 2, 3, 4, 5, 6, 9]]) < 0)
    assert kendall_tau_b(rel, pal.scores(np.arange(20))) > 0.9
    # unseen item: the prior, empirical Bayes = the pooled rank-1 CTR of the log
    prior = pal.policy_metrics()["prior_mean"]
    assert pal.scores(np.array([500]))[0] == pytest.approx(prior)
    assert prior == pytest.approx(rel.mean() * EXAMINATION[0], rel=0.05)


def test_debiased_estimators_beat_ctr_on_the_same_greedy_log() -> None:
    """Issue evidence (Kendall tau of item_scores against the true value).

    Fair design: one log per seed, served by epsilon-greedy CTR with epsilon = 0.1 (the
    degenerate greedy loop plus the little exploration that gives every item some
    impressions) under a strong position bias (the issue's curve, e(10)/e(1) = 0.09).
    Every estimator is then fitted on that *same* log, so they differ only in how they
    read it: ``ctr`` ignores rank, ``coec``/``ips`` divide by the known curve or by the
    curve they learn (the default: harvested from the epsilon-greedy swaps, EM
    elsewhere), ``pal`` learns it. Averaged over 3 seeds.
    """
    names = ("ctr", "coec", "ips", "coec_learned", "ips_learned", "pal")
    taus: dict[str, list[float]] = {name: [] for name in names}
    for seed in range(3):
        rec = Recorder(make_policy("epsilon_greedy", "policy.selector.epsilon=0.1"))
        res = simulate(rec, seed=seed, horizon=10.0, n_users=2000, n_items=50,
                       examination=EXAMINATION)
        log = Feedback.concat(rec.log)
        truth = res.items["true_value"].to_numpy()
        for name in taus:
            est = {"ctr": BetaCTR(), "pal": PositionAwareLogistic(),
                   "coec": ClicksOverExpected(propensity="known", examination=EXAMINATION),
                   "ips": InversePropensityCTR(propensity="known", examination=EXAMINATION),
                   "coec_learned": ClicksOverExpected(),
                   "ips_learned": InversePropensityCTR()}[name]
            est.update(log)
            taus[name].append(kendall_tau_b(truth, est.scores(np.arange(50))))
    mean = {name: float(np.mean(v)) for name, v in taus.items()}
    for name in names[1:]:
        assert mean[name] > mean["ctr"] + 0.06, mean


def test_coec_reports_its_estimate_in_the_metrics() -> None:
    res = simulate(make_policy("epsilon_greedy", "policy/estimator=coec",
                               "policy.selector.epsilon=0.3",
                               "policy.estimator.propensity=estimated"),
                   horizon=2.0, examination=EXAMINATION)
    names = set(res.metrics["metric"].to_list())
    assert {"policy_exam_ratio_2", "policy_exam_ratio_10"} <= names
    known = simulate(make_policy("coec", "policy.estimator.propensity=known"), horizon=1.0)
    reported = {n for n in known.metrics["metric"].to_list() if n.startswith("policy_")}
    assert reported == {"policy_prior_mean", "policy_prior_strength"}  # no curve estimate
    learned = simulate(make_policy("coec"), horizon=1.0)  # the default: greedy, so EM
    assert "policy_exam_ratio_10" in set(learned.metrics["metric"].to_list())


def test_a_known_curve_is_asked_for_explicitly() -> None:
    """An explicit curve under a learned mode is a mistake that names the fix."""
    with pytest.raises(ConfigError, match=r"propensity == 'learned'.*set .*propensity=known"):
        ClicksOverExpected(examination=EXAMINATION).scores(np.arange(3))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)
