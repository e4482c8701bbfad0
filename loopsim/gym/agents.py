"""Agents for ``FeedbackLoop-v0``: two written against the environment alone, and an
adapter that runs any loopsim policy inside it.

An agent here has three methods: ``reset(env)``, ``act(obs) -> (B, k) item ids`` and
``learn(obs, action, reward, info)``; :func:`run_episode` plays one episode. The two
bandit agents use only what the environment gives every agent (observation, reward,
``info["clicks"]``), as an agent of an RL library would; they are vectorised over the
step's ``B`` sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.contract.policy import RankingPolicy
from loopsim.simulator.io.results import RunResult

__all__ = ["Agent", "EpsilonGreedyAgent", "PolicyAgent", "ThompsonAgent", "run_episode"]


class Agent(Protocol):
    """What :func:`run_episode` drives."""

    def reset(self, env: Any) -> None:
        """Start an episode (``env.reset`` was called)."""

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """``(B, k)`` item ids for the sessions of ``obs["users"]``."""

    def learn(self, obs: dict[str, np.ndarray], action: np.ndarray, reward: float,
              info: dict[str, Any]) -> None:
        """Learn from the step that served ``action`` (``obs``: the observation it saw)."""


def run_episode(env: Any, agent: Agent, seed: int,
                on_step: Callable[[dict[str, Any]], None] | None = None) -> RunResult:
    """Play one episode of ``env`` with ``agent`` from ``reset(seed=seed)``; the run's
    :class:`RunResult` (metrics at every snapshot, items, summary)."""
    obs, _ = env.reset(seed=seed)
    agent.reset(env.unwrapped)
    while True:
        action = agent.act(obs)
        next_obs, reward, terminated, truncated, info = env.step(action)
        agent.learn(obs, action, reward, info)
        if on_step is not None:
            on_step(info)
        obs = next_obs
        if terminated or truncated:
            return info.get("result") or env.unwrapped.result()


class _CountingAgent:
    """Per-item impressions and clicks, learned from every step (online)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.impressions = np.zeros(0)
        self.clicks = np.zeros(0)

    def reset(self, env: Any) -> None:
        """Forget everything; size the counters to the action space's item ids."""
        n = int(env.max_items)
        self.rng = np.random.default_rng(self.seed)
        self.impressions, self.clicks = np.zeros(n), np.zeros(n)

    def learn(self, obs: dict[str, np.ndarray], action: np.ndarray, reward: float,
              info: dict[str, Any]) -> None:
        """Count the impressions and clicks of the served slates."""
        items = np.asarray(action, np.int64).reshape(-1)
        np.add.at(self.impressions, items, 1.0)
        np.add.at(self.clicks, items, np.asarray(info["clicks"], np.float64).reshape(-1))

    def _top_k(self, scores: np.ndarray, available: np.ndarray, b: int, k: int) -> np.ndarray:
        """Per row, the ``k`` best available items; ties broken at random per row."""
        keys = np.where(available.astype(bool), scores, -np.inf)[None, :] \
            + 1e-9 * self.rng.random((b, scores.shape[0]))
        top = np.argpartition(-keys, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1)
        return np.take_along_axis(top, order, axis=1)


class EpsilonGreedyAgent(_CountingAgent):
    """ε-greedy on each item's click-through rate, like ``policy=epsilon_greedy``.

    Scores are CTRs shrunk toward the pooled CTR (``prior_strength`` pseudo-impressions);
    each slot of a slate shows, with probability ``epsilon``, a uniform available item not
    already in the slate instead of the greedy one.
    """

    def __init__(self, epsilon: float = 0.1, prior_strength: float = 10.0,
                 seed: int = 0) -> None:
        super().__init__(seed)
        self.epsilon = epsilon
        self.prior_strength = prior_strength

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Greedy top-k with ε-exploration per slot."""
        b, k = obs["clicks"].shape
        pooled = self.clicks.sum() / max(self.impressions.sum(), 1.0)
        scores = (self.clicks + self.prior_strength * pooled) / (self.impressions
                                                                 + self.prior_strength)
        greedy = self._top_k(scores, obs["available"], b, k)
        explore = self.rng.random((b, k)) < self.epsilon
        if not explore.any():
            return greedy
        not_greedy = np.ones((b, scores.shape[0]), dtype=bool)
        np.put_along_axis(not_greedy, greedy, False, axis=1)
        random_keys = np.where(not_greedy & obs["available"].astype(bool)[None, :],
                               self.rng.random((b, scores.shape[0])), -1.0)
        others = np.argpartition(-random_keys, k - 1, axis=1)[:, :k]
        return np.where(explore, others, greedy)


class ThompsonAgent(_CountingAgent):
    """Thompson sampling on a Beta-Bernoulli CTR per item (one posterior draw per session),
    like ``policy=thompson policy/estimator=ctr``.

    The prior is centred on the pooled CTR with ``prior_strength`` pseudo-impressions
    (empirical Bayes, as loopsim's ``BetaCTR``): a flat Beta(1, 1) would rate every unseen
    item at 0.5, far above typical CTRs, and explore much longer.
    """

    def __init__(self, prior_strength: float = 10.0, seed: int = 0) -> None:
        super().__init__(seed)
        self.prior_strength = prior_strength

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Top-k of a posterior draw per session."""
        b, k = obs["clicks"].shape
        pooled = (self.clicks.sum() + 1.0) / (self.impressions.sum() + 2.0)
        a = self.clicks + self.prior_strength * pooled
        c = np.maximum(self.impressions - self.clicks, 0.0) + self.prior_strength * (1 - pooled)
        draws = self.rng.beta(a[None, :], c[None, :], size=(b, a.shape[0]))
        keys = np.where(obs["available"].astype(bool)[None, :], draws, -np.inf)
        top = np.argpartition(-keys, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1)
        return np.take_along_axis(top, order, axis=1)


class PolicyAgent:
    """A loopsim :class:`RankingPolicy` (built-in or your own) as an agent of the env.

    It ranks with the policy's ``rank`` (the policy's random stream is the run's, as in
    ``loopsim``), keeps the served feedback, and calls ``update`` on the loop's schedule:
    every ``retrain_interval`` days with the feedback older than ``feedback_delay``
    (both from the env's config unless given; 0: after every step).

    Args:
        policy: The policy object (e.g. ``loopsim.experiments.cli.runner.build(cfg.policy)``).
        retrain_interval: Days between updates (``None``: the env's ``retrain_interval``).
        feedback_delay: Days before feedback can be learned (``None``: the env's).
    """

    def __init__(self, policy: RankingPolicy, retrain_interval: float | None = None,
                 feedback_delay: float | None = None) -> None:
        self.policy = policy
        self.retrain_interval = retrain_interval
        self.feedback_delay = feedback_delay
        self._queue: list[tuple[float, Feedback]] = []
        self._next_train = 0.0
        self._slates: Slates | None = None
        self._env: Any = None

    @classmethod
    def from_config(cls, env: Any, policy: str, overrides: list[str] | None = None
                    ) -> PolicyAgent:
        """The built-in policy ``policy`` (a ``conf/policy`` name) composed with ``overrides``."""
        from loopsim.api import compose
        from loopsim.experiments.cli.runner import build

        cfg = compose([f"policy={policy}", *(overrides or [])])
        return cls(build(cfg.policy))

    def reset(self, env: Any) -> None:
        """Connect the policy's hooks to the env's run (its stream, the truth if declared)."""
        from loopsim.simulator.loop.hooks import connect

        self._env = env
        sim = env.simulation
        connect(self.policy, sim.state.world, sim.state.streams.policy)
        cfg = env.cfg
        if self.retrain_interval is None:
            self.retrain_interval = float(cfg.retrain_interval)
        if self.feedback_delay is None:
            self.feedback_delay = float(cfg.feedback_delay)
        self._queue, self._next_train = [], float(self.retrain_interval)

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """The policy's slates for the observed users."""
        sim = self._env.simulation.state
        users = np.asarray(obs["users"], np.int64)
        request = SlateRequest(float(obs["t"][0]), users, sim.catalogue.candidates,
                               int(obs["clicks"].shape[1]), sim.streams.policy)
        self._slates = self.policy.rank(request)
        return np.asarray(self._slates.items)

    def learn(self, obs: dict[str, np.ndarray], action: np.ndarray, reward: float,
              info: dict[str, Any]) -> None:
        """Queue the step's feedback; update on the retraining schedule."""
        slates = self._slates if self._slates is not None else Slates(np.asarray(action), None)
        feedback = Feedback.from_slates(info["times"], np.asarray(obs["users"]), slates,
                                        info["clicks"], info["rewards"])
        t = float(info["t"])
        self._queue.append((t + float(self.feedback_delay or 0.0), feedback))
        if self.retrain_interval and t < self._next_train:
            return
        ready = [f for when, f in self._queue if when <= t]
        self._queue = [(when, f) for when, f in self._queue if when > t]
        if ready:
            self.policy.update(Feedback.concat(ready))
        while self.retrain_interval and self._next_train <= t:
            self._next_train += float(self.retrain_interval)
