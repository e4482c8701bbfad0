"""``FeedbackLoop-v0``: an agent serves the slates of the feedback loop.

One step serves ``B = sessions_per_step`` user sessions: the agent gives a ``(B, k)``
array of item ids (row ``i``: the slate of session ``i``, best rank first), the
environment samples the clicks with the configured click model and returns their
number as the reward. Between steps the loop runs on as it does under ``loopsim``:
feedback delay, catalogue arrivals and expiries, data shift, organic sessions and the
metric snapshots.

Observation (a ``Dict``):

* ``users``: ``MultiDiscrete(n_users, shape (B,))``, the users of the sessions to serve;
* ``available``: ``MultiBinary(max_items)``, 1 where an item can be shown now;
* ``clicks``: ``MultiBinary((B, k))``, the clicks of the previous step (zeros after
  ``reset``), rank by rank;
* ``t``: ``Box(0, horizon, shape (1,))``, the simulated time (days) of the batch to serve.

Action: ``MultiDiscrete(max_items, shape (B, k))``, item ids. An entry that is not an
available item, or repeats an item earlier in its row, is replaced by a uniformly drawn
available item not in the row (from the run's policy stream) and counted in
``info["repaired"]``; ``strict=True`` raises instead.

Reward: the number of clicks of the ``B`` sessions. The episode terminates at the
horizon (when fewer than ``B`` sessions arrive before it); it is never truncated.

``info``: ``t``, ``clicks`` and ``rewards`` (``(B, k)``: conversions, e.g. MusicLab's
downloads), ``times`` (``(B,)`` arrival times), ``repaired``, ``metrics`` (the
latest snapshot of the loop's metrics: ``regret_window``, ``gini_exposure``...), and
at the end ``result`` (the :class:`~loopsim.simulator.io.results.RunResult`, as
``loopsim.run`` returns it).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from loopsim.gym.loop import AgentLoop, AgentPolicy, PendingBatch
from loopsim.simulator.contract.batches import Slates
from loopsim.simulator.errors import ConfigError, PolicyContractError
from loopsim.simulator.io.results import RunResult

__all__ = ["ENV_ID", "FeedbackLoopEnv", "repair_slates"]

#: The id registered by ``import loopsim.gym``.
ENV_ID = "FeedbackLoop-v0"


def overrides_of(overrides: Sequence[str], keys: dict[str, Any]) -> list[str]:
    """Hydra overrides from a list and from keyword arguments (``world__n_users=500`` is
    ``world.n_users=500``; ``world="chaney"`` chooses a config group)."""
    out = list(overrides)
    for key, value in keys.items():
        text = "null" if value is None else str(value).lower() if isinstance(value, bool) \
            else str(value)
        out.append(f"{key.replace('__', '.')}={text}")
    return out


def repair_slates(items: np.ndarray, available: np.ndarray, rng: np.random.Generator
                  ) -> tuple[np.ndarray, int]:
    """Replace unavailable and repeated ids of each row by drawn available items.

    Args:
        items: ``(B, k)`` proposed item ids.
        available: ``(n,)`` boolean, which ids can be shown.
        rng: Draws the replacements.

    Returns:
        The valid ``(B, k)`` slates and the number of entries replaced.
    """
    items = np.asarray(items, dtype=np.int64)
    inside = (items >= 0) & (items < available.shape[0])
    ok = inside & available[np.where(inside, items, 0)]
    order = np.argsort(items, axis=1, kind="stable")
    sorted_ = np.take_along_axis(items, order, axis=1)
    repeat = np.zeros_like(ok)
    repeat_sorted = np.zeros_like(ok)
    repeat_sorted[:, 1:] = sorted_[:, 1:] == sorted_[:, :-1]
    np.put_along_axis(repeat, order, repeat_sorted, axis=1)
    bad = ~ok | repeat
    n_bad = int(bad.sum())
    if n_bad == 0:
        return items, 0
    items = items.copy()
    pool = np.flatnonzero(available)
    for row in np.flatnonzero(bad.any(axis=1)):
        keep = items[row, ~bad[row]]
        free = np.setdiff1d(pool, keep, assume_unique=True)
        items[row, bad[row]] = rng.choice(free, size=int(bad[row].sum()), replace=False)
    return items, n_bad


class FeedbackLoopEnv(gym.Env):
    """The feedback loop as a Gymnasium environment (module docstring: spaces, reward).

    Args:
        overrides: loopsim's Hydra overrides (``["world=musiclab", "click_model=cascade",
            "horizon=20"]``), composed as ``loopsim`` composes them; ``policy`` is
            ignored (the agent is the policy).
        sessions_per_step: ``B``, sessions per step (default 100: about one ``tick`` of
            the default world).
        max_items: Size of the action and ``available`` spaces (default: the initial
            catalogue plus a generous bound on the items that arrive before the
            horizon). Items past it can still be served by repair, not chosen.
        strict: Raise :class:`PolicyContractError` on an invalid action instead of
            repairing it.
        render_mode: Unused (no rendering); Gymnasium's argument.
        **config: More overrides as keywords (``horizon=20``, ``world__n_users=500``).
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, overrides: Sequence[str] = (), sessions_per_step: int = 100,
                 max_items: int | None = None, strict: bool = False,
                 render_mode: str | None = None, **config: Any) -> None:
        from omegaconf import open_dict

        from loopsim.api import compose
        from loopsim.experiments.cli.config_checks import validate_config

        if int(sessions_per_step) < 1:
            raise ConfigError(f"`sessions_per_step == {sessions_per_step!r}`: must be >= 1.")
        cfg = compose(overrides_of(overrides, config))
        with open_dict(cfg):
            del cfg["hydra"]
        validate_config(cfg)
        self.cfg = cfg
        self.sessions_per_step = int(sessions_per_step)
        self.strict = strict
        self.render_mode = render_mode
        self._sim: AgentLoop | None = None
        self._pending: PendingBatch | None = None
        self._started = 0.0
        world = self._build_world(sized=True)
        self.n_users = int(world.n_users)
        self.slate_size = int(cfg.slate_size)
        self.horizon = float(cfg.horizon)
        self.max_items = int(max_items) if max_items is not None else _capacity(world,
                                                                               self.horizon)
        b, k = self.sessions_per_step, self.slate_size
        if self.max_items < k:
            raise ConfigError(f"`max_items == {self.max_items}`: must be >= slate_size {k}.")
        self.action_space = spaces.MultiDiscrete(np.full((b, k), self.max_items, np.int64))
        self.observation_space = spaces.Dict({
            "users": spaces.MultiDiscrete(np.full(b, self.n_users, np.int64)),
            "available": spaces.MultiBinary(self.max_items),
            "clicks": spaces.MultiBinary((b, k)),
            "t": spaces.Box(0.0, self.horizon, shape=(1,), dtype=np.float32),
        })

    # -- Gymnasium's API ----------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start a new run of the loop; ``seed`` is the run's seed (``loopsim seed=``).

        Without a seed, the run's seed is drawn from the environment's ``np_random``.
        """
        super().reset(seed=seed)
        run_seed = int(seed) if seed is not None else int(self.np_random.integers(2**31))
        from loopsim.experiments.cli.runner import build, simulation_config, slice_options

        self._sim = AgentLoop(self._build_world(), build(self.cfg.click_model), AgentPolicy(),
                              simulation_config(self.cfg), run_seed, policy_name="agent",
                              slices=slice_options(self.cfg),
                              sessions_per_step=self.sessions_per_step)
        self._started = time.perf_counter()
        self._pending = self._sim.start()
        if self._pending is None:
            raise ConfigError(f"no batch of {self.sessions_per_step} sessions arrives before "
                              f"the horizon ({self.horizon} days): lower sessions_per_step.")
        clicks = np.zeros((self.sessions_per_step, self.slate_size), np.int8)
        return self._observation(self._pending, clicks), {"t": self._pending.t,
                                                          "run_seed": run_seed}

    def step(self, action: np.ndarray) -> tuple[dict[str, np.ndarray], float, bool, bool,
                                                 dict[str, Any]]:
        """Serve the pending sessions with ``action``'s slates; the loop runs to the next."""
        sim = self._sim
        if sim is None or self._pending is None:
            raise PolicyContractError("step() after the episode ended: call reset() first.")
        served = self._pending
        items, repaired = self._slates(action, sim)
        feedback, self._pending = sim.serve(Slates(items, None))
        b, k = items.shape
        clicks = feedback.click.reshape(b, k)
        info: dict[str, Any] = {
            "t": served.t, "times": served.times, "clicks": clicks,
            "rewards": feedback.reward.reshape(b, k), "repaired": repaired,
            "metrics": sim.latest_metrics(),
        }
        terminated = self._pending is None
        if terminated:
            info["result"] = self.result()
            info["metrics"] = sim.latest_metrics()
        observation = self._observation(self._pending or served, clicks.astype(np.int8))
        return observation, float(clicks.sum()), terminated, False, info

    def result(self) -> RunResult:
        """The run so far as a :class:`RunResult` (metrics, items, summary)."""
        if self._sim is None:
            raise PolicyContractError("result() before reset(): nothing has run.")
        return self._sim.result(time.perf_counter() - self._started)

    @property
    def simulation(self) -> AgentLoop:
        """The running loop (its world, recorder, catalogue): for adapters and metrics."""
        if self._sim is None:
            raise PolicyContractError("no simulation before reset().")
        return self._sim

    # -- helpers ------------------------------------------------------------------------
    def _build_world(self, sized: bool = False) -> Any:
        """The config's world; ``sized``: reset with a throwaway stream (to read its size)."""
        from loopsim.experiments.cli.runner import build

        world = build(self.cfg.world)
        if sized:
            world.reset(np.random.default_rng(0))
        return world

    def _slates(self, action: np.ndarray, sim: AgentLoop) -> tuple[np.ndarray, int]:
        items = np.asarray(action)
        shape = (self.sessions_per_step, self.slate_size)
        if items.shape != shape:
            raise PolicyContractError(f"action of shape {items.shape}: expected {shape} "
                                      "(sessions_per_step, slate_size) item ids.")
        available = sim.state.catalogue.available
        fixed, repaired = repair_slates(items, available, sim.state.streams.policy)
        if repaired and self.strict:
            raise PolicyContractError(
                f"{repaired} entries of the action are unavailable items or repeats within "
                "a row (strict=True); pick from obs['available'], no repeats per row.")
        return fixed, repaired

    def _observation(self, batch: PendingBatch, clicks: np.ndarray) -> dict[str, np.ndarray]:
        available = np.zeros(self.max_items, np.int8)
        now = self.simulation.state.catalogue.available[: self.max_items]
        available[: now.shape[0]] = now
        return {
            "users": np.asarray(batch.users, np.int64),
            "available": available,
            "clicks": clicks,
            "t": np.array([min(batch.t, self.horizon)], np.float32),
        }


def _capacity(world: Any, horizon: float) -> int:
    """Initial items plus a bound on the Poisson arrivals before the horizon (mean + 6
    standard deviations + 10)."""
    mean = float(getattr(world, "item_arrival_rate", 0.0) or 0.0) * horizon
    return int(world.n_items) + (int(math.ceil(mean + 6 * math.sqrt(mean) + 10))
                                 if mean > 0 else 0)
