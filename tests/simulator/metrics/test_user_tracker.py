"""The consumption tracker behind homogenization and user entropy, on hand-made batches."""

from __future__ import annotations

import math

import numpy as np
import pytest
from loopsim.simulator.contract.world import HasPreferences
from loopsim.simulator.metrics.user_tracker import (
    UserConsumption,
    preference_drift,
    sample_user_pairs,
)


def test_sampled_pairs_are_of_distinct_users_in_range() -> None:
    pairs = sample_user_pairs(5, 400, np.random.default_rng(0))
    assert pairs.shape == (400, 2)
    assert (pairs[:, 0] != pairs[:, 1]).all()
    assert pairs.min() >= 0 and pairs.max() <= 4
    assert len({tuple(p) for p in pairs.tolist()}) == 20  # every ordered pair appears


def test_no_pairs_in_a_population_of_one() -> None:
    assert sample_user_pairs(1, 10, np.random.default_rng(0)).shape == (0, 2)


class FixedPairs(UserConsumption):
    """A tracker whose pairs are given (to test against hand-computed values)."""

    def __init__(self, n_users: int, pairs: np.ndarray) -> None:
        super().__init__(n_users, np.random.default_rng(0), n_pairs=len(pairs))
        self._fixed = pairs

    def _start(self) -> None:
        super()._start()
        self._pairs = self._fixed
        self._tracked[:] = False
        self._tracked[self._fixed.reshape(-1)] = True


def test_tracker_keeps_only_clicks_of_tracked_users_and_accumulates_sets() -> None:
    tracker = FixedPairs(10, np.array([[0, 1]]))
    users = np.array([0, 1, 5])
    items = np.array([[3, 4], [4, 7], [3, 4]])
    clicks = np.array([[True, True], [True, False], [True, True]])
    tracker.record(users, items, clicks)
    first = tracker.snapshot()
    # {3, 4} vs {4}: 1/2; user 5 is not tracked; user 0 consumed 2 distinct items.
    assert first["homogenization"] == pytest.approx(0.5)
    assert first["user_entropy_window"] == pytest.approx(1.0)
    tracker.record(np.array([1, 1]), np.array([[3, 9], [3, 9]]), np.array([[True, False]] * 2))
    second = tracker.snapshot()
    # cumulative {3, 4} vs {3, 4}: 1; window: user 1 clicked item 3 twice -> entropy 0.
    assert second["homogenization"] == pytest.approx(1.0)
    assert second["user_entropy_window"] == 0.0
    third = tracker.snapshot()
    assert third["homogenization"] == pytest.approx(1.0)
    assert math.isnan(third["user_entropy_window"])


def test_tracker_accepts_a_broadcast_slate() -> None:
    tracker = FixedPairs(4, np.array([[2, 3]]))
    row = np.array([5, 6, 7])
    items = np.broadcast_to(row, (3, 3))
    clicks = np.array([[True, False, False], [False, True, False], [False, False, True]])
    tracker.record(np.array([2, 3, 2]), items, clicks)
    # user 2: {5, 7}; user 3: {6} -> Jaccard 0
    assert tracker.snapshot()["homogenization"] == 0.0


def test_preference_drift_only_for_worlds_with_preferences() -> None:
    class NoPreferences:
        pass

    class Drifted:
        initial_preferences = np.array([[1.0, 0.0]])
        preferences = np.array([[0.0, 1.0]])

    assert not isinstance(NoPreferences(), HasPreferences)  # no drift_distance metric
    assert isinstance(Drifted(), HasPreferences)
    assert preference_drift(Drifted()) == pytest.approx(math.sqrt(2))


def test_user_metrics_leave_every_other_metric_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pairs come from a spawned child stream: the metric stream's draws are intact."""
    import polars as pl
    from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
    from loopsim.simulator.contract.batches import SlateRequest, Slates

    class Shuffle:
        def rank(self, request: SlateRequest) -> Slates:
            keys = request.rng.random((request.batch_size, request.candidates.size))
            return Slates(request.candidates[np.argsort(keys, axis=1)[:, : request.k]])

        def update(self, feedback: object) -> None:
            pass

    def run() -> pl.DataFrame:
        world = SyntheticWorld(n_users=200, n_items=50, personalization=0.5)
        # 200 sessions a day, 20 sampled: the quality metrics draw from the metrics stream
        config = SimulationConfig(horizon=3, quality_sessions_per_day=20, progress=False)
        return Simulation(world, PositionBasedModel(), Shuffle(), config, seed=5).run().metrics

    with_users = run()
    monkeypatch.setattr(UserConsumption, "record", lambda self, *a: None)
    deferred: list[int] = []  # the snapshots deferred without user metrics

    def snapshot(self: UserConsumption, defer: bool = False) -> dict[str, float]:
        deferred.append(int(defer))
        return {}

    def resolve(self: UserConsumption) -> list[dict[str, float]]:
        out = [{} for _ in range(sum(deferred))]
        deferred.clear()
        return out

    monkeypatch.setattr(UserConsumption, "snapshot", snapshot)
    monkeypatch.setattr(UserConsumption, "names", lambda self: ())
    monkeypatch.setattr(UserConsumption, "resolve", resolve)
    without = run()
    names = {"homogenization", "user_entropy_window"}
    assert names <= set(with_users["metric"].to_list())
    assert with_users.filter(~pl.col("metric").is_in(list(names))).equals(without)


def test_similar_pairs_give_homogenization_nn_beside_the_random_pairs() -> None:
    from loopsim.simulator.metrics.user_tracker import UserConsumption

    tracker = UserConsumption(4, np.random.default_rng(0), n_pairs=0,
                              similar_pairs=lambda: np.array([[0, 1], [2, 3]]))
    tracker.record(np.array([0, 1, 2, 3]), np.array([[5], [5], [6], [7]]),
                   np.ones((4, 1), dtype=bool))
    out = tracker.snapshot()
    assert out["homogenization_nn"] == pytest.approx(0.5)  # {5} vs {5}: 1; {6} vs {7}: 0
    assert math.isnan(out["homogenization"])  # no random pair
    plain = UserConsumption(4, np.random.default_rng(0), n_pairs=3)
    plain.record(np.array([0]), np.array([[5]]), np.ones((1, 1), dtype=bool))
    assert "homogenization_nn" not in plain.snapshot()
