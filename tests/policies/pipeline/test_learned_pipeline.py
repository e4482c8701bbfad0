"""A learned upstream whose outputs feed a linear ranker; the loop's error decomposition."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies.pipeline import FactorUpstream, FeatureRanker, LearnedPipeline
from loopsim.policies.pipeline.learned_upstream import pair_keep
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.checker.testing import assert_policy_ok
from loopsim.simulator.contract.batches import ORGANIC, RECOMMENDED, Feedback
from loopsim.simulator.contract.policy import UsesGroundTruth, components
from loopsim.simulator.errors import ConfigError


def feedback(users: np.ndarray, items: np.ndarray, clicks: np.ndarray,
             source: np.ndarray | None = None) -> Feedback:
    n = users.size
    return Feedback(t=np.zeros(n), user=users.astype(np.int64), item=items.astype(np.int64),
                    rank=np.ones(n, dtype=np.int64), click=clicks.astype(bool),
                    reward=clicks.astype(np.float64), propensity=np.ones(n),
                    source=(np.full(n, RECOMMENDED, dtype=np.int8) if source is None
                            else source.astype(np.int8)))


def low_rank_clicks(rng: np.random.Generator, n_users: int = 60, n_items: int = 40,
                    rows: int = 20_000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clicks drawn from p(u, i) = 0.3 + 0.25 * sign-structured taste (two groups)."""
    group_u = np.arange(n_users) % 2
    group_i = np.arange(n_items) % 2
    p = 0.3 + 0.25 * np.where(group_u[:, None] == group_i[None, :], 1.0, -1.0)
    users = rng.integers(0, n_users, rows)
    items = rng.integers(0, n_items, rows)
    return users, items, rng.random(rows) < p[users, items], p


def test_pair_keep_is_deterministic_nested_and_near_its_share() -> None:
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 5000, 50_000), rng.integers(0, 5000, 50_000)
    half, third = pair_keep(users, items, 0.5), pair_keep(users, items, 0.3)
    assert abs(half.mean() - 0.5) < 0.01 and abs(third.mean() - 0.3) < 0.01
    assert not (third & ~half).any()  # nested
    np.testing.assert_array_equal(half, pair_keep(users, items, 0.5))
    assert pair_keep(users, items, 1.0).all()


def test_upstream_learns_the_taste_and_its_validation_mse_falls() -> None:
    rng = np.random.default_rng(1)
    users, items, clicks, p = low_rank_clicks(rng)
    up = FactorUpstream(n_factors=2, regularization=0.1, iterations=4)
    up.use_policy_stream(np.random.default_rng(2))
    for s in range(0, users.size, 2_000):
        up.update(feedback(users[s:s + 2000], items[s:s + 2000], clicks[s:s + 2000]))
    pred = up.pair_scores(np.arange(60), np.broadcast_to(np.arange(40), (60, 40)))
    assert np.abs(pred - p).mean() < 0.05
    up.update(feedback(users[:2000], items[:2000], clicks[:2000]))
    # the noise floor: mean of p (1 - p) at p = 0.55 and 0.05
    assert up.validation_mse() == pytest.approx(0.1475, abs=0.015)


def test_max_retrainings_freezes_the_model_and_keeps_validating() -> None:
    rng = np.random.default_rng(1)
    users, items, clicks, _ = low_rank_clicks(rng)
    frozen = FactorUpstream(n_factors=2, regularization=0.1, max_retrainings=2)
    free = FactorUpstream(n_factors=2, regularization=0.1)
    for up in (frozen, free):
        up.use_policy_stream(np.random.default_rng(2))
    grid = np.arange(60), np.broadcast_to(np.arange(40), (60, 40))
    for k, s in enumerate(range(0, 10_000, 2_000)):
        for up in (frozen, free):
            up.update(feedback(users[s:s + 2000], items[s:s + 2000], clicks[s:s + 2000]))
        if k == 1:
            after_two = frozen.pair_scores(*grid)
            np.testing.assert_array_equal(after_two, free.pair_scores(*grid))
    assert frozen.version == 2 and free.version == 5
    np.testing.assert_array_equal(frozen.pair_scores(*grid), after_two)
    assert not np.array_equal(free.pair_scores(*grid), after_two)
    mse = frozen.validation_mse()  # batches 2..5 are all scored, frozen or not
    assert mse is not None and 0.0 < mse < 0.3
    assert frozen.validation_mse() is None and free.validation_mse() != mse


def test_item_mean_target_keeps_what_users_agree_on_and_drops_who_clicked() -> None:
    rng = np.random.default_rng(3)
    users, items, clicks, _ = low_rank_clicks(rng)
    up = FactorUpstream(n_factors=2, regularization=0.1, iterations=4, target="item_mean")
    up.update(feedback(users, items, clicks))
    pred = up.pair_scores(np.arange(60), np.broadcast_to(np.arange(40), (60, 40)))
    # every user gets the same item ordering: the taste groups are gone
    assert np.ptp(pred - pred.mean(axis=1, keepdims=True), axis=0).max() < 0.02


def test_bilinear_head_fits_a_rotated_interaction_and_dot_head_keeps_w_identity() -> None:
    rng = np.random.default_rng(4)
    users, items, clicks, p = low_rank_clicks(rng)
    dot = FactorUpstream(n_factors=2, regularization=0.1, iterations=4)
    bil = FactorUpstream(n_factors=2, regularization=0.1, iterations=4, head="bilinear")
    for up in (dot, bil):
        up.use_policy_stream(np.random.default_rng(5))
        up.update(feedback(users, items, clicks))
        pred = up.pair_scores(np.arange(60), np.broadcast_to(np.arange(40), (60, 40)))
        assert np.abs(pred - p).mean() < 0.05
    np.testing.assert_array_equal(dot._w, np.eye(2))
    assert np.abs(bil._w - np.diag(np.diag(bil._w))).max() > 1e-3


def test_organic_rows_get_uniform_negatives() -> None:
    up = FactorUpstream(train_on="organic", negatives=3)
    up.use_policy_stream(np.random.default_rng(0))
    fb = feedback(np.array([0, 1, 2]), np.array([5, 6, 7]), np.ones(3),
                  np.array([ORGANIC, ORGANIC, RECOMMENDED]))
    assert up.traffic_rows(fb).tolist() == [True, True, False]
    up.update(fb)
    assert up._sums[:, 1].sum() == 2 + 2 * 3  # two organic rows, three negatives each
    assert up._sums[:, 0].sum() == 2


def test_bad_upstream_options_fail_with_the_field() -> None:
    fb = feedback(np.array([0]), np.array([0]), np.ones(1))
    with pytest.raises(ConfigError, match="train_on == 'search'"):
        FactorUpstream(train_on="search").update(fb)
    with pytest.raises(ConfigError, match="head == 'deep'"):
        FactorUpstream(head="deep").update(fb)
    with pytest.raises(ConfigError, match="hidden == \\[\\]"):
        FactorUpstream(head="mlp", hidden=[]).update(fb)
    with pytest.raises(ConfigError, match="features == 'deep'"):
        ranker = FeatureRanker(features="deep")
        ranker.use_upstream(FactorUpstream())
        ranker.pair_features(np.array([0]), np.array([[0]]))


def test_feature_ranker_recovers_click_rates_linear_in_its_features() -> None:
    rng = np.random.default_rng(6)
    users, items, clicks, p = low_rank_clicks(rng)
    up = FactorUpstream(n_factors=2, regularization=0.1, iterations=4)
    up.use_policy_stream(np.random.default_rng(7))
    up.update(feedback(users, items, clicks))
    ranker = FeatureRanker(features="interaction", regularization=0.1)
    ranker.use_upstream(up)
    ranker.update(feedback(users, items, clicks))
    pred = ranker.pair_scores(np.arange(60), np.broadcast_to(np.arange(40), (60, 40)))
    assert np.abs(pred - p).mean() < 0.06
    flat = FeatureRanker(features="towers")
    flat.use_upstream(up)
    flat.update(feedback(users, items, clicks))
    pred = flat.pair_scores(np.arange(60), np.broadcast_to(np.arange(40), (60, 40)))
    assert np.abs(pred - p).mean() > 0.15  # no interaction: it cannot personalize


def test_learned_pipeline_honours_the_contract_and_is_never_handed_the_truth() -> None:
    policy = LearnedPipeline(FactorUpstream(n_factors=2), FeatureRanker(), n=8,
                             shadow=FactorUpstream(n_factors=2, target="item_mean"))
    assert_policy_ok(policy)
    assert not any(isinstance(p, UsesGroundTruth) for p in components(policy))


def run(policy: LearnedPipeline, horizon: float = 3.0) -> dict[str, list[float]]:
    world = SyntheticWorld(n_users=200, n_items=80, personalization=0.6,
                           item_arrival_rate=0.0)
    config = SimulationConfig(horizon=horizon, slate_size=5, tick=0.05, retrain_interval=0.5,
                              snapshot_interval=1.0, progress=False)
    sim = Simulation(world, PositionBasedModel(eta=1.0), policy, config, seed=3)
    sim.run().raise_for_status()
    out: dict[str, list[float]] = {}
    for _, name, value in sim.state.metrics.rows:
        out.setdefault(name, []).append(value)
    return out


@pytest.mark.parametrize("head", ["dot", "mlp"])
def test_the_loop_splits_the_excess_regret_into_the_three_terms(head: str) -> None:
    """Every session of this tiny world is in the decomposition (batches of ~10 sessions,
    fewer than ``decomposition_sessions``): the terms add up to the regret, whatever the
    upstream's head (the mlp head is outside the flexible reference's class)."""
    m = run(LearnedPipeline(FactorUpstream(n_factors=3, head=head, hidden=[4],
                                           head_steps=30), FeatureRanker(), n=20,
                            shadow=FactorUpstream(n_factors=3, target="item_mean")))
    total = (np.array(m["upstream_error_window"]) + m["ranker_approximation_error_window"]
             + np.array(m["ranker_estimation_error_window"]))
    np.testing.assert_allclose(total, m["excess_regret_window"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m["excess_regret_window"], m["regret_window"], rtol=1e-9,
                               atol=1e-12)
    for name in ("upstream_mse_window", "shadow_mse_window", "version_upstream",
                 "trainings_ranker", "pool_recall_window"):
        assert name in m, name
    assert m["version_upstream"][-1] >= 4 and m["version_ranker"][-1] >= 4


def test_same_seed_same_run_other_seed_other_run() -> None:
    def make() -> LearnedPipeline:
        return LearnedPipeline(FactorUpstream(n_factors=2), FeatureRanker(), n=15)
    a, b = run(make(), horizon=1.5), run(make(), horizon=1.5)
    assert a["regret_window"] == b["regret_window"]
