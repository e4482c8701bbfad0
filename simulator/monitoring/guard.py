"""Monitoring and guarded deployment in the loop (the process around :mod:`monitor`).

Every ``monitor.interval`` days (after the metrics of that time) the monitor checks its
bands; with ``guard_threshold`` set, the guard then accepts the window just served or
rolls the policy back to the last accepted copy, and tallies the regret a rollback
saved (measured on the truth, for the metrics only).
See :mod:`loopsim.simulator.monitoring.monitor`.
"""

from __future__ import annotations

import numpy as np
import simpy
from loopsim.simulator.contract.batches import SlateRequest
from loopsim.simulator.contract.policy import RankingPolicy
from loopsim.simulator.contract.world import HasItemFeatures
from loopsim.simulator.loop.clock import SNAPSHOT, At, Process, grid
from loopsim.simulator.loop.deployment import Deployment, PolicySnapshot
from loopsim.simulator.loop.state import RunState
from loopsim.simulator.monitoring.monitor import Monitor, MonitorOptions, judge


class Guard:
    """The run's monitor and its deployment guard: accepted and candidate versions.

    Args:
        state: The run's state (catalogue, users, world, truth for the regret measure).
        deployment: The deployed policy (rolled back by :meth:`check`).
        monitor: The monitor built for the run (:func:`make_guard`).
        eval_rng: The stream of the regret measure of rollbacks (truth; metrics only).
        first: The policy copy and model version accepted at the start.
    """

    def __init__(self, state: RunState, deployment: Deployment, monitor: Monitor,
                 eval_rng: np.random.Generator, first: PolicySnapshot) -> None:
        self.state = state
        self.deployment = deployment
        self.monitor = monitor
        self.eval_rng = eval_rng
        #: (policy copy, model version) last accepted, and served since the last check.
        self.accepted: PolicySnapshot = first
        self.candidate: PolicySnapshot = first
        self.rollback_gains: list[float] = []

    def check(self, t: float) -> None:
        """Check the monitor's bands, then accept the last window or roll back."""
        state, deployment, monitor = self.state, self.deployment, self.monitor
        ctr, impressions = monitor.window_ctr()
        monitor.check(t, deployment.version, deployment.scores(state.catalogue.candidates, t))
        threshold = monitor.options.guard_threshold
        if threshold is None or impressions < monitor.options.min_impressions:
            return
        accepted, version = self.accepted
        if (monitor.accepted_ctr is not None and deployment.version != version
                and ctr < monitor.accepted_ctr * (1.0 - threshold)):
            gain = self.regret(deployment.policy, t) - self.regret(accepted, t)
            self.rollback_gains.append(gain)
            monitor.event(t, "rollback", f"ctr={ctr:.4f} < {1 - threshold:.2f} x accepted "
                          f"{monitor.accepted_ctr:.4f}; back to version {version}; "
                          f"regret saved per session {gain:+.4f}", version)
            deployment.rollback(self.accepted, state.world)
            self.accepted = self.candidate = deployment.snapshot(state.world)
            monitor.accepted_ctr = None  # the next window re-measures the restored version
        else:
            # The window was served from the version current at the previous check on.
            self.accepted = self.candidate
            monitor.accepted_ctr = ctr
            monitor.event(t, "accept", f"ctr={ctr:.4f}", self.candidate[1])
            self.candidate = deployment.snapshot(state.world)

    def regret(self, policy: RankingPolicy, t: float, n: int = 500) -> float:
        """Mean regret per session of ``policy`` now, on sampled users (truth; metrics only)."""
        state = self.state
        users = state.users.draw(self.eval_rng, n)
        candidates = state.catalogue.candidates
        request = SlateRequest(t, users, candidates, state.config.slate_size, self.eval_rng,
                               propensities=False)  # only the slates are judged
        slates = self.deployment.call("rank", t, policy.rank, request)
        relevance = state.world.relevance_of_slates(users, slates.items)
        expected = state.click_model.expected_clicks(relevance)
        return float((state.recorder.best_expected_clicks(users, candidates) - expected).mean())

    def rows(self) -> list[tuple[str, float]]:
        """Alarms judged against the world's known shift times, and the guard's tally."""
        monitor = self.monitor
        alerts = np.array([e[0] for e in monitor.events if e[1] == "alert"])
        shifts = self.state.shift.shift_times() if self.state.shift is not None else ()
        rows = [(f"monitor_{k}", v) for k, v in
                judge(alerts, shifts, monitor.options.detect_window).items()]
        if monitor.options.guard_threshold is not None:
            gains = self.rollback_gains
            rows += [("guard_rollbacks", float(len(gains))),
                     ("guard_regret_saved", float(np.sum(gains)) if gains else 0.0)]
        return rows


def make_guard(options: MonitorOptions | None, state: RunState,
               deployment: Deployment) -> Guard | None:
    """The run's monitor and guard from ``options`` (``None`` or disabled: off)."""
    if options is None:
        return None
    options.validate(state.config.horizon)
    if not options.enabled:
        return None
    world = state.world
    features = world if isinstance(world, HasItemFeatures) else None
    first = deployment.snapshot(world)
    eval_rng = state.streams.metrics.spawn(1)[0]  # regret of rollbacks: truth
    monitor = Monitor(options, int(getattr(world, "n_users", 0)), state.streams.monitor,
                      features)
    return Guard(state, deployment, monitor, eval_rng, first)


def monitoring(env: simpy.Environment, guard: Guard, horizon: float) -> Process:
    """Every ``monitor.interval``: check the bands, then the guard (after metrics)."""
    for when in grid(guard.monitor.options.interval, horizon):
        yield At(env, when - env.now, SNAPSHOT)
        guard.check(env.now)


__all__ = ["Guard", "make_guard", "monitoring"]
