"""Pipelines: retrieval then ranking, per-stage versions and schedules, bad input."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import BetaCTR, ClickCount, ImplicitMF, TrueRelevance
from loopsim.policies.pipeline import (
    ClassRetrieval,
    EmbeddingRetrieval,
    EstimatorRetrieval,
    ItemIndex,
    Pipeline,
    RandomRetrieval,
    SwitchedRetrieval,
    faiss_available,
)
from loopsim.policies.selectors import EpsilonGreedySelector, Greedy, SoftmaxSelector
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.checker.testing import assert_policy_ok
from loopsim.simulator.contract.batches import ORGANIC, RECOMMENDED, Feedback, SlateRequest, Slates
from loopsim.simulator.errors import ConfigError, PolicyContractError
from loopsim.simulator.io.impression_log import ImpressionLog

BACKENDS = ["numpy", "faiss"] if faiss_available() else ["numpy"]


def ctr_ranker(selector: object | None = None) -> ComposedPolicy:
    return ComposedPolicy(BetaCTR(), selector or Greedy())


def run(policy: object, horizon: float = 3.0, k: int = 5, log: ImpressionLog | None = None,
        n_items: int = 200, **cfg: float) -> Simulation:
    world = SyntheticWorld(n_users=300, n_items=n_items, personalization=0.6,
                           item_arrival_rate=2.0)
    config = SimulationConfig(horizon=horizon, slate_size=k, tick=0.05,
                              retrain_interval=cfg.pop("retrain_interval", 0.25),
                              snapshot_interval=1.0, progress=False, **cfg)
    sim = Simulation(world, PositionBasedModel(eta=1.0), policy, config, seed=4,
                     impression_log=log)
    sim.run().raise_for_status()
    return sim


def metrics(sim: Simulation) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for _, name, value in sim.state.metrics.rows:
        out.setdefault(name, []).append(value)
    return out


@pytest.mark.parametrize("make", [
    lambda: Pipeline(EstimatorRetrieval(8), ctr_ranker()),
    lambda: Pipeline(RandomRetrieval(8), ctr_ranker(EpsilonGreedySelector(0.2))),
    lambda: Pipeline(EmbeddingRetrieval(8, ImplicitMF(n_factors=4), backend="numpy"),
                     ComposedPolicy(ImplicitMF(n_factors=4), Greedy())),
    lambda: Pipeline(ClassRetrieval(8, ImplicitMF(n_factors=4)), ctr_ranker(SoftmaxSelector())),
    lambda: Pipeline(EstimatorRetrieval(8, TrueRelevance()), ctr_ranker(),
                     ranker_retrain_interval=2.0),
])
def test_check_policy_accepts_pipelines(make: object) -> None:
    assert_policy_ok(make())


def test_pipeline_runs_and_reports_every_stage_metric() -> None:
    sim = run(Pipeline(EmbeddingRetrieval(40, ImplicitMF(n_factors=4)), ctr_ranker()))
    m = metrics(sim)
    for name in ("pool_recall_window", "pool_value_recall_window", "upstream_regret_window",
                 "ranker_regret_window", "ranker_approximation_regret_window",
                 "ranker_estimation_regret_window", "pool_gini_window", "pool_coverage_window",
                 "retrieval_recall_window", "version_retrieval", "version_ranker"):
        assert name in m, name
    assert m["retrieval_recall_window"][-1] == 1.0  # a small catalogue: exact search
    assert 0.0 <= m["pool_recall_window"][-1] <= 1.0


def test_regret_terms_sum_to_the_regret() -> None:
    """With every session sampled by both recorders, the three terms add up exactly."""
    sim = run(Pipeline(EstimatorRetrieval(30), ctr_ranker()), horizon=2.0)
    m = metrics(sim)
    total = (np.array(m["upstream_regret_window"]) + m["ranker_approximation_regret_window"]
             + np.array(m["ranker_estimation_regret_window"]))
    np.testing.assert_allclose(total, m["regret_window"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m["ranker_regret_window"],
                               np.array(m["ranker_approximation_regret_window"])
                               + m["ranker_estimation_regret_window"], atol=1e-12)


def test_oracle_pool_has_no_upstream_regret() -> None:
    sim = run(Pipeline(EstimatorRetrieval(20, TrueRelevance()),
                       ComposedPolicy(TrueRelevance(), Greedy())), horizon=1.0)
    m = metrics(sim)
    assert max(m["upstream_regret_window"]) < 1e-12
    assert max(m["regret_window"]) < 1e-12
    assert min(m["pool_recall_window"]) == 1.0


def test_stage_versions_are_logged_with_every_impression(tmp_path: object) -> None:
    log = ImpressionLog(tmp_path, chunk_rows=5_000)
    policy = Pipeline(EstimatorRetrieval(30), ctr_ranker(), retrieval_retrain_interval=1.0)
    run(policy, log=log)
    frame = pl.read_parquet(sorted(log.files))
    assert {"version_retrieval", "version_ranker"} <= set(frame.columns)
    organic = frame.filter(pl.col("source") == ORGANIC)  # found by users: no stage served it
    assert organic.height > 0 and (organic["version_retrieval"] == -1).all()
    frame = frame.filter(pl.col("source") == RECOMMENDED)
    per_day = frame.group_by((pl.col("t").floor()).alias("day")).agg(
        pl.col("version_retrieval").n_unique().alias("retrieval"),
        pl.col("version_ranker").n_unique().alias("ranker")).sort("day")
    # the ranker retrains at every update (4 a day), the retrieval once a day
    assert per_day["retrieval"].max() <= 2 and per_day["ranker"].max() >= 4
    assert frame["version_retrieval"].is_sorted() and frame["version_ranker"].is_sorted()


def test_stage_schedules_train_each_stage_on_its_own_cadence() -> None:
    policy = Pipeline(EstimatorRetrieval(30), ctr_ranker(), retrieval_retrain_interval=1.0,
                      ranker_train_until=1.0)
    sim = run(policy, horizon=3.0)
    stages = policy.stage_metrics()
    assert stages["trainings_retrieval"] == 4  # days 0.25 (first data), 1, 2 and 3 (the end)
    assert stages["trainings_ranker"] == 4  # 0.25, 0.5, 0.75, 1.0, then kept
    assert sim.state.recorder.sessions > 0


def test_plain_feedback_has_no_versions_and_joins_with_versioned() -> None:
    plain = Feedback.from_slates(np.zeros(2), np.arange(2), Slates(np.ones((2, 3), np.int64)),
                                 np.zeros((2, 3), bool), np.zeros((2, 3)))
    tagged = Feedback.from_slates(np.zeros(1), np.arange(1),
                                  Slates(np.ones((1, 3), np.int64), versions={"ranker": 7}),
                                  np.zeros((1, 3), bool), np.zeros((1, 3)))
    assert plain.versions is None
    joined = Feedback.concat([plain, tagged])
    assert joined.versions["ranker"].tolist() == [-1] * 6 + [7] * 3


def _request(n_items: int = 50, k: int = 5, batch: int = 4) -> SlateRequest:
    return SlateRequest(1.0, np.arange(batch, dtype=np.int64),
                        np.arange(n_items, dtype=np.int64), k, np.random.default_rng(0))


def test_pool_smaller_than_the_slate_names_the_stage_and_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"stage `retrieval`.*n == 3.*slate_size == 5.*Fix: "
                                          r"set policy.retrieval.n >= 5"):
        Pipeline(EstimatorRetrieval(3), ctr_ranker()).rank(_request())


def test_pool_larger_than_the_catalogue_names_the_stage_and_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"stage `retrieval`.*n == 80.*50 items.*Fix: set "
                                          r"policy.retrieval.n <= 50"):
        Pipeline(RandomRetrieval(80), ctr_ranker()).rank(_request())


class OutsideSelector:
    """A broken selector: always serves item 0, whatever the candidates."""

    def select(self, request: SlateRequest, estimator: object) -> Slates:
        row = np.arange(request.k, dtype=np.int64) + int(request.candidates.max()) + 1
        return Slates(np.broadcast_to(row, (request.batch_size, request.k)))


@pytest.mark.parametrize("retrieval", [EstimatorRetrieval(10), RandomRetrieval(10)])
def test_ranker_outside_the_pool_names_the_stage(retrieval: object) -> None:
    with pytest.raises(PolicyContractError, match=r"stage `ranker`.*outside the retrieved "
                                                  r"pool.*Fix:"):
        Pipeline(retrieval, ctr_ranker(OutsideSelector())).rank(_request())


def test_index_for_another_catalogue_names_the_stage_and_the_fix() -> None:
    stage = EmbeddingRetrieval(10, ImplicitMF(n_factors=4))
    stage.estimator.update(Feedback.from_slates(
        np.zeros(3), np.arange(3), Slates(np.arange(15, dtype=np.int64).reshape(3, 5)),
        np.ones((3, 5), bool), np.ones((3, 5))))
    other = np.arange(40, dtype=np.int64)
    stage.use_index(ItemIndex(other, stage.estimator.item_factors(other), stage.version))
    with pytest.raises(ConfigError, match=r"stage `retrieval`.*built for a catalogue of 40 "
                                          r"items.*50 candidates.*Fix: rebuild"):
        Pipeline(stage, ctr_ranker()).rank(_request())


@pytest.mark.parametrize("backend", BACKENDS)
def test_exact_index_is_the_exact_top_n(backend: str) -> None:
    rng = np.random.default_rng(1)
    items = np.arange(0, 3000, 3, dtype=np.int64)
    vectors = rng.standard_normal((items.size, 8))
    vectors[::7] = 0.0  # items without an embedding (never clicked under mf) score 0
    queries = rng.standard_normal((20, 8))
    index = ItemIndex(items, vectors, 1, kind="exact", backend=backend)
    got = index.search(queries, 50, items, np.random.default_rng(2))
    assert index.recall(queries, got) == 20.0
    assert all(np.unique(row).size == 50 for row in got)
    np.testing.assert_array_equal(np.sort(got, axis=1), np.sort(index.exact(queries, 50), 1))


@pytest.mark.skipif(not faiss_available(), reason="faiss is not installed (the retrieval extra)")
def test_approximate_index_recall_and_rebuilds_follow_the_model() -> None:
    rng = np.random.default_rng(3)
    items = np.arange(20_000, dtype=np.int64)
    centres = rng.standard_normal((50, 8))
    vectors = centres[rng.integers(0, 50, items.size)] + 0.3 * rng.standard_normal((items.size, 8))
    queries = rng.standard_normal((200, 8))
    index = ItemIndex(items, vectors, 1, kind="approximate", nprobe=64, nlist=128)
    got = index.search(queries, 100, items)
    assert index.recall(queries, got) / 200 >= 0.9
    with pytest.raises(ConfigError, match="catalogue of 20000 items"):
        index.search(queries, 100, items[:-1])


def test_embedding_index_is_rebuilt_at_every_model_version() -> None:
    stage = EmbeddingRetrieval(20, ImplicitMF(n_factors=4))
    run(Pipeline(stage, ctr_ranker()), horizon=2.0)
    assert stage.rebuilds >= stage._index.version  # one per served version (at least)
    assert stage._index.version >= stage.version - 1  # the last training is at the end


@pytest.mark.parametrize("backend", BACKENDS)
def test_index_extended_by_new_items_without_embedding_equals_a_rebuilt_one(
        backend: str) -> None:
    rng = np.random.default_rng(4)
    items = np.arange(0, 600, dtype=np.int64)
    vectors = rng.standard_normal((items.size, 6))
    vectors[::5] = 0.0
    grown = np.arange(0, 640, dtype=np.int64)
    grown_vectors = np.vstack([vectors, np.zeros((40, 6))])
    queries = rng.standard_normal((30, 6))
    index = ItemIndex(items, vectors, 1, kind="exact", backend=backend)
    assert not index.extend(grown, np.ones((40, 6)))  # embedded newcomers: rebuild
    assert not index.extend(grown[1:], np.zeros((39, 6)))  # not a prefix: rebuild
    assert index.extend(grown, np.zeros((40, 6)))
    rebuilt = ItemIndex(grown, grown_vectors, 1, kind="exact", backend=backend)
    np.testing.assert_array_equal(index.search(queries, 150, grown, np.random.default_rng(5)),
                                  rebuilt.search(queries, 150, grown, np.random.default_rng(5)))


def test_switched_retrieval_changes_model_and_version_at_the_switch() -> None:
    stage = SwitchedRetrieval(EstimatorRetrieval(20), EstimatorRetrieval(20, BetaCTR()), at=1.2)
    policy = Pipeline(stage, ctr_ranker())
    before = policy.rank(_request())
    v0 = before.versions["retrieval"]
    after = policy.rank(SlateRequest(1.5, np.arange(4, dtype=np.int64),
                                     np.arange(50, dtype=np.int64), 5, np.random.default_rng(0)))
    assert stage.active is stage.after and after.versions["retrieval"] > v0


def test_fresh_ranker_forgets_what_it_learned_before() -> None:
    policy = Pipeline(EstimatorRetrieval(30), ctr_ranker(), ranker_fresh_after=1.0)
    run(policy, horizon=1.5)
    counts = policy.ranker.estimator._counts
    assert counts.version > 0  # trained again after day 1
    assert policy.ranker is not None


def test_random_pool_propensities_are_inclusion_times_within_pool() -> None:
    policy = Pipeline(RandomRetrieval(10), ComposedPolicy(ClickCount(), Greedy()))
    slates = policy.rank(_request(n_items=50))
    np.testing.assert_allclose(slates.propensities, 10 / 50)


@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_embedding_fill_is_uniform_and_distinct(backend: str) -> None:
    """Pools longer than the items with an embedding are completed by a uniform draw of
    the items of zero embedding (they tie at 0), distinct within a row."""
    rng = np.random.default_rng(4)
    items = np.arange(60, dtype=np.int64)
    vectors = np.zeros((60, 4))
    vectors[:10] = np.abs(rng.standard_normal((10, 4)))  # 10 items score > 0 for q >= 0
    queries = np.abs(rng.standard_normal((6000, 4)))
    index = ItemIndex(items, vectors, 1, kind="exact", backend=backend)
    got = index.search(queries, 15, items, np.random.default_rng(5))
    assert all(np.unique(row).size == 15 for row in got)
    assert np.all(np.sort(got[:, :10], axis=1) == np.arange(10))
    counts = np.bincount(got[:, 10:].ravel(), minlength=60)[10:]
    expected = 6000 * 5 / 50
    assert np.abs(counts - expected).max() < 5 * np.sqrt(expected)


@pytest.mark.skipif(not faiss_available(), reason="faiss is not installed (the retrieval extra)")
def test_approximate_rows_short_of_items_probe_more_cells_not_the_whole_catalogue() -> None:
    rng = np.random.default_rng(6)
    items = np.arange(8_000, dtype=np.int64)
    vectors = rng.standard_normal((items.size, 8))
    queries = rng.standard_normal((40, 8))
    queries[20:] = queries[0]  # equal queries (users without clicks) are searched once
    index = ItemIndex(items, vectors, 1, kind="approximate", nlist=64, nprobe=1)
    index.exact = None  # type: ignore[method-assign]  # never scored whole
    got = index.search(queries, 400, items)  # one cell holds ~125 items: every row short
    assert all(np.unique(row).size == 400 for row in got)
    np.testing.assert_array_equal(got[20:], np.broadcast_to(got[0], (20, 400)))
    assert index.recall(queries, got) / 40 >= 0.5


def test_distinct_rows_find_equal_rows_and_map_every_row_back() -> None:
    from loopsim.policies.pipeline.index import _distinct_rows

    q = np.array([[1.0, 2.0], [0.0, 0.5], [1.0, 2.0], [0.0, 0.5], [3.0, 3.0]], np.float32)
    first, inverse = _distinct_rows(q)
    assert first.size == 3
    np.testing.assert_array_equal(q[first][inverse], q)
    first, inverse = _distinct_rows(q[[0, 1, 4]])
    np.testing.assert_array_equal(first, [0, 1, 2])
