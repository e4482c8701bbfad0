"""The content tower (an upstream's item side over item attributes), the coarse genre
label, the per-user ranker, and the loop's decomposition for it."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies.pipeline import FactorUpstream, FeatureRanker, LearnedPipeline
from loopsim.policies.pipeline.content_tower import fit_tower, initial_tower
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.checker.testing import assert_policy_ok
from loopsim.simulator.contract.batches import RECOMMENDED, Feedback
from loopsim.simulator.contract.catalogue import ItemCatalogue
from loopsim.simulator.contract.policy import UsesGroundTruth, components
from loopsim.simulator.errors import ConfigError


def feedback(users: np.ndarray, items: np.ndarray, clicks: np.ndarray) -> Feedback:
    n = users.size
    return Feedback(t=np.zeros(n), user=users.astype(np.int64), item=items.astype(np.int64),
                    rank=np.ones(n, dtype=np.int64), click=clicks.astype(bool),
                    reward=clicks.astype(np.float64), propensity=np.ones(n),
                    source=np.full(n, RECOMMENDED, dtype=np.int8))


def test_fit_tower_recovers_a_known_map_and_pulls_toward_its_prior() -> None:
    rng = np.random.default_rng(0)
    x = np.hstack([rng.standard_normal((50, 3)), np.ones((50, 1))])
    theta = rng.standard_normal((4, 3))
    items, u = rng.integers(0, 50, 4000), rng.standard_normal((4000, 2))
    side = np.hstack([u, np.ones((4000, 1))])
    target = np.einsum("na,ap,np->n", x[items], theta, side)
    fitted = fit_tower(x, items, side, target, np.ones(4000), 1e-6, np.zeros_like(theta))
    np.testing.assert_allclose(fitted, theta, atol=1e-5)
    prior = rng.standard_normal(theta.shape)  # no data: the prior itself
    np.testing.assert_allclose(fit_tower(x, items[:0], side[:0], target[:0], np.ones(0),
                                         1.0, prior), prior, atol=1e-12)
    init = initial_tower(3, 2, 1.0, np.random.default_rng(1))
    assert init.shape == (4, 3) and np.all(init[:, 2] == 0)  # the bias part starts at 0


def world() -> SyntheticWorld:
    w = SyntheticWorld(n_users=80, n_items=40, personalization=0.8, item_arrival_rate=0.0,
                       item_attributes=6, attribute_noise=0.1)
    w.reset(np.random.default_rng(3))
    return w


def connected(w: SyntheticWorld, **settings: object) -> FactorUpstream:
    """A FactorUpstream with its stream and the world's catalogue, as the engine hands them."""
    up = FactorUpstream(**settings)
    up.use_policy_stream(np.random.default_rng(0))
    up.use_item_attributes(ItemCatalogue(w))
    return up


def rows(w: SyntheticWorld, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    users, items = rng.integers(0, 80, n), rng.integers(0, 40, n)
    rel = w.relevance_of_slates(users, items[:, None])[:, 0]
    return users, items, rng.random(n) < rel


def test_genre_rate_label_is_one_value_per_user_and_genre() -> None:
    w = world()
    up = connected(w, n_factors=2, target="genre_rate", iterations=1)
    users, items, clicks = rows(w, 3000, 1)
    up.update(feedback(users, items, clicks))
    keys_u = (up._keys >> 32).astype(np.int64)
    keys_i = (up._keys & 0xFFFFFFFF).astype(np.int64)
    label = up._genre_rates(keys_u, keys_i, up._sums[:, 1])
    genre = w.genres_of(keys_i)
    for u in range(3):
        for g in np.unique(genre):
            cell = (keys_u == u) & (genre == g)
            if cell.any():
                assert np.ptp(label[cell]) == 0.0
                assert label[cell][0] == pytest.approx(
                    up._sums[cell, 0].sum() / up._sums[cell, 1].sum())


def test_a_content_tower_scores_items_it_never_trained_on_and_learns_the_taste() -> None:
    w = world()
    up = connected(w, n_factors=4, item_side="attributes", regularization=0.1,
                   iterations=4)
    users, items, clicks = rows(w, 20_000, 2)
    seen = items < 30  # items 30..39 never trained on
    for s in np.array_split(np.flatnonzero(seen), 4):
        up.update(feedback(users[s], items[s], clicks[s]))
    unseen = np.arange(30, 40)
    assert np.abs(up.item_factors(unseen)).sum() > 0  # the tower maps their attributes
    pred = up.pair_scores(np.arange(80), np.broadcast_to(unseen, (80, 10)))
    truth = w.relevance(np.arange(80), unseen)
    assert np.corrcoef(pred.ravel(), truth.ravel())[0, 1] > 0.5


def test_the_per_user_ranker_learns_each_users_weights_over_the_item_outputs() -> None:
    w = world()
    up = connected(w, n_factors=4, item_side="attributes", iterations=2)
    users, items, clicks = rows(w, 30_000, 4)
    up.update(feedback(users, items, clicks))
    scores = {}
    for kind in ("per_user", "towers"):
        ranker = FeatureRanker(features=kind, regularization=0.1, user_regularization=0.1)
        ranker.use_upstream(up)
        ranker.update(feedback(users, items, clicks))
        scores[kind] = ranker.pair_scores(np.arange(80), np.broadcast_to(np.arange(40),
                                                                         (80, 40)))
    truth = w.relevance(np.arange(80), np.arange(40))
    within = truth - truth.mean(axis=0)  # what tells users apart
    per_user = np.corrcoef((scores["per_user"] - scores["per_user"].mean(0)).ravel(),
                           within.ravel())[0, 1]
    assert per_user > 0.5
    t = scores["towers"]  # additive in user and item: no interaction
    assert np.abs(t - t.mean(0) - t.mean(1, keepdims=True) + t.mean()).max() < 1e-9


def test_genre_indicators_join_the_per_user_item_outputs() -> None:
    w = world()
    up = connected(w, n_factors=3, item_side="attributes", iterations=1)
    users, items, clicks = rows(w, 5000, 2)
    up.update(feedback(users, items, clicks))
    ranker = FeatureRanker(features="per_user", genres=4)
    assert ranker.needs_item_attributes and not FeatureRanker().needs_item_attributes
    ranker.use_item_attributes(ItemCatalogue(w))
    ranker.use_upstream(up)
    grid = np.arange(5), np.broadcast_to(np.arange(40), (5, 40))
    x = ranker.pair_features(*grid)
    plain = FeatureRanker(features="per_user")
    plain.use_upstream(up)
    np.testing.assert_array_equal(x[..., :5], plain.pair_features(*grid))
    genre = ItemCatalogue(w).genres(np.arange(40))
    assert x.shape == (5, 40, 5 + 3) and len(np.unique(genre)) == 4
    np.testing.assert_array_equal(x[0, :, 5:], genre[:, None] == np.arange(1, 4))
    np.testing.assert_array_equal(ranker.item_genres(grid[1]), np.broadcast_to(genre, (5, 40)))


def test_the_genre_ranker_reads_the_catalogue_itself_whatever_the_upstream() -> None:
    """An upstream that reads no attributes: the engine hands the catalogue to the ranker
    (it asks for it), and a world without attributes is refused at start-up naming it."""
    w = SyntheticWorld(n_users=100, n_items=30, item_attributes=8, item_arrival_rate=0.0)
    policy = LearnedPipeline(FactorUpstream(n_factors=2),
                             FeatureRanker(features="per_user", genres=4), n=None)
    config = SimulationConfig(horizon=1.0, slate_size=3, tick=0.05, retrain_interval=0.5,
                              snapshot_interval=1.0, progress=False)
    Simulation(w, PositionBasedModel(eta=1.0), policy, config, seed=0).run(
        ).raise_for_status()
    bare = SyntheticWorld(n_users=100, n_items=30, item_arrival_rate=0.0)
    policy = LearnedPipeline(FactorUpstream(n_factors=2),
                             FeatureRanker(features="per_user", genres=4), n=None)
    with pytest.raises(ConfigError, match=r"FeatureRanker reads .*world.item_attributes"):
        Simulation(bare, PositionBasedModel(eta=1.0), policy, config, seed=0).run(
            ).raise_for_status()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"features": "interaction", "genres": 4}, r"genres == 4.*features: per_user"),
    ({"features": "per_user", "genres": 1}, r"genres == 1.*adds no indicator"),
])
def test_genre_settings_that_would_do_nothing_are_refused(kwargs: dict[str, object],
                                                          message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        FeatureRanker(**kwargs)


def test_genre_codes_beyond_the_indicators_are_refused_with_the_fix() -> None:
    w = world()
    ranker = FeatureRanker(features="per_user", genres=2)
    ranker.use_item_attributes(ItemCatalogue(w))
    with pytest.raises(ConfigError, match=r"genre code 3.*at least 4"):
        ranker.item_genres(np.arange(40))


def pipeline(share: float = 1.0, genres: int = 0) -> LearnedPipeline:
    return LearnedPipeline(
        FactorUpstream(n_factors=2, item_side="attributes", target="genre_rate",
                       train_on="all", share=share, tower_prior="init"),
        FeatureRanker(features="per_user", genres=genres), n=None,
        shadow=FactorUpstream(n_factors=2, item_side="attributes", target="genre_rate",
                              train_on="all", share=0.5))


def test_the_coarse_pipeline_honours_the_contract_and_is_never_handed_the_truth() -> None:
    policy = pipeline()
    assert_policy_ok(policy)
    assert not any(isinstance(p, UsesGroundTruth) for p in components(policy))
    assert policy.ranker_per_user


@pytest.mark.parametrize("genres", [0, 4])
def test_the_loop_splits_a_per_user_rankers_excess_regret_into_the_three_terms(
        genres: int) -> None:
    world = SyntheticWorld(n_users=200, n_items=60, personalization=0.6,
                           item_arrival_rate=0.0, item_attributes=8)
    config = SimulationConfig(horizon=3.0, slate_size=5, tick=0.05, retrain_interval=0.5,
                              snapshot_interval=1.0, progress=False)
    sim = Simulation(world, PositionBasedModel(eta=1.0), pipeline(0.5, genres), config,
                     seed=3)
    sim.run().raise_for_status()
    m: dict[str, list[float]] = {}
    for _, name, value in sim.state.metrics.rows:
        m.setdefault(name, []).append(value)
    total = (np.array(m["upstream_error_window"]) + m["ranker_approximation_error_window"]
             + np.array(m["ranker_estimation_error_window"]))
    np.testing.assert_allclose(total, m["excess_regret_window"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m["excess_regret_window"], m["regret_window"], rtol=1e-9,
                               atol=1e-12)
    assert "shadow_mse_window" in m and m["version_upstream"][-1] >= 4
