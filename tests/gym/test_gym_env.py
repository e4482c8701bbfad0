"""FeedbackLoop-v0: Gymnasium's checker, spaces, seeding, repair, agents and the adapter."""

from __future__ import annotations

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium", reason="the gym extra is not installed "
                                "(pip install 'loopsim[gym]')")

from gymnasium.utils.env_checker import check_env  # noqa: E402
from loopsim.simulator.errors import ConfigError, PolicyContractError  # noqa: E402

from loopsim.gym import EpsilonGreedyAgent, PolicyAgent, ThompsonAgent, run_episode  # noqa: E402
from loopsim.gym.env import repair_slates  # noqa: E402

SMALL = dict(horizon=2, world__n_users=200, world__n_items=50, slate_size=5,
             world__item_arrival_rate=2.0, sessions_per_step=20)


def make(**kw):
    return gymnasium.make("loopsim.gym:FeedbackLoop-v0", **{**SMALL, **kw})


def rewards(env, seed, steps=15):
    env.reset(seed=seed)
    rng = np.random.default_rng(0)
    out = []
    for _ in range(steps):
        env.action_space.seed(int(rng.integers(1 << 30)))
        _, reward, terminated, _, _ = env.step(env.action_space.sample())
        out.append(reward)
        if terminated:
            break
    return out


def test_passes_gymnasiums_env_checker():
    check_env(make().unwrapped, skip_render_check=True)


def test_spaces_follow_the_config():
    env = make().unwrapped
    assert env.action_space.shape == (20, 5)
    assert env.observation_space["users"].shape == (20,)
    assert env.observation_space["clicks"].shape == (20, 5)
    # 50 initial items + a bound on 2 days of arrivals at 2 per day
    assert 50 + 4 < env.max_items < 50 + 40
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert obs["available"][:50].all() and not obs["clicks"].any()


def test_the_seed_of_reset_decides_the_run():
    env = make()
    first, again, other = rewards(env, 3), rewards(env, 3), rewards(env, 4)
    assert first == again
    assert first != other


def test_an_episode_ends_at_the_horizon_with_the_runs_result():
    env = make()
    obs, _ = env.reset(seed=1)
    agent = EpsilonGreedyAgent(seed=1)
    agent.reset(env.unwrapped)
    t_last, total, steps = 0.0, 0.0, 0
    while True:
        action = agent.act(obs)
        obs, reward, terminated, truncated, info = env.step(action)
        assert info["repaired"] == 0  # the agent picks valid slates
        assert reward == info["clicks"].sum()
        assert info["t"] >= t_last
        t_last, total, steps = info["t"], total + reward, steps + 1
        agent.learn(obs, action, reward, info)
        if terminated:
            break
    assert not truncated and t_last <= 2.0
    result = info["result"]
    assert result.status == "completed"
    assert result.summary["sessions"] == 20 * steps
    assert result.items["clicks"].sum() == total
    assert result.metrics.filter(result.metrics["metric"] == "regret_window").height >= 2
    assert "regret_window" in info["metrics"]
    with pytest.raises(PolicyContractError, match="reset"):
        env.step(action)


def test_invalid_actions_are_repaired_or_refused():
    available = np.array([True, True, False, True, True, True])
    items = np.array([[0, 0, 1], [2, 9, -1], [3, 4, 5]])
    fixed, n = repair_slates(items, available, np.random.default_rng(0))
    assert n == 4
    assert fixed[0, 0] == 0 and fixed[0, 2] == 1 and fixed[2].tolist() == [3, 4, 5]
    for row in fixed:
        assert len(set(row)) == 3 and available[row].all()
    env = make(strict=True)
    env.reset(seed=0)
    with pytest.raises(PolicyContractError, match="strict"):
        env.step(np.zeros((20, 5), np.int64))
    with pytest.raises(PolicyContractError, match="shape"):
        env.step(np.zeros((3, 5), np.int64))


def test_any_world_and_click_model_compose():
    env = make(overrides=["world=chaney", "click_model=cascade"], world__n_items=40)
    obs, _ = env.reset(seed=0)
    _, reward, *_ = env.step(env.action_space.sample())
    assert reward >= 0
    with pytest.raises(ConfigError):
        make(sessions_per_step=0)


@pytest.mark.parametrize("agent", [EpsilonGreedyAgent(seed=0), ThompsonAgent(seed=0)])
def test_bandit_agents_beat_random_slates(agent):
    env = make(horizon=4)
    learned = run_episode(env, agent, seed=2).summary["final_metrics"]
    env.reset(seed=2)
    clicks = 0.0
    while True:
        _, reward, terminated, *_ = env.step(env.action_space.sample())
        clicks += reward
        if terminated:
            break
    assert learned["expected_clicks_window"] > 0
    random_result = env.unwrapped.result().summary["final_metrics"]
    assert learned["regret_window"] < random_result["regret_window"]


def test_a_builtin_policy_runs_inside_the_env():
    env = make(horizon=3)
    agent = PolicyAgent.from_config(env.unwrapped, "ctr")
    result = run_episode(env, agent, seed=0)
    assert result.status == "completed"
    assert result.summary["impressions"] > 0
    assert np.isfinite(result.summary["final_metrics"]["regret_window"])
    assert agent.policy.item_scores(np.arange(50)).std() > 0  # it learned from the env


REGRET_WORLD = ["horizon=10", "world.n_users=500", "world.n_items=100",
                "world.item_arrival_rate=2", "progress=false"]


def mean_regret(metrics) -> float:
    """Mean ``regret_window`` over the snapshots after day 2 (past the first exploration)."""
    rows = metrics.filter((metrics["metric"] == "regret_window") & (metrics["t"] > 2.0)
                          & (metrics["slice"] == "all"))
    return float(rows["value"].mean())


@pytest.mark.slow  # ~70 s: 3 seeds x (loopsim, agent, adapter) x 2 policies
@pytest.mark.parametrize(("agent", "policy"), [
    (EpsilonGreedyAgent, ["policy=epsilon_greedy"]),
    (ThompsonAgent, ["policy=thompson", "policy/estimator=ctr"]),
])
def test_agents_reach_the_regret_of_the_builtin_policy_of_the_same_name(agent, policy):
    import loopsim

    native, agents, adapted = [], [], []
    env = gymnasium.make("loopsim.gym:FeedbackLoop-v0", overrides=REGRET_WORLD,
                         sessions_per_step=25)  # ~ one tick (0.05 day) of 500 sessions a day
    for seed in range(3):
        native.append(mean_regret(loopsim.run([*policy, f"seed={seed}", *REGRET_WORLD]).metrics))
        agents.append(mean_regret(run_episode(env, agent(seed=seed), seed=seed).metrics))
        builtin = PolicyAgent.from_config(env.unwrapped, policy[0].split("=")[1], policy[1:])
        adapted.append(mean_regret(run_episode(env, builtin, seed=seed).metrics))
    env.reset(seed=0)
    while not env.step(env.action_space.sample())[2]:
        pass
    uniform = mean_regret(env.unwrapped.result().metrics)
    # measured, mean regret over seeds 0-2 (loopsim / agent): epsilon-greedy 0.41 / 0.40,
    # thompson with the ctr estimator 0.30 / 0.30; random slates 0.80
    assert np.mean(agents) == pytest.approx(np.mean(native), abs=0.1)
    assert np.mean(adapted) == pytest.approx(np.mean(native), abs=0.15)
    assert max(agents) < uniform - 0.2
