"""A policy that raises mid-run: the error names it and the time; nothing recorded is lost."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import ClickCount
from loopsim.policies.selectors import Greedy
from loopsim.simulator import (
    Feedback,
    PolicyRuntimeError,
    PositionBasedModel,
    Simulation,
    SimulationConfig,
    SyntheticWorld,
)


class CrashesLate(ComposedPolicy):
    """Popularity that raises in update at its update at t = 2.5 days."""

    def __init__(self) -> None:
        super().__init__(ClickCount(), Greedy())

    def update(self, feedback: Feedback) -> None:
        if len(feedback) and feedback.t.max() > 2.45:
            raise ZeroDivisionError("division by zero in my estimator")
        super().update(feedback)


def run(policy: object) -> object:
    world = SyntheticWorld(n_users=60, n_items=40, item_arrival_rate=1.0)
    config = SimulationConfig(horizon=5.0, tick=0.1, slate_size=5, progress=False)
    return Simulation(world, PositionBasedModel(), policy, config, seed=1,
                      policy_name="crashy").run()


def test_policy_error_names_policy_method_and_time() -> None:
    result = run(CrashesLate())
    assert result.status == "failed"
    assert isinstance(result.error, PolicyRuntimeError)
    assert isinstance(result.error.__cause__, ZeroDivisionError)
    message = str(result.error)
    assert message.startswith("Policy crashy raised ZeroDivisionError in update() at t=2.5")
    assert "division by zero in my estimator" in message
    with pytest.raises(PolicyRuntimeError, match=r"crashy .* at t=2\.5"):
        result.raise_for_status()


def test_metrics_up_to_the_failure_are_kept() -> None:
    result = run(CrashesLate())
    times = np.unique(result.metrics["t"].to_numpy())
    np.testing.assert_array_equal(times, [1.0, 2.0])
    assert result.summary["status"] == "failed"
    assert result.summary["final_t"] == 2.0
    assert result.summary["error"]["type"] == "PolicyRuntimeError"
    assert result.summary["error"]["t"] == pytest.approx(2.5)
    assert result.summary["impressions"] > 0
    assert result.items["exposure"].sum() == result.summary["impressions"]
