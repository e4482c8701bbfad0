"""Monitoring and guarded deployment in the loop (the process around :mod:`monitor`).

Every ``monitor.interval`` days (after the metrics of that time) the monitor checks its
bands; with ``guard_threshold`` set, the guard then accepts the window just served or
rolls the policy back to the last accepted copy, and tallies the regret a rollback
saved (measured on the truth, for the metrics only). See :mod:`loopsim.simulator.monitoring.monitor`.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np
import simpy
from loopsim.simulator.loop.clock import SNAPSHOT, At, Process, grid
from loopsim.simulator.contract.policy import RankingPolicy, SlateRequest
from loopsim.simulator.loop.hooks import connect
from loopsim.simulator.monitoring.monitor import HasItemFeatures, Monitor, judge

if TYPE_CHECKING:
    from loopsim.simulator.loop.simulation import Simulation


def copy_policy(sim: Simulation) -> RankingPolicy:
    """A copy of the run's policy state; the world it may hold stays shared."""
    return copy.deepcopy(sim.policy, {id(sim.world): sim.world})


class Guard:
    """The run's monitor and its deployment guard: accepted and candidate versions.

    Args:
        sim: The run (its policy, hooks and model version are replaced on a rollback).
        monitor: The monitor built for the run (:func:`make_guard`).
        eval_rng: The stream of the regret measure of rollbacks (truth; metrics only).
        first: The policy copy and model version accepted at the start.
    """

    def __init__(self, sim: Simulation, monitor: Monitor, eval_rng: np.random.Generator,
                 first: tuple[RankingPolicy, int]) -> None:
        self.sim = sim
        self.monitor = monitor
        self.eval_rng = eval_rng
        #: (policy copy, model version) last accepted, and served since the last check.
        self.accepted: tuple[RankingPolicy, int] = first
        self.candidate: tuple[RankingPolicy, int] = first
        self.rollback_gains: list[float] = []

    def check(self, t: float) -> None:
        """Check the monitor's bands, then accept the last window or roll back."""
        sim, monitor = self.sim, self.monitor
        ctr, impressions = monitor.window_ctr()
        monitor.check(t, sim.model_version, sim._scores(sim.catalogue.candidates, t))
        threshold = monitor.options.guard_threshold
        if threshold is None or impressions < monitor.options.min_impressions:
            return
        accepted, version = self.accepted
        if (monitor.accepted_ctr is not None and sim.model_version != version
                and ctr < monitor.accepted_ctr * (1.0 - threshold)):
            gain = self.regret(sim.policy, t) - self.regret(accepted, t)
            self.rollback_gains.append(gain)
            monitor.event(t, "rollback", f"ctr={ctr:.4f} < {1 - threshold:.2f} x accepted "
                          f"{monitor.accepted_ctr:.4f}; back to version {version}; "
                          f"regret saved per session {gain:+.4f}", version)
            sim.policy = accepted
            # The restored copy's own hooks; its parts keep their streams and states.
            sim.hooks = connect(sim.policy, sim.world)
            sim.model_version = version
            self.accepted = self.candidate = (copy_policy(sim), version)
            monitor.accepted_ctr = None  # the next window re-measures the restored version
        else:
            # The window was served from the version current at the previous check on.
            self.accepted = self.candidate
            monitor.accepted_ctr = ctr
            monitor.event(t, "accept", f"ctr={ctr:.4f}", self.candidate[1])
            self.candidate = (copy_policy(sim), sim.model_version)

    def regret(self, policy: RankingPolicy, t: float, n: int = 500) -> float:
        """Mean regret per session of ``policy`` now, on sampled users (truth; metrics only)."""
        sim = self.sim
        users = sim._draw_users(self.eval_rng, n)
        candidates = sim.catalogue.candidates
        request = SlateRequest(t, users, candidates, sim.config.slate_size, self.eval_rng)
        slates = sim._call("rank", t, policy.rank, request)
        relevance = sim.world.relevance_of_slates(users, slates.items)
        expected = sim.click_model.expected_clicks(relevance)
        return float((sim.recorder.best_expected_clicks(users, candidates) - expected).mean())

    def rows(self) -> list[tuple[str, float]]:
        """Alarms judged against the world's known shift times, and the guard's tally."""
        monitor = self.monitor
        alerts = np.array([e[0] for e in monitor.events if e[1] == "alert"])
        shifts = self.sim.shift.shift_times() if self.sim.shift is not None else ()
        rows = [(f"monitor_{k}", v) for k, v in
                judge(alerts, shifts, monitor.options.detect_window).items()]
        if monitor.options.guard_threshold is not None:
            gains = self.rollback_gains
            rows += [("guard_rollbacks", float(len(gains))),
                     ("guard_regret_saved", float(np.sum(gains)) if gains else 0.0)]
        return rows


def make_guard(sim: Simulation) -> Guard | None:
    """The run's monitor and guard from ``sim.monitor_options`` (``None``: off)."""
    options = sim.monitor_options
    if options is None:
        return None
    options.validate(sim.config.horizon)
    if not options.enabled:
        return None
    features = sim.world if isinstance(sim.world, HasItemFeatures) else None
    first = (copy_policy(sim), 0)
    eval_rng = sim.streams.metrics.spawn(1)[0]  # regret of rollbacks: truth
    monitor = Monitor(options, int(getattr(sim.world, "n_users", 0)), sim.streams.monitor,
                      features)
    return Guard(sim, monitor, eval_rng, first)


def monitoring(env: simpy.Environment, guard: Guard, horizon: float) -> Process:
    """Every ``monitor.interval``: check the bands, then the guard (after metrics)."""
    for when in grid(guard.monitor.options.interval, horizon):
        yield At(env, when - env.now, SNAPSHOT)
        guard.check(env.now)


__all__ = ["Guard", "copy_policy", "make_guard", "monitoring"]
