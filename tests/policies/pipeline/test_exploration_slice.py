"""The learned pipeline's exploration slice: uniform slates both upstreams validate on."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies.pipeline import FactorUpstream, FeatureRanker, LearnedPipeline
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.contract.batches import ORGANIC, RECOMMENDED, Feedback, SlateRequest


def feedback(users: np.ndarray, items: np.ndarray, clicks: np.ndarray,
             source: np.ndarray | None = None) -> Feedback:
    n = users.size
    return Feedback(t=np.zeros(n), user=users.astype(np.int64), item=items.astype(np.int64),
                    rank=np.ones(n, dtype=np.int64), click=clicks.astype(bool),
                    reward=clicks.astype(np.float64), propensity=np.ones(n),
                    source=(np.full(n, RECOMMENDED, dtype=np.int8) if source is None
                            else source.astype(np.int8)))


def pipeline(explore: float, head: str = "dot", shadow_head: str = "mlp") -> LearnedPipeline:
    def up(h: str) -> FactorUpstream:
        return FactorUpstream(n_factors=3, head=h, hidden=[4], head_steps=20, mlp_fit="als")
    return LearnedPipeline(up(head), FeatureRanker(), n=None, shadow=up(shadow_head),
                           explore=explore)


def run(policy: LearnedPipeline, spy: list[np.ndarray] | None = None,
        horizon: float = 3.0) -> dict[str, list[float]]:
    """A tiny world; ``spy`` collects (user, item, rank, t, click) of every exploration
    row the pipeline hands its upstreams."""
    if spy is not None:
        found = policy._explored_rows

        def record(fb: Feedback) -> np.ndarray:
            mask = found(fb)
            spy.append(np.stack([fb.user[mask], fb.item[mask], fb.rank[mask], fb.t[mask],
                                 fb.click[mask]], 1))
            spy.append(np.array([[-1.0, fb.recommended.sum(), 0, 0, 0]]))
            return mask
        policy._explored_rows = record  # type: ignore[method-assign]
    world = SyntheticWorld(n_users=200, n_items=60, personalization=0.6,
                           item_arrival_rate=0.0)
    config = SimulationConfig(horizon=horizon, slate_size=5, tick=0.05, retrain_interval=0.5,
                              snapshot_interval=1.0, progress=False)
    sim = Simulation(world, PositionBasedModel(eta=1.0), policy, config, seed=3)
    sim.run().raise_for_status()
    out: dict[str, list[float]] = {}
    for _, name, value in sim.state.metrics.rows:
        out.setdefault(name, []).append(value)
    return out


def test_the_share_of_exploration_rows_is_the_share_asked_for() -> None:
    spy: list[np.ndarray] = []
    m = run(pipeline(0.2), spy)
    rows = np.concatenate(spy)
    served = rows[rows[:, 0] < 0, 1].sum()
    explored = rows[rows[:, 0] >= 0]
    assert served > 2_000
    assert abs(explored.shape[0] / served - 0.2) < 0.03  # binomial sd ~ 0.02 in sessions
    assert set(explored[:, 2].astype(int)) == {1, 2, 3, 4, 5}  # whole slates, every rank
    for name in ("upstream_mse_explore_window", "shadow_mse_explore_window"):
        assert name in m and all(0.0 < v < 1.0 for v in m[name]), name
    assert m["upstream_mse_explore_window"] != m["shadow_mse_explore_window"]


def test_two_systems_at_one_seed_explore_the_same_rows_and_get_the_same_clicks() -> None:
    """The exploration stream is spawned, not drawn, from the policy stream: swapping
    the deployed and the shadow head changes the greedy slates, not the exploration
    rows (the same sessions, items, ranks and clicks)."""
    a: list[np.ndarray] = []
    b: list[np.ndarray] = []
    ma = run(pipeline(0.1, "dot", "mlp"), a)
    mb = run(pipeline(0.1, "mlp", "dot"), b)
    ra, rb = np.concatenate(a), np.concatenate(b)
    assert ra[ra[:, 0] >= 0].shape[0] > 200
    np.testing.assert_array_equal(ra[ra[:, 0] >= 0], rb[rb[:, 0] >= 0])
    assert ma["regret_window"] != mb["regret_window"]  # two systems, not one


def test_exploration_leaves_the_other_sessions_slates_as_they_were() -> None:
    """Spawning the exploration stream draws nothing from the policy stream: the
    sessions not explored get the slates ``explore = 0`` gives them."""
    users = np.arange(400, dtype=np.int64)
    cands = np.arange(50, dtype=np.int64)

    def rank(explore: float) -> tuple[np.ndarray, np.ndarray | None]:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(7)))
        slates = pipeline(explore).rank(SlateRequest(1.0, users, cands, 4, rng))
        return slates.items, slates.propensities

    greedy, none = rank(0.0)
    mixed, p = rank(0.25)
    assert none is None
    explored = (mixed != greedy).any(axis=1)
    assert 0.15 < explored.mean() < 0.35
    np.testing.assert_array_equal(mixed[~explored], greedy[~explored])
    assert p is not None
    np.testing.assert_allclose(p[~explored], 0.75 + 0.25 / 50)
    expected = 0.25 / 50 + 0.75 * (mixed[explored] == greedy[explored])
    np.testing.assert_allclose(p[explored], expected)
    assert all(len(set(row)) == 4 for row in mixed)  # no repeats in a slate


def test_the_default_explores_nothing_and_reports_no_exploration_metric() -> None:
    m = run(pipeline(0.0), horizon=1.5)
    assert "upstream_mse_window" in m and "shadow_mse_window" in m
    assert "upstream_mse_explore_window" not in m and "shadow_mse_explore_window" not in m
    assert LearnedPipeline(FactorUpstream(), FeatureRanker()).explore == 0.0


def test_the_exploration_metric_scores_the_marked_rows_before_training() -> None:
    rng = np.random.default_rng(0)
    up = FactorUpstream(n_factors=2, regularization=0.1)
    up.use_policy_stream(np.random.default_rng(1))
    users, items = rng.integers(0, 30, 500), rng.integers(0, 20, 500)
    up.update(feedback(users, items, rng.random(500) < 0.3))
    assert up.explore_validation_mse() is None  # version 0: nothing is validated
    users, items, clicks = rng.integers(0, 30, 300), rng.integers(0, 20, 300), \
        rng.random(300) < 0.3
    source = np.where(np.arange(300) < 20, ORGANIC, RECOMMENDED)  # organic: never in it
    mask = (np.arange(300) % 3 == 0)
    pred = up.pair_scores(users[:, None], items[:, None])[:, 0]  # the model before the batch
    up.update(feedback(users, items, clicks, source), mask)
    rec = source == RECOMMENDED
    err = (pred - clicks)[mask & rec]
    assert up.explore_validation_mse() == pytest.approx(float(err @ err) / err.size, rel=1e-12)
    assert up.explore_validation_mse() is None  # reset by the read
    assert up.version == 2  # trained on the marked rows too


def test_a_mask_of_the_wrong_length_is_refused_with_the_fix() -> None:
    up = FactorUpstream(n_factors=2)
    with pytest.raises(Exception, match="one bool per feedback row"):
        up.update(feedback(np.arange(3), np.arange(3), np.ones(3)), np.ones(2, dtype=bool))
