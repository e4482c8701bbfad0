"""The loop end to end on tiny worlds: timing, delays, determinism, failures."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies import Random
from loopsim.simulator import (
    ConfigError,
    Feedback,
    PolicyContractError,
    PolicyRuntimeError,
    SlateRequest,
    Slates,
)

from tests.builtins import make_policy
from tests.conftest import run_sim, tiny_world


class Recording:
    """A random policy that records every request and update it receives."""

    def __init__(self, inner: object | None = None) -> None:
        self.requests: list[tuple[float, int, int]] = []
        self.updates: list[tuple[float, float, int]] = []
        self._inner = inner if inner is not None else Random()
        self.now = 0.0

    def rank(self, request: SlateRequest) -> Slates:
        self.now = request.t
        self.requests.append((request.t, request.batch_size, request.candidates.size))
        return self._inner.rank(request)

    def update(self, feedback: Feedback) -> None:
        self.updates.append((self.now, float(feedback.t.max()), len(feedback)))


def test_runs_and_records_every_snapshot() -> None:
    result = run_sim(make_policy("popularity"), horizon=5.0, snapshot_interval=1.0)
    assert result.status == "completed"
    assert sorted(result.metrics["t"].unique().to_list()) == [1.0, 2.0, 3.0, 4.0, 5.0]
    names = set(result.metrics["metric"].to_list())
    for name in ("gini_exposure", "gini_clicks", "gini_exposure_window", "entropy_exposure",
                 "top10_share_exposure", "coverage_window", "tau_popularity", "tau_scores",
                 "spearman_popularity", "precision_at_k", "ndcg_window",
                 "expected_clicks_window", "regret_window", "rank_error_head",
                 "rank_error_torso", "rank_error_tail"):
        assert name in names
    assert result.summary["impressions"] == result.summary["sessions"] * 5


def test_policy_without_item_scores_has_no_tau_scores() -> None:
    names = set(run_sim(Random(), horizon=2.0).metrics["metric"].to_list())
    assert "tau_scores" not in names and "tau_popularity" in names


def test_same_seed_is_bit_identical_and_another_seed_differs() -> None:
    a = run_sim(make_policy("ctr"), seed=4).metrics
    b = run_sim(make_policy("ctr"), seed=4).metrics
    c = run_sim(make_policy("ctr"), seed=5).metrics
    assert a.equals(b)
    assert not a.equals(c)


def test_arrivals_are_common_random_numbers_across_policies() -> None:
    """Two different policies at one seed meet the same sessions at the same times."""
    a, b = Recording(Random()), Recording(make_policy("popularity"))
    run_sim(a, seed=3)
    run_sim(b, seed=3)
    assert [r[:2] for r in a.requests] == [r[:2] for r in b.requests]
    other_seed = Recording(Random())
    run_sim(other_seed, seed=4)
    assert [r[:2] for r in a.requests] != [r[:2] for r in other_seed.requests]


def test_catalogue_grows_with_poisson_arrivals() -> None:
    policy = Recording()
    run_sim(policy, world=tiny_world(item_arrival_rate=20.0), horizon=10.0)
    sizes = [r[2] for r in policy.requests]
    assert sizes[0] >= 60 and sizes == sorted(sizes)
    assert 60 + 200 - 60 < sizes[-1] < 60 + 200 + 60  # ~ Poisson(200) new items


def test_item_lifetime_expires_items() -> None:
    policy = Recording()
    run_sim(policy, world=tiny_world(item_arrival_rate=0.0, item_lifetime=5.0), horizon=10.0)
    assert policy.requests[-1][2] < 60
    assert policy.requests[-1][2] >= 5  # never fewer than the slate size


def test_feedback_delay_holds_feedback_back() -> None:
    policy = Recording()
    run_sim(policy, feedback_delay=2.0, retrain_interval=0.5, horizon=6.0)
    first_update_time = policy.updates[0][0]
    assert first_update_time >= 2.0
    for _, newest_session, _ in policy.updates:
        assert newest_session <= 6.0


def test_retrain_interval_and_latency_schedule_updates() -> None:
    policy = Recording()
    run_sim(policy, retrain_interval=1.0, train_latency=0.5, tick=0.1, horizon=5.0)
    # data collected up to T reaches the policy at T + 0.5; the last one would land after 5.0
    newest = [u[1] for u in policy.updates]
    assert len(policy.updates) == 4
    assert all(n <= k + 1.0 + 1e-9 for k, n in enumerate(newest))


def test_online_learning_updates_after_every_batch() -> None:
    policy = Recording()
    run_sim(policy, retrain_interval=0.0, tick=0.5, horizon=3.0)
    assert len(policy.updates) == len(policy.requests)


def test_exact_mode_serves_one_session_per_event() -> None:
    policy = Recording()
    result = run_sim(policy, tick=0.0, horizon=2.0)
    assert {r[1] for r in policy.requests} == {1}
    times = [r[0] for r in policy.requests]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert result.summary["sessions"] == len(times)


class Broken:
    def __init__(self, fail_at: float, kind: str) -> None:
        self.fail_at, self.kind, self._inner = fail_at, kind, Random()

    def rank(self, request: SlateRequest) -> Slates:
        slates = self._inner.rank(request)
        if request.t >= self.fail_at:
            if self.kind == "raise":
                raise KeyError("boom")
            return Slates(slates.items[:, ::-1].copy() * 0)
        return slates

    def update(self, feedback: Feedback) -> None:
        pass


def test_policy_exception_keeps_metrics_and_names_policy_and_time() -> None:
    result = run_sim(Broken(3.05, "raise"), horizon=6.0)
    assert result.status == "failed"
    assert sorted(result.metrics["t"].unique().to_list()) == [1.0, 2.0, 3.0]
    message = r"Policy Broken raised KeyError in rank\(\) at t=3.1"
    with pytest.raises(PolicyRuntimeError, match=message):
        result.raise_for_status()
    assert result.summary["error"]["t"] == pytest.approx(3.1)


def test_contract_violation_mid_run_fails_the_run() -> None:
    result = run_sim(Broken(2.0, "repeat"), horizon=4.0)
    with pytest.raises(PolicyContractError, match="appears more than once"):
        result.raise_for_status()


def test_slate_larger_than_catalogue_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="slate_size == 80"):
        run_sim(Random(), slate_size=80)


def test_bad_timing_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="tick == -1"):
        run_sim(Random(), tick=-1)


def test_oracle_has_zero_regret() -> None:
    result = run_sim(make_policy("oracle"), horizon=3.0)
    regret = result.metrics.filter(result.metrics["metric"] == "regret_window")["value"]
    assert np.all(np.abs(regret.to_numpy()) < 1e-9)


def test_global_world_with_new_items_runs_and_regret_is_nonnegative() -> None:
    world = tiny_world(personalization=0.0, item_arrival_rate=10.0)
    result = run_sim(make_policy("popularity"), world=world)
    regret = result.metrics.filter(result.metrics["metric"] == "regret_window")["value"]
    assert result.status == "completed" and (regret.to_numpy() >= -1e-12).all()
