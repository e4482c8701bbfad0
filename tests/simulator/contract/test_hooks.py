"""Optional hooks: named protocols, checked once at start; the truth goes only to oracles."""

from __future__ import annotations

import numpy as np
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import BetaCTR, ImplicitMF, TrueRelevance
from loopsim.policies.selectors import Greedy
from loopsim.simulator import (
    PositionBasedModel,
    Simulation,
    SimulationConfig,
    SyntheticWorld,
    check_policy,
)
from loopsim.simulator.contract.policy import UsesGroundTruth, UsesPolicyStream, propensity_kind
from loopsim.simulator.contract.registry import hooks_of
from loopsim.simulator.contract.world import (
    ConvertsSlates,
    GroundTruth,
    HasHistory,
    HasOrganic,
    HasPreferences,
    HasRelevanceVersion,
    World,
)
from loopsim.simulator.loop.hooks import connect
from loopsim.simulator.world.musiclab import MusicLabWorld


class SpyEstimator(BetaCTR):
    """A CTR estimator that records what it is handed and how often metrics are asked."""

    def __init__(self) -> None:
        super().__init__()
        self._truths: list[object] = []  # test state: private, as check_policy asks
        self._metric_calls = 0

    def use_ground_truth(self, truth: GroundTruth) -> None:
        self._truths.append(truth)

    def policy_metrics(self) -> dict[str, float]:
        self._metric_calls += 1
        return {"spy": 1.0}


def _run(policy: object, world: SyntheticWorld | None = None) -> object:
    world = world or SyntheticWorld(n_users=50, n_items=30, item_arrival_rate=0.0)
    cfg = SimulationConfig(horizon=3.0, slate_size=5, progress=False)
    return Simulation(world, PositionBasedModel(), policy, cfg, seed=0).run()


def test_a_composed_learner_does_not_receive_the_truth() -> None:
    learner = ComposedPolicy(BetaCTR(), Greedy())
    assert not isinstance(learner, UsesGroundTruth)
    oracle = ComposedPolicy(TrueRelevance(), Greedy())
    world = SyntheticWorld(n_users=50, n_items=30, item_arrival_rate=0.0)
    assert _run(oracle, world).status == "completed"
    assert oracle.estimator.truth is world  # the part that declares it, and only it


def test_hooks_of_parts_are_found_once_and_used() -> None:
    spy = SpyEstimator()
    world = SyntheticWorld(n_users=50, n_items=30, item_arrival_rate=0.0)
    result = _run(ComposedPolicy(spy, Greedy()), world)
    assert spy._truths == [world]  # it declared UsesGroundTruth
    spy_rows = result.metrics.filter(result.metrics["metric"] == "policy_spy")
    assert spy_rows.height == spy._metric_calls == 3  # one per snapshot


def test_check_policy_reports_the_hooks_of_the_policy_and_its_parts() -> None:
    hooks = check_policy(ComposedPolicy(SpyEstimator(), Greedy()))
    assert hooks == {"ComposedPolicy": ["item_scores", "parts"],
                     "SpyEstimator (part)": ["policy_metrics", "use_ground_truth", "posterior"],
                     "Greedy (part)": ["propensity_kind"]}
    # the Beta estimators report the prior in use (empirical Bayes by default)
    assert hooks_of(ComposedPolicy(BetaCTR(), Greedy()))["BetaCTR (part)"] == [
        "policy_metrics", "posterior"]
    assert hooks_of(ComposedPolicy(ImplicitMF(), Greedy()))["ImplicitMF (part)"] == [
        "use_policy_stream"]


class StreamSpy:
    """A part that records the generators it is handed (UsesPolicyStream)."""

    def __init__(self) -> None:
        self.streams: list[np.random.Generator] = []

    def use_policy_stream(self, rng: np.random.Generator) -> None:
        self.streams.append(rng)


def test_parts_using_the_policy_stream_get_one_child_each_at_connect() -> None:
    spy = StreamSpy()
    assert isinstance(spy, UsesPolicyStream)

    class Pair(ComposedPolicy):
        def parts(self) -> tuple[object, ...]:
            return (self.estimator, self.selector, spy)

    world = SyntheticWorld(n_users=5, n_items=6)
    world.reset(np.random.default_rng(0))
    parent = np.random.default_rng(7)
    before = parent.bit_generator.state
    hooks = connect(Pair(BetaCTR(), Greedy()), world, parent)
    assert len(spy.streams) == 1 and spy.streams[0] is not parent
    assert parent.bit_generator.state == before  # spawning draws nothing from the parent
    assert isinstance(world, HasOrganic) and hooks.organic == world.organic


def test_world_protocols_name_the_optional_hooks() -> None:
    synthetic = SyntheticWorld(n_users=5, n_items=6)
    synthetic.reset(np.random.default_rng(0))
    musiclab = MusicLabWorld(n_users=5, n_items=6)
    musiclab.reset(np.random.default_rng(0))
    assert isinstance(synthetic, World) and isinstance(synthetic, GroundTruth)
    assert isinstance(synthetic, HasRelevanceVersion) and isinstance(synthetic, HasPreferences)
    assert not isinstance(synthetic, ConvertsSlates) and not isinstance(synthetic, HasHistory)
    assert isinstance(musiclab, ConvertsSlates) and not isinstance(musiclab, HasPreferences)


class ApproximateSelector(Greedy):
    """A user's selector that declares how its propensities are computed."""

    def propensity_kind(self) -> str:
        return "approximate (my estimate)"


def test_propensity_kind_comes_from_the_parts_that_declare_it() -> None:
    from loopsim.policies.selectors import ThompsonSelector

    assert propensity_kind(ComposedPolicy(BetaCTR(), Greedy())) == "exact"
    assert propensity_kind(ComposedPolicy(BetaCTR(), ApproximateSelector())) == (
        "approximate (my estimate)")
    assert propensity_kind(ComposedPolicy(BetaCTR(), ThompsonSelector())) == "exact"
    assert propensity_kind(ComposedPolicy(BetaCTR(), ThompsonSelector(
        propensities="monte_carlo"))) == "approximate (Monte Carlo, M=200)"
    assert propensity_kind(StreamSpy()) == "unknown"  # declares nothing
