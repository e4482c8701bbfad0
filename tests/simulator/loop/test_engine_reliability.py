"""The engine under bad input and faulty policies (issue: nothing stale, lost, impossible).

Each test starts from a reproduction: a snapshot before the first batch crashed, an
infinite rate hung, musiclab under PBM reported impossible clicks, a ratings file
without variance gave zero clicks, a tiny softmax temperature always served item 0,
failures outside rank()/update() lost the metrics and named nothing.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import ClickCount
from loopsim.policies.selectors import Greedy, SoftmaxSelector
from loopsim.simulator import (
    ConfigError,
    PolicyContractError,
    PolicyRuntimeError,
    PositionBasedModel,
    Simulation,
    SimulationConfig,
    SlateRequest,
    Slates,
)
from loopsim.simulator.click_models.attention import AttentionChoiceModel
from loopsim.simulator.click_models.cascade import CascadeModel
from loopsim.simulator.click_models.trial_offer import TrialOfferModel
from loopsim.simulator.errors import DataError
from loopsim.simulator.world.musiclab import MusicLabWorld
from loopsim.simulator.world.ratings import RatingsWorld
from loopsim.simulator.world.ratings_io import read_ratings

from tests.conftest import run_sim, tiny_world


class Popularity(ComposedPolicy):
    """Greedy by clicks (the built-in ``popularity`` config), subclassed by the tests."""

    def __init__(self) -> None:
        super().__init__(ClickCount(), Greedy())

# -- snapshots before the first served batch --------------------------------------------


@pytest.mark.parametrize("timing", [{"snapshot_interval": 0.01}, {"tick": 2.0}])
def test_a_snapshot_before_the_first_batch_does_not_crash(timing: dict[str, float]) -> None:
    """Reproduction: AttributeError '_overlap' with snapshot_interval=0.01 or tick=2."""
    result = run_sim(Popularity(), horizon=2.0, world=tiny_world(n_users=500, n_items=200),
                     **timing)
    assert result.status == "completed", result.summary.get("error")
    first = result.metrics.filter(result.metrics["t"] == result.metrics["t"].min())
    values = dict(zip(first["metric"], first["value"], strict=True))
    assert "homogenization" in values


# -- values that cannot make sense ------------------------------------------------------


@pytest.mark.parametrize("field", ["horizon", "tick", "feedback_delay", "retrain_interval",
                                   "train_latency", "snapshot_interval", "startup_days"])
@pytest.mark.parametrize("value", [math.inf, math.nan])
def test_non_finite_timing_is_refused(field: str, value: float) -> None:
    """Reproduction: horizon=inf hung with no output."""
    with pytest.raises(ConfigError, match=rf"^`{field} == {value}`: must be a finite number"):
        run_sim(Popularity(), **{field: value})


@pytest.mark.parametrize(("field", "value"), [("item_arrival_rate", math.inf),
                                              ("item_lifetime", math.inf),
                                              ("sessions_per_user_per_day", math.inf)])
def test_non_finite_world_rates_are_refused(field: str, value: float) -> None:
    """Reproduction: world.item_arrival_rate=inf hung (checked by the engine for any world)."""
    with pytest.raises(ConfigError, match="finite"):
        run_sim(Popularity(), world=tiny_world(**{field: value}))


@pytest.mark.parametrize("click_model", [None, CascadeModel(), AttentionChoiceModel()])
def test_musiclab_under_a_probability_click_model_is_refused(click_model: object) -> None:
    """Reproduction: world=musiclab with pbm gave 8,830 expected clicks per session."""
    with pytest.raises(ConfigError, match="attractiveness.*click_model=trial_offer"):
        run_sim(Popularity(), world=MusicLabWorld(n_users=50, n_items=20),
                click_model=click_model, horizon=2.0)
    ok = run_sim(Popularity(), world=MusicLabWorld(n_users=50, n_items=20),
                 click_model=TrialOfferModel(), horizon=2.0)
    assert ok.status == "completed"
    assert ok.summary["final_metrics"]["expected_clicks_window"] <= 1.0


def _ratings(tmp_path: Path, rows: list[str], name: str = "r.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    text = "userId,movieId,rating,timestamp\n" + "".join(f"{r}\n" for r in rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def test_ratings_without_variance_are_refused(tmp_path: Path) -> None:
    """Reproduction: equal ratings gave relevance 0 everywhere and zero clicks."""
    path = _ratings(tmp_path, [f"{u},{i},4.0,1" for u in range(6) for i in range(6)])
    with pytest.raises(DataError, match=r"r\.csv: all 36 ratings equal 4: with no variance"):
        run_sim(Popularity(), world=RatingsWorld(path=str(path)), horizon=1.0)


def test_repeated_pairs_are_refused_unless_combined(tmp_path: Path) -> None:
    path = _ratings(tmp_path, ["1,10,4.0,5", "2,10,3.0,6", "1,10,2.0,7", "2,11,5.0,8"])
    with pytest.raises(DataError, match=r"1 \(user, item\) pairs are rated more than once, "
                       r"first user 1, item 10 \(2 times, data rows 1 and 3\).*"
                       r"world.duplicates=mean\|last\|sum"):
        read_ratings(path)
    for how, want in (("mean", 3.0), ("last", 2.0), ("sum", 6.0)):
        r = read_ratings(path, duplicates=how)
        assert r.user.tolist() == [1, 2, 2] and r.item.tolist() == [10, 10, 11]
        assert r.rating[0] == want and r.timestamp[0] == 7
    with pytest.raises(ConfigError, match=r"`world.duplicates == 'max'`"):
        read_ratings(path, duplicates="max")


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = _ratings(tmp_path, ["1,10,4.0,5", "2,11,3.0,6"], bom=True)
    assert read_ratings(path).user.tolist() == [1, 2]
    tsv = tmp_path / "u.data"
    tsv.write_bytes(b"\xef\xbb\xbf1\t10\t4\t5\n2\t11\t3\t6\n")
    assert read_ratings(tsv).item.tolist() == [10, 11]


def test_a_softmax_temperature_float64_cannot_sample_is_refused() -> None:
    """Reproduction: temperature=1e-300 always served item 0 with uniform propensities."""
    with pytest.raises(ConfigError, match=r"`policy.selector.temperature == 1e-300` is too "
                       r"small for float64.*Use policy.selector.temperature >= 9.09e-13"):
        SoftmaxSelector(temperature=1e-300)
    # Popularity scores are counts: a temperature fine for click rates meets its limit
    # mid-run, and is refused there with the same message (named as the policy's).
    result = run_sim(ComposedPolicy(ClickCount(), SoftmaxSelector(1e-11)), horizon=3.0)
    assert result.status == "failed"
    assert "is too small for float64 against scores of magnitude" in str(result.error)


# -- failures in every hook keep the metrics and name the place -------------------------


class _Raises(Popularity):
    def __init__(self, hook: str, exc: BaseException, at: float = 1.5) -> None:
        super().__init__()
        self.hook, self.exc, self.at, self.now = hook, exc, at, 0.0

    def _maybe(self, hook: str) -> None:
        if hook == self.hook and self.now >= self.at:
            raise self.exc

    def rank(self, request: SlateRequest) -> Slates:
        self.now = request.t
        self._maybe("rank")
        return super().rank(request)

    def update(self, feedback):  # type: ignore[no-untyped-def]
        self._maybe("update")
        super().update(feedback)

    def item_scores(self, items: np.ndarray) -> np.ndarray:
        self._maybe("item_scores")
        return super().item_scores(items)

    def policy_metrics(self) -> dict[str, float]:
        self._maybe("policy_metrics")
        return {"n": 1.0}


@pytest.mark.parametrize("hook", ["rank", "update", "item_scores", "policy_metrics"])
@pytest.mark.parametrize("exc", [RuntimeError("boom"), SystemExit(0), GeneratorExit()])
def test_every_hook_failure_is_reported_with_metrics_so_far(hook: str,
                                                             exc: BaseException) -> None:
    policy = _Raises(hook, exc)
    sim = Simulation(tiny_world(), PositionBasedModel(eta=1.0), policy,
                     SimulationConfig(horizon=4.0, tick=0.1, slate_size=5, progress=False),
                     seed=0, policy_name="mine")
    result = sim.run()
    assert result.status == "failed"
    assert isinstance(result.error, PolicyRuntimeError)
    assert result.error.__cause__ is exc
    message = str(result.error)
    assert message.startswith(f"Policy mine raised {type(exc).__name__} in {hook}() at t=")
    t = result.summary["error"]["t"]
    assert 1.5 <= t < 2.1 and f"t={t:.4f}" in message
    assert result.metrics["t"].min() == 1.0  # the snapshots before the failure are kept


def test_keyboard_interrupt_passes_through_and_keeps_the_metrics() -> None:
    result = run_sim(_Raises("rank", KeyboardInterrupt()), horizon=4.0)
    assert result.status == "failed" and isinstance(result.error, KeyboardInterrupt)
    assert result.metrics["t"].min() == 1.0
    with pytest.raises(KeyboardInterrupt):
        result.raise_for_status()


@pytest.mark.parametrize("bad", ["oops", {"x": "high"}, {"x": True}, [1.0]])
def test_policy_metrics_must_be_numbers(bad: object) -> None:
    class Bad(Popularity):
        def policy_metrics(self) -> object:
            return bad

    result = run_sim(Bad(), horizon=3.0)
    assert isinstance(result.error, PolicyContractError)
    assert str(result.error).startswith("Policy Bad: policy_metrics() at t=1.0000 days")


def test_request_users_are_read_only() -> None:
    """Reproduction: a policy writing into request.users re-labelled the log."""
    class Relabel(Popularity):
        def rank(self, request: SlateRequest) -> Slates:
            request.users[0] = 0
            return super().rank(request)

    result = run_sim(Relabel(), horizon=2.0)
    assert isinstance(result.error, PolicyRuntimeError)
    assert "read-only" in str(result.error.__cause__)


def test_touching_the_global_random_state_is_warned() -> None:
    class Global(Popularity):
        def rank(self, request: SlateRequest) -> Slates:
            random.random()
            return super().rank(request)

    warned = run_sim(Global(), horizon=2.0).summary["warnings"]
    assert len(warned) == 1 and warned[0].startswith("the global random (the standard")
    assert "warnings" not in run_sim(Popularity(), horizon=2.0).summary


@pytest.mark.parametrize(("field", "value"), [("tick", 1e-9), ("snapshot_interval", 1e-9),
                                              ("retrain_interval", 1e-9)])
def test_a_step_that_would_never_end_the_run_is_refused(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=rf"`{field} == {value}` with `horizon == 10.0` "
                       r"schedules 1e\+10 steps, more than 10,000,000"):
        run_sim(Popularity(), **{field: value})


def test_an_arrival_rate_that_would_never_end_the_run_is_refused() -> None:
    with pytest.raises(ConfigError,
                       match=r"`world.item_arrival_rate == 1000000000.0` brings 1e\+10 items"):
        run_sim(Popularity(), world=tiny_world(item_arrival_rate=1e9))
