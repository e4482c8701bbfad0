"""The organic channel and the cold-start modes (issue 12, items 2 and 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import BetaCTR, ClickCount
from loopsim.policies.selectors import Greedy
from loopsim.simulator import ConfigError, Feedback, PositionBasedModel, Simulation, SyntheticWorld
from loopsim.simulator.contract.batches import ORGANIC
from loopsim.simulator.io.impression_log import ImpressionLog
from loopsim.simulator.loop.config import SimulationConfig
from loopsim.simulator.world.organic_choice import organic_items


def popularity(organic: bool = True) -> ComposedPolicy:
    """Greedy by cumulative clicks (``policy=popularity``)."""
    return ComposedPolicy(ClickCount(organic), Greedy())


class Logging(ComposedPolicy):
    """Popularity that keeps every batch it learns from."""

    def __init__(self) -> None:
        super().__init__(ClickCount(), Greedy())
        self.seen: list[Feedback] = []
        self.ranked_at: list[float] = []

    def update(self, feedback: Feedback) -> None:
        self.seen.append(Feedback.concat([feedback]))
        super().update(feedback)

    def rank(self, request):  # type: ignore[no-untyped-def]
        self.ranked_at.append(request.t)
        return super().rank(request)


def _run(policy: object, organic: float = 0.5, **cfg: object) -> object:
    world = SyntheticWorld(n_users=200, n_items=60, item_arrival_rate=1.0, organic=organic)
    config = SimulationConfig(horizon=4.0, progress=False, **cfg)  # type: ignore[arg-type]
    result = Simulation(world, PositionBasedModel(), policy, config, seed=2).run()
    result.raise_for_status()
    return result


def test_organic_rows_are_logged_with_their_source_and_counted_apart() -> None:
    policy = Logging()
    result = _run(policy)
    log = Feedback.concat(policy.seen)
    organic = log.source == ORGANIC
    assert organic.any() and (~organic).any()
    assert (log.rank[organic] == 0).all() and log.click[organic].all()
    assert (log.rank[~organic] >= 1).all()
    # ~0.5 organic sessions per recommended session
    sessions = (~organic).sum() / 10
    assert 0.35 < organic.sum() / sessions < 0.65
    names = set(result.metrics["metric"].to_list())
    assert {"gini_organic", "gini_consumption", "organic_window", "turnover_window"} <= names
    items = result.items
    assert items["organic"].sum() == organic.sum()
    # exposure counts the recommended slates only
    assert items["exposure"].sum() == (~organic).sum()


def test_closed_loop_has_no_organic_rows() -> None:
    policy = Logging()
    result = _run(policy, organic=0.0)
    assert not Feedback.concat(policy.seen).source.any()
    assert "gini_organic" not in set(result.metrics["metric"].to_list())


def test_popularity_learns_from_organic_rows_and_ctr_skips_them() -> None:
    fb = Feedback(t=np.zeros(3), user=np.zeros(3, dtype=np.int64),
                  item=np.array([4, 4, 2]), rank=np.array([0, 0, 1], dtype=np.int16),
                  click=np.array([True, True, False]), reward=np.ones(3, dtype=np.float32),
                  propensity=np.ones(3, dtype=np.float32),
                  source=np.array([ORGANIC, ORGANIC, 0], dtype=np.int8))
    pop = popularity()
    pop.update(fb)
    np.testing.assert_array_equal(pop.item_scores(np.array([2, 4])), [0, 2])
    closed = popularity(organic=False)
    closed.update(fb)
    np.testing.assert_array_equal(closed.item_scores(np.array([2, 4])), [0, 0])
    ctr = ComposedPolicy(BetaCTR(prior_mean=0.5, prior_strength=2.0), Greedy())
    ctr.update(fb)
    np.testing.assert_allclose(ctr.item_scores(np.array([2, 4])), [1 / 3, 0.5])


def test_organic_choice_follows_relevance() -> None:
    world = SyntheticWorld(n_users=5, n_items=4, personalization=0.0)
    world.reset(np.random.default_rng(0))
    cand = np.arange(4)
    picks = organic_items(world, np.zeros(40_000, dtype=np.int64), cand,
                          np.random.default_rng(1))
    rel = world.relevance(np.zeros(1, dtype=np.int64), cand)[0]
    np.testing.assert_allclose(np.bincount(picks, minlength=4) / 40_000, rel / rel.sum(),
                               atol=0.01)
    personal = SyntheticWorld(n_users=3, n_items=4, personalization=0.9)
    personal.reset(np.random.default_rng(0))
    users = np.repeat(np.arange(3), 20_000)
    picks = organic_items(personal, users, cand, np.random.default_rng(2), sharpness=2.0)
    for u in range(3):
        rel = personal.relevance(np.array([u]), cand)[0] ** 2
        freq = np.bincount(picks[users == u], minlength=4) / 20_000
        np.testing.assert_allclose(freq, rel / rel.sum(), atol=0.015)


def test_organic_cold_start_serves_no_slate_during_start_up() -> None:
    policy = Logging()
    _run(policy, cold_start="organic", startup_days=1.0)
    assert min(policy.ranked_at) >= 1.0 - 1e-9
    first = policy.seen[0]
    assert first.t.max() < 1.0 and (first.source == ORGANIC).all()


def test_history_cold_start_reads_a_logged_run(tmp_path: Path) -> None:
    log = ImpressionLog(tmp_path / "impressions", chunk_rows=1000)
    world = SyntheticWorld(n_users=100, n_items=30, item_arrival_rate=0.0)
    config = SimulationConfig(horizon=1.0, progress=False)
    Simulation(world, PositionBasedModel(), popularity(), config, seed=1,
               impression_log=log).run().raise_for_status()
    policy = Logging()
    _run(policy, cold_start="history", history_path=str(tmp_path / "impressions"))
    first = policy.seen[0]
    assert len(first) == log.rows_written and (first.t <= 1.0).all()
    assert (first.source == ORGANIC).any()


@pytest.mark.parametrize(("fields", "match"), [
    ({"cold_start": "warm"}, "cold_start == 'warm'"),
    ({"cold_start": "random"}, "startup_days > 0"),
    ({"cold_start": "history"}, "needs `history_path`"),
    ({"startup_days": 2.0}, "needs cold_start=random"),
    ({"history_path": "x.parquet"}, "only read with cold_start=history"),
])
def test_cold_start_settings_are_checked(fields: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        SimulationConfig(**fields).validate()


def test_history_path_that_does_not_exist_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no Parquet file there"):
        _run(Logging(), cold_start="history", history_path=str(tmp_path / "none"))
