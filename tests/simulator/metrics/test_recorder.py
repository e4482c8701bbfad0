"""The recorder's counters: what it refuses and what it counts once."""

from __future__ import annotations

import dataclasses

import loopsim.simulator.metrics.recorder as recorder
import numpy as np
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.contract.batches import Slates
from loopsim.simulator.metrics.batch_counts import count_batch

from tests.builtins import make_policy


class RewardsWithoutClicks(PositionBasedModel):
    """A (wrong) click model that rewards every impression, clicked or not."""

    def sample(self, relevance: np.ndarray, rng: np.random.Generator):
        clicks, _ = super().sample(relevance, rng)
        return clicks, np.ones(relevance.shape, dtype=np.float32)


def test_a_reward_without_a_click_is_refused_naming_the_click_model() -> None:
    world = SyntheticWorld(n_users=50, n_items=30)
    cfg = SimulationConfig(horizon=1.0, progress=False)
    result = Simulation(world, RewardsWithoutClicks(), make_policy("popularity"), cfg,
                        seed=1).run()
    assert result.status == "failed"
    message = str(result.error)
    assert "RewardsWithoutClicks" in message and "not clicked" in message
    assert "return 0 where `clicks` is False" in message


def test_fixed_columns_of_constructed_slates_count_the_same_exposure() -> None:
    world = SyntheticWorld(n_users=20, n_items=12)
    rng = np.random.default_rng(0)
    fixed = np.array([3, 7, 1])
    items = np.empty((6, 5), dtype=np.int64)
    for row in items:  # the same 3 ids first (in any order), then 2 drawn per row
        row[:3] = rng.permutation(fixed)
        row[3:] = rng.choice([0, 2, 4, 5, 6, 8], 2, replace=False)
    users = np.arange(6)
    clicks = rng.random((6, 5)) < 0.3
    relevance = np.full((6, 5), 0.5)
    counted = []
    for slates in (Slates(items), Slates.by_construction(items, fixed_columns=3)):
        rec = recorder.MetricsRecorder(world, PositionBasedModel(), 5, 0.0,
                                       np.random.default_rng(1))
        rec.record(users, slates, clicks, relevance, np.arange(12))
        counted.append(rec.exposure.copy())
    np.testing.assert_array_equal(counted[0], counted[1])
    assert counted[0][fixed].tolist() == [6, 6, 6]


def test_per_item_totals_count_what_the_per_id_path_counts() -> None:
    """The engine's dense totals and the id-by-id path give the same counters: plain and
    shared slates, built-in fixed columns, rewards of 1 and rewards other than 1."""
    world = SyntheticWorld(n_users=40, n_items=10)
    rng = np.random.default_rng(5)
    b, k, n = 30, 4, 10
    plain = np.stack([rng.choice(n, k, replace=False) for _ in range(b)])
    fixed = plain.copy()
    fixed[:, :2] = [6, 2]
    fixed[:, 2:] = np.stack([rng.choice([0, 1, 3, 4, 5, 7, 8, 9], 2, replace=False)
                             for _ in range(b)])
    batches = [Slates(plain), Slates.by_construction(fixed, fixed_columns=2),
               Slates(np.broadcast_to(plain[0], (b, k)))]
    for slates in batches:
        clicks = rng.random((b, k)) < 0.4
        for rewards in (None, np.where(clicks, rng.integers(1, 4, (b, k)), 0)):
            counters = []
            for dense in (True, False):
                rec = recorder.MetricsRecorder(world, PositionBasedModel(), k, 0.0,
                                               np.random.default_rng(1))
                counts = count_batch(slates, clicks, n)
                assert counts.totals is not None  # b * k >= n: counted densely
                if not dense:
                    counts = dataclasses.replace(counts, totals=None)
                rec.record(np.arange(b), slates, clicks, np.full((b, k), 0.5),
                           np.arange(n), rewards, counts=counts)
                counters.append([rec.exposure.copy(), rec.clicks.copy(),
                                 rec.reward.copy(), rec.exposure_window.copy()])
            for dense_counts, per_id in zip(*counters, strict=True):
                np.testing.assert_array_equal(dense_counts, per_id)
