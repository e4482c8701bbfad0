"""The per-user ideal-slate cache (simulator/metrics/ideal_slates.py) changes no metric value
(bit for bit)."""

from __future__ import annotations

import loopsim.simulator.metrics.ideal_slates as ideal_slates
import numpy as np
import pytest
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.contract.batches import Feedback, Slates

from tests.builtins import make_policy


def _run(arrivals: float):
    world = SyntheticWorld(n_users=150, n_items=80, item_arrival_rate=arrivals)
    cfg = SimulationConfig(horizon=6.0, progress=False)
    return Simulation(world, PositionBasedModel(), make_policy("popularity"), cfg, seed=4).run()


@pytest.mark.parametrize("arrivals", [0.0, 3.0])
def test_cached_ideal_gives_the_same_metrics(arrivals: float,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cached = _run(arrivals)
    monkeypatch.setattr(ideal_slates, "_USER_CACHE", 0)  # every user over the cap: no cache
    fresh = _run(arrivals)
    assert cached.metrics["value"].drop_nans().len() > 0
    # Same rows; values to rounding: a BLAS product's last bits depend on how many rows
    # it scores at once (bit-identity is checked on ExactWorld below).
    assert cached.metrics.drop("value").equals(fresh.metrics.drop("value"))
    np.testing.assert_allclose(cached.metrics["value"].to_numpy(),
                               fresh.metrics["value"].to_numpy(), rtol=1e-12, atol=1e-14)


def test_cache_is_dropped_when_the_world_changes() -> None:
    result = _run(3.0)
    assert result.status == "completed"


class ExactWorld(SyntheticWorld):
    """Relevance without rounding: tastes and features in {0, ±1/2} with at most two
    non-zero entries, qualities in multiples of 1/64, so every product and sum is exact
    and a user's relevance for an item does not depend on the shape of the request
    (a BLAS matrix product rounds the last bit differently for narrow products)."""

    def reset(self, rng):
        super().reset(rng)
        self._preferences[:] = _dyadic(self._preferences)
        self._initial_preferences = self._preferences.copy()
        self._mean_preference = self._preferences.mean(axis=0)

    def add_items(self, n, rng):
        ids = super().add_items(n, rng)
        self._features[ids] = _dyadic(self._features[ids])
        self._quality[ids] = np.round(self._quality[ids] * 64) / 64
        return ids


class NoRelevanceVersion(ExactWorld):
    """The same world without ``relevance_version``: new items drop the cache."""

    relevance_version = None


def _dyadic(v):
    out = np.zeros_like(v)
    top = np.argsort(-np.abs(v), axis=1)[:, :2]
    rows = np.arange(v.shape[0])[:, None]
    out[rows, top] = 0.5 * np.sign(v[rows, top])
    return out


def _run_world(world, policy=None, horizon=8.0):
    cfg = SimulationConfig(horizon=horizon, progress=False)
    policy = policy or make_policy("popularity")
    return Simulation(world, PositionBasedModel(), policy, cfg, seed=2).run()


@pytest.mark.parametrize(("kwargs", "carried"), [
    ({"item_arrival_rate": 6.0}, True),
    ({"item_arrival_rate": 6.0, "item_lifetime": 3.0}, True),  # expiries drop it
    ({"item_arrival_rate": 6.0, "drift": 0.1}, False),  # drift drops it at every batch
])
def test_new_items_merged_into_the_cache_give_identical_metrics(
        kwargs: dict, carried: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"carried": 0}
    extend = ideal_slates.IdealSlates._extend

    def spy(self, *args):
        out = extend(self, *args)
        calls["carried"] += out is not None
        return out

    monkeypatch.setattr(ideal_slates.IdealSlates, "_extend", spy)
    params = {"n_users": 120, "n_items": 60, **kwargs}
    merged = _run_world(ExactWorld(**params))
    assert (calls["carried"] > 0) == carried  # new items merged into the cached table
    dropped = _run_world(NoRelevanceVersion(**params))
    monkeypatch.setattr(ideal_slates, "_USER_CACHE", 0)
    fresh = _run_world(ExactWorld(**params))
    assert merged.metrics["value"].drop_nans().len() > 0
    assert merged.metrics.equals(dropped.metrics)
    assert merged.metrics.equals(fresh.metrics)


def test_relevance_version_moves_with_drift_but_not_with_new_items() -> None:
    world = SyntheticWorld(n_users=5, n_items=4, drift=0.5)
    world.reset(np.random.default_rng(0))
    before = (world.version, world.relevance_version)
    world.add_items(2, np.random.default_rng(1))
    assert world.version > before[0] and world.relevance_version == before[1]
    world.observe(Feedback.from_slates(
        np.zeros(1), np.array([0]), Slates(np.array([[0, 1]])), np.array([[True, False]]), None))
    assert world.relevance_version > before[1]
