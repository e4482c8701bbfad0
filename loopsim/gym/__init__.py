"""loopsim's feedback loop as a Gymnasium environment (``pip install "loopsim[gym]"``).

::

    import gymnasium
    env = gymnasium.make("loopsim.gym:FeedbackLoop-v0", overrides=["world=chaney"],
                         sessions_per_step=100)
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

Importing this module registers the id ``FeedbackLoop-v0`` (Gymnasium's
``"module:EnvName"`` syntax imports it for you). See ``docs/gym.md``.
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

from loopsim.gym.agents import EpsilonGreedyAgent, PolicyAgent, ThompsonAgent, run_episode
from loopsim.gym.env import ENV_ID, FeedbackLoopEnv

__all__ = ["ENV_ID", "EpsilonGreedyAgent", "FeedbackLoopEnv", "PolicyAgent", "ThompsonAgent",
           "run_episode"]

if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="loopsim.gym.env:FeedbackLoopEnv")
