"""The start-up period of random slates and the reward metrics of every run."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import (
    ConfigError,
    Feedback,
    PositionBasedModel,
    Simulation,
    SimulationConfig,
    SlateRequest,
    Slates,
    SyntheticWorld,
)
from loopsim.simulator.metrics import gini

from tests.builtins import make_policy


class _Recording:
    """Ranks the first k candidates; records when it ranks and what it learns."""

    def __init__(self) -> None:
        self.rank_times: list[float] = []
        self.update_times: list[float] = []

    def rank(self, request: SlateRequest) -> Slates:
        self.rank_times.append(request.t)
        row = request.candidates[: request.k]
        return Slates(np.broadcast_to(row, (request.batch_size, request.k)))

    def update(self, feedback: Feedback) -> None:
        if len(feedback):
            self.update_times.append(float(feedback.t.max()))


def _world() -> SyntheticWorld:
    return SyntheticWorld(n_users=200, n_items=50, item_arrival_rate=0.0)


def test_startup_days_serve_random_slates_and_the_policy_still_learns() -> None:
    policy = _Recording()
    cfg = SimulationConfig(horizon=4.0, tick=0.1, startup_days=2.0, cold_start="random",
                           progress=False)
    result = Simulation(_world(), PositionBasedModel(), policy, cfg, seed=0).run()
    result.raise_for_status()
    assert min(policy.rank_times) >= 2.0 - 1e-9
    assert min(policy.update_times) < 2.0
    # random slates during start-up expose far more than the fixed top-10 of the policy
    assert (result.items["exposure"].to_numpy() > 0).sum() == 50


def test_startup_days_must_be_non_negative() -> None:
    with pytest.raises(ConfigError, match="startup_days"):
        SimulationConfig(startup_days=-1.0).validate()


def test_reward_metrics_equal_click_metrics_without_conversion() -> None:
    cfg = SimulationConfig(horizon=3.0, progress=False)
    policy = make_policy("popularity")
    result = Simulation(_world(), PositionBasedModel(), policy, cfg, seed=1).run()
    m = result.metrics
    last = dict(zip(*[m.filter(m["t"] == 3.0)[c].to_list() for c in ("metric", "value")],
                    strict=True))
    assert last["gini_reward"] == pytest.approx(last["gini_clicks"])
    assert last["top10_share_reward"] == pytest.approx(last["top10_share_clicks"])
    items = result.items
    np.testing.assert_array_equal(items["reward"].to_numpy(), items["clicks"].to_numpy())
    assert last["gini_reward"] == pytest.approx(gini(items["reward"].to_numpy()))
    assert 0 < last["reward_per_session_window"] < 10
