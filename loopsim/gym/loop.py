"""The loop driven one step at a time: the engine's own simulation, paused before serving.

:class:`AgentLoop` is :class:`~loopsim.simulator.loop.simulation.Simulation` with one
process replaced: sessions arrive as in the loop (Poisson arrivals at the users' rates,
from the run's ``arrivals`` stream) and are served in batches of a fixed number ``B``,
each at the arrival time of its last session. Before serving a batch the simulation
stops (SimPy's ``run(until=event)``) and hands the batch to the caller, whose slates the
policy :class:`AgentPolicy` serves. Everything else (world, click model, feedback
delay, retraining schedule, catalogue, data shift, organic sessions, metric snapshots,
seeding) is the loop's own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.errors import LoopsimError
from loopsim.simulator.io.results import RunResult
from loopsim.simulator.loop.clock import SERVE, At, Process
from loopsim.simulator.loop.organic_sessions import organic_between
from loopsim.simulator.loop.serving import serve
from loopsim.simulator.loop.simulation import Simulation

__all__ = ["AgentLoop", "AgentPolicy", "PendingBatch"]


class AgentPolicy:
    """The loop's policy in an environment: serves the slates the agent chose.

    Its ``update`` does nothing: the agent learns from the environment's rewards and
    observations (or, through :class:`~loopsim.gym.agents.PolicyAgent`, a built-in policy
    learns on the loop's schedule).
    """

    def __init__(self) -> None:
        self.slates: Slates | None = None

    def rank(self, request: SlateRequest) -> Slates:
        """The agent's slates for this batch (set by the environment before serving)."""
        if self.slates is None or self.slates.items.shape[0] != request.users.shape[0]:
            raise LoopsimError("the environment served a batch without the agent's slates")
        slates, self.slates = self.slates, None
        return slates

    def update(self, feedback: Feedback) -> None:
        """Nothing: the agent learns outside the loop."""


@dataclass(frozen=True)
class PendingBatch:
    """The next batch of sessions, drawn but not served yet.

    Attributes:
        t: When it is served (the arrival time of its last session), in days.
        times: ``(B,)`` arrival times of its sessions.
        users: ``(B,)`` their users.
        event: The SimPy event at which it is served.
    """

    t: float
    times: np.ndarray
    users: np.ndarray
    event: simpy.Event


class _FeedbackTap:
    """Keeps the last served batch's feedback (the loop calls it where it would stream
    the impression log)."""

    files: list[Any] = []
    rows_written = 0

    def __init__(self) -> None:
        self.last: Feedback | None = None

    def append(self, feedback: Feedback) -> None:
        self.last = feedback

    def close(self) -> None:
        """Nothing to flush."""


class AgentLoop(Simulation):
    """A simulation served by an agent, ``sessions_per_step`` sessions at a time.

    Args:
        *args, **kwargs: As :class:`Simulation` (the ``policy`` is an
            :class:`AgentPolicy`).
        sessions_per_step: ``B``, sessions served per step.
    """

    def __init__(self, *args: Any, sessions_per_step: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions_per_step = sessions_per_step
        self.pending: PendingBatch | None = None
        self.tap = _FeedbackTap()

    def start(self) -> PendingBatch | None:
        """Prepare the run and advance to the first batch (``None``: none before the
        horizon)."""
        self.impression_log = self.tap  # type: ignore[assignment]
        self.pending = None
        # The loop's processes, with the session process replaced (session_process).
        self._prepare()
        env = self.state.env
        while self.pending is None and env.peek() != float("inf"):
            env.step()
        return self.pending

    def serve(self, slates: Slates) -> tuple[Feedback, PendingBatch | None]:
        """Serve the pending batch with ``slates``; run the loop up to the next batch.

        Returns:
            The served batch's feedback, and the next batch (``None``: the horizon is
            reached and the loop has run to its end, final snapshot included).
        """
        if self.pending is None:
            raise LoopsimError("no batch to serve: the episode is over; call reset()")
        event, self.pending = self.pending.event, None
        self.policy.slates = slates  # type: ignore[attr-defined]
        self.state.env.run(until=event)
        feedback = self.tap.last
        if feedback is None:  # pragma: no cover - the loop always serves a pending batch
            raise LoopsimError("the loop did not serve the batch")
        self.tap.last = None
        if self.pending is None:
            self.state.env.run()
        return feedback, self.pending

    def result(self, wall: float) -> RunResult:
        """The run's metrics, items and summary, as :meth:`Simulation.run` returns them."""
        self.state.progress.close()
        result = self._result(self.state, self.deployment, self.guard, None, wall)
        result.summary.pop("impression_log", None)
        result.summary["sessions_per_step"] = self.sessions_per_step
        return result

    def latest_metrics(self) -> dict[str, float]:
        """The metrics of the latest snapshot (empty before the first)."""
        self.state.metrics.resolve()
        rows = self.state.metrics.rows
        if not rows:
            return {}
        last = rows[-1][0]
        out: dict[str, float] = {}
        for t, name, value in reversed(rows):
            if t != last:
                break
            out[name] = float(value)
        return out

    def session_process(self) -> Any:
        """The agent's session process instead of the loop's own."""
        return self._agent_sessions

    def _agent_sessions(self, env: simpy.Environment, state: Any, deployment: Any,
                        trainer: Any, monitor: Any) -> Process:
        """Poisson arrivals, served ``B`` at a time; pauses before each batch."""
        rng, users_of = state.streams.arrivals, state.users
        horizon, size = state.config.horizon, self.sessions_per_step
        t = 0.0
        while users_of.total_rate > 0:
            times = t + np.cumsum(rng.exponential(1.0 / users_of.total_rate, size))
            if times[-1] > horizon:
                return  # fewer than B sessions left before the horizon: the episode ends
            users = users_of.draw(rng, size)
            when = float(times[-1])
            event = At(env, when - env.now, SERVE)
            self.pending = PendingBatch(when, times, users, event)
            yield event
            if state.organic_rate > 0 and state.config.tick > 0:
                organic_between(state, t, when)  # tick == 0: the loop's organic process
            serve(state, deployment, trainer, monitor, env.now, times, users)
            t = when
