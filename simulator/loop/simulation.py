"""The feedback loop as SimPy processes on one environment (time in days).

Processes: session arrivals served in batches per ``tick`` (or one event
per session when ``tick == 0``), delayed logging, periodic retraining with a training
latency, catalogue arrivals and expiries, metric snapshots and a progress bar. Work per
impression is batched numpy; SimPy only carries coarse events.

At equal simulated times, events run in a fixed order of phases: the catalogue
changes, then sessions are served, then training collects the log, then trained models
are deployed, then metrics are recorded.

This module holds the orchestration (preparing a run, sessions, serving, training and
deployment); its cohesive parts are their own modules, each a few SimPy processes
taking ``env`` first: :mod:`.clock` (phases, ``At``, time grids), :mod:`.feedback_log`,
:mod:`.catalogue_process` (item arrivals and expiries), :mod:`.shift_process` (data
shift), :mod:`.organic_sessions`, :mod:`.snapshots` (metrics, item table) and
:mod:`.guard` (monitoring and guarded deployment with rollback).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import simpy
from loopsim.simulator.loop.catalogue import Catalogue
from loopsim.simulator.loop.item_arrivals import item_arrivals, schedule_expiry
from loopsim.simulator.click_models.base import ClickModel, sample_feedback
from loopsim.simulator.loop.clock import (
    CATALOGUE,
    DEPLOY,
    EPS,
    SERVE,
    SNAPSHOT,
    TRAIN,
    At,
    Process,
    grid,
)
from loopsim.simulator.loop.config import SimulationConfig
from loopsim.simulator.contract.policy import Feedback, RankingPolicy, ServesPools, SlateRequest, Slates
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.loop.feedback_queue import FeedbackLog
from loopsim.simulator.monitoring.guard import Guard, make_guard, monitoring
from loopsim.simulator.loop.hooks import check_parameters, connect
from loopsim.simulator.io.impression_log import ImpressionLog, read_feedback
from loopsim.simulator.metrics.pools import PoolRecorder
from loopsim.simulator.metrics.recorder import MetricsRecorder
from loopsim.simulator.metrics.slices import SliceOptions, SliceRecorder
from loopsim.simulator.monitoring.monitor import Monitor, MonitorOptions
from loopsim.simulator.world.organic_choice import OrganicChoice
from loopsim.simulator.loop.organic_sessions import (
    ORGANIC_STEP,
    organic_between,
    organic_process,
    serve_organic,
)
from loopsim.simulator.loop.policy_calls import GlobalRandomWatch, call_policy
from loopsim.simulator.loop.progress import ProgressBar
from loopsim.simulator.io.results import RunResult
from loopsim.simulator.loop.user_sampler import GuidedSearch
from loopsim.simulator.loop.seeding import Streams, pool_metrics_stream
from loopsim.simulator.loop.shift_schedule import active_shift, expected_sessions, shifting
from loopsim.simulator.loop.slate_checks import validate_slates
from loopsim.simulator.loop.snapshots import item_table, snapshots
from loopsim.simulator.loop.startup import random_slates
from loopsim.simulator.loop.timing import NullTimer, PhaseTimer, split
from loopsim.simulator.world.base import HasHistory, World
from loopsim.simulator.world.shift import DataShift
from loopsim.simulator.loop.run_checks import check_world


class Simulation:
    """One run of the loop: a world, a click model and a policy under a timing config.

    Args:
        world: The users, items and truth (reset at the start of :meth:`run`).
        click_model: How position matters.
        policy: The ranking policy under test.
        config: Timing of the loop.
        seed: The run's seed; ``world.seed`` (when set) fixes the world separately.
        policy_name: Name used in messages and outputs (default: the class name).
        timing: Time the phases of the loop (``summary["time_split"]``, seconds of
            arrivals, serving, clicks, metrics, logging, world, training, catalogue and
            SimPy overhead); off by default.
        impression_log: Where to stream the full impression log (``None``: no log).
        slices: Sliced metrics (``metrics.parquet``'s ``slice`` column); ``None``: off.
        monitor: The team's monitor and deployment guard (``events.parquet``); ``None``: off.
    """

    def __init__(
        self,
        world: World,
        click_model: ClickModel,
        policy: RankingPolicy,
        config: SimulationConfig,
        seed: int,
        policy_name: str | None = None,
        timing: bool = False,
        impression_log: ImpressionLog | None = None,
        slices: SliceOptions | None = None,
        monitor: MonitorOptions | None = None,
    ) -> None:
        self.world = world
        self.click_model = click_model
        self.policy = policy
        self.config = config
        self.seed = seed
        self.policy_name = policy_name or type(policy).__name__
        self.timing = timing
        self.impression_log = impression_log
        self.slices = slices
        self.monitor_options = monitor

    # -- the run ------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Run the loop to the horizon and return its metrics, items and summary.

        A failure inside the run (a policy that raises or breaks the contract, any other
        exception, or an interruption: ``KeyboardInterrupt``, which ``loopsim`` also
        raises on SIGTERM) does not lose what was recorded: the result has
        ``status == "failed"``, the error, the simulated time and every snapshot taken
        before it. Call :meth:`RunResult.raise_for_status` to re-raise.
        A bad value found while preparing the run raises :class:`ConfigError` at once.
        """
        env = self._prepare()
        start = time.perf_counter()
        error: BaseException | None = None
        watch = GlobalRandomWatch()
        try:
            env.run()
        except (Exception, KeyboardInterrupt) as exc:
            # SimPy re-raises a copy of a process's exception, chained to the original:
            # keep the original, whose own cause is the policy's exception.
            error = exc.__cause__ if type(exc.__cause__) is type(exc) else exc
        finally:
            self.progress.close()
            if self.impression_log is not None:
                self.impression_log.close()
        result = self._result(error, time.perf_counter() - start, env.now)
        if warnings := watch.warnings(self.policy_name):
            result.summary["warnings"] = warnings
        return result

    def _result(self, error: BaseException | None, wall: float, now: float) -> RunResult:
        """The run's metrics, items and summary (also after a failure at ``now``)."""
        if self.guard is not None and self.rows:
            last = self.rows[-1][0]
            self.rows.extend((last, name, value) for name, value in self.guard.rows())
        result = RunResult.build(
            rows=self.rows,
            slice_rows=self.slice_rows,
            items=item_table(self),
            wall_time=wall,
            impressions=self.recorder.impressions,
            sessions=self.recorder.sessions,
            seed=self.seed,
            policy_name=self.policy_name,
            error=error,
            failed_at=now if error is not None else None,
            events=self.monitor.events if self.monitor is not None else None,
        )
        result.summary["organic_sessions"] = self.recorder.organic_sessions
        if self.timer.enabled:
            result.summary["time_split"] = split(self.timer.totals(), wall)
        if self.impression_log is not None:
            result.summary["impression_log"] = {
                "files": len(self.impression_log.files),
                "rows": self.impression_log.rows_written,
            }
        return result

    def _prepare(self) -> simpy.Environment:
        """Validate, reset the world, build the catalogue, counters and processes."""
        cfg = self.config
        cfg.validate()
        check_parameters(self.world, self.click_model, self.policy)
        if not isinstance(self.policy, RankingPolicy):
            raise ConfigError(
                f"policy {self.policy_name} ({type(self.policy).__name__}) has no "
                "rank()/update() methods: it does not implement simulator.RankingPolicy."
            )
        self.streams = Streams.from_seed(self.seed, self.world.seed)
        self.world.reset(self.streams.world)
        check_world(self.world, self.click_model, cfg.slate_size, cfg.horizon)
        self.catalogue = Catalogue()
        self.catalogue.add(np.arange(self.world.n_items, dtype=np.int64), 0.0)
        self.shift: DataShift | None = active_shift(self.world, cfg)
        self._set_rates()
        sessions_per_day = self.total_rate
        quality_rate = (
            1.0
            if sessions_per_day <= cfg.quality_sessions_per_day
            else cfg.quality_sessions_per_day / sessions_per_day
        )
        self.recorder = MetricsRecorder(
            self.world, self.click_model, cfg.slate_size, quality_rate, self.streams.metrics
        )
        self.pools = (
            PoolRecorder(self.world, self.click_model, cfg.slate_size, quality_rate,
                         self.recorder._ideal, pool_metrics_stream(self.seed))
            if isinstance(self.policy, ServesPools) else None
        )
        self.log = FeedbackLog()
        self.rows: list[tuple[float, str, float]] = []
        self.slice_rows: list[tuple[float, str, str, float]] = []
        if self.slices is not None and self.slices.enabled:
            self.slices.validate()
            self.recorder.slices = SliceRecorder(self.slices, self.world,
                                                 self.streams.metrics.spawn(1)[0])
        self.progress = ProgressBar(cfg.horizon, self.policy_name, cfg.progress)
        self.timer = PhaseTimer() if self.timing else NullTimer()
        # Optional hooks, checked once (mf's initial factors get a policy-stream child).
        self.hooks = connect(self.policy, self.world, self.streams.policy)
        # Organic sessions per recommended session (an open world); 0: the closed loop.
        self.organic_rate = self.hooks.organic
        self.organic_choice = OrganicChoice(self.hooks.organic_sharpness)
        self.model_version = 0
        self.guard: Guard | None = make_guard(self)
        self.monitor: Monitor | None = self.guard.monitor if self.guard is not None else None
        if isinstance(self.world, HasHistory) and len(warm := self.world.history()):
            self._update(0.0, warm)  # logged feedback to start from
        if cfg.cold_start == "history":
            self._update(0.0, read_feedback(str(cfg.history_path)))
        return self._start_processes()

    def _set_rates(self) -> None:
        """Read the users' session rates from the world (at the start, and after a shift)."""
        rates = np.asarray(self.world.activity(), dtype=np.float64)
        self.total_rate = float(rates.sum())
        if not math.isfinite(self.total_rate):
            raise ConfigError(
                f"the world's session rate is {self.total_rate} per day (world.activity() "
                "has non-finite values): give finite sessions_per_user_per_day."
            )
        self.cum_rates = np.cumsum(rates)
        self.user_search = GuidedSearch(self.cum_rates)

    def _start_processes(self) -> simpy.Environment:
        """A fresh environment with the loop's processes (see the module docstring)."""
        cfg = self.config
        self.env = env = simpy.Environment()
        env.process(self._sessions(env))
        if self.organic_rate > 0 and cfg.tick == 0:  # else drawn with each tick's sessions
            env.process(organic_process(env, self))
        env.process(item_arrivals(env, self))
        if self.shift is not None:
            env.process(shifting(env, self, self.shift))
        if self.world.item_lifetime is not None:
            schedule_expiry(env, self, np.arange(self.world.n_items), initial=True)
        if cfg.retrain_interval > 0:
            env.process(self._training(env))
        env.process(snapshots(env, self))
        env.process(self._progress(env))
        if self.guard is not None:
            env.process(monitoring(env, self.guard, cfg.horizon))
        return env

    # -- processes ----------------------------------------------------------------------
    def _sessions(self, env: simpy.Environment) -> Process:
        """Session arrivals: Poisson per user, served per tick (or one by one)."""
        if self.total_rate <= 0:
            return
        rng = self.streams.arrivals
        tick = self.config.tick
        if tick > 0:
            previous = 0.0
            for when in grid(tick, self.config.horizon):
                yield At(env, when - env.now, SERVE)
                self.timer.start()
                n = int(rng.poisson(expected_sessions(self.shift, self.total_rate, previous, when)))
                users = self._draw_users(rng, n)
                times = np.sort(previous + (when - previous) * rng.random(n))
                self.timer.lap("arrivals")
                if self.organic_rate > 0:
                    organic_between(self, previous, when)
                previous = when
                if n:
                    self._serve(env.now, times, users)
            return
        t = 0.0
        while True:
            gaps = rng.exponential(1.0 / self.total_rate, 4096)
            users = self._draw_users(rng, 4096)
            for gap, user in zip(gaps, users, strict=True):
                t += gap
                if t > self.config.horizon:
                    return
                yield At(env, t - env.now, SERVE)
                self._serve(env.now, np.array([t]), np.array([user], dtype=np.int64))

    def _draw_users(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` users drawn in proportion to their session rates."""
        draws = rng.random(n) * self.total_rate
        users = self.user_search(draws)  # == np.searchsorted(cum_rates, draws, side="right")
        return np.minimum(users, self.cum_rates.shape[0] - 1).astype(np.int64)

    def _training(self, env: simpy.Environment) -> Process:
        """Every ``retrain_interval``: take the ready log, deploy after ``train_latency``."""
        for when in grid(self.config.retrain_interval, self.config.horizon):
            yield At(env, when - env.now, TRAIN)
            self._train(env)

    def _train(self, env: simpy.Environment) -> None:
        """Collect the ready log; update now, or deploy after ``train_latency``."""
        self.timer.start()
        batch = self.log.pop_ready(env.now)  # collecting the log is part of training
        self.timer.lap("training")
        if len(batch) == 0:
            return
        if self.config.train_latency > 0:
            if env.now + self.config.train_latency <= self.config.horizon + EPS:
                env.process(self._deploy(env, batch))
        else:
            self._update(env.now, batch)

    def _deploy(self, env: simpy.Environment, batch: Feedback) -> Process:
        """Deploy the model trained on ``batch`` after ``train_latency`` (deploy phase)."""
        yield At(env, self.config.train_latency, DEPLOY)
        self._update(env.now, batch)

    def _progress(self, env: simpy.Environment) -> Process:
        """Advance the progress bar every 1% of the horizon."""
        step = self.config.horizon / 100
        for when in grid(step, self.config.horizon):
            yield At(env, when - env.now, SNAPSHOT)
            self.progress.update(env.now, self.recorder.impressions)

    # -- steps --------------------------------------------------------------------------
    def _serve(self, t: float, times: np.ndarray, users: np.ndarray) -> None:
        """Rank, validate, sample clicks, count, and queue the feedback of one batch."""
        timer = self.timer
        start_up = t < self.config.startup_days
        if start_up and self.config.cold_start == "organic":
            serve_organic(self, t, times, users, train=True)  # no recommender yet
            return
        timer.start()
        candidates = self.catalogue.candidates
        users.flags.writeable = False  # the policy reads them; the log keeps them
        request = SlateRequest(t, users, candidates, self.config.slate_size, self.streams.policy)
        if start_up:
            slates = random_slates(request)
        else:
            slates = self._call("rank", t, self.policy.rank, request)
        slates = validate_slates(slates, request, self.catalogue.available, self.policy_name)
        timer.lap("serving")
        relevance = self.world.relevance_of_slates(users, slates.items)
        clicks, rewards = sample_feedback(
            self.click_model, self.hooks.conversion, users, slates.items, relevance,
            self.streams.clicks,
        )
        timer.lap("clicks")
        self.recorder.record(users, slates, clicks, relevance, candidates, rewards, t)
        if self.pools is not None and t >= self.config.startup_days:
            pools = self.policy.last_pools()  # type: ignore[attr-defined]
            if pools is not None:
                self.pools.record(users, pools, relevance, candidates)
        timer.lap("metrics")
        feedback = Feedback.from_slates(times, users, slates, clicks, rewards)
        timer.lap("logging")
        self.world.observe(feedback)
        timer.lap("world")
        self.log.push(t + self.config.feedback_delay, feedback)
        if self.impression_log is not None:
            self.impression_log.append(feedback)
        if self.monitor is not None:
            self.monitor.observe(t, users, slates.items, clicks, self.model_version)
        timer.lap("logging")
        if self.config.retrain_interval == 0:
            self._train(self.env)

    def _update(self, t: float, batch: Feedback) -> None:
        """Train the policy on ``batch`` at ``t``: a new model version."""
        self.timer.start()
        self._call("update", t, self.policy.update, batch)
        self.model_version += 1
        if self.monitor is not None:
            self.monitor.event(t, "deploy", f"trained on {len(batch)} impressions",
                               self.model_version)
        self.timer.lap("training")

    def _call(self, method: str, t: float, fn: Any, arg: Any) -> Any:
        """Call the policy's ``method`` (``fn(arg)``), naming it in any error."""
        return call_policy(self.policy_name, method, t, fn, arg)

    def _scores(self, items: np.ndarray, t: float) -> np.ndarray | None:
        """The policy's scores of ``items`` (``None``: it gives none)."""
        if not self.hooks.scores_items:
            return None
        scores = self._call("item_scores", t, self.policy.item_scores, items)  # type: ignore[attr-defined]
        if scores is None:
            return None
        return self._call("item_scores", t, lambda s: np.asarray(s, dtype=np.float64), scores)


# The clock's names, the log and the organic step stay importable from here.
__all__ = [
    "CATALOGUE", "DEPLOY", "ORGANIC_STEP", "SERVE", "SNAPSHOT", "TRAIN", "At", "FeedbackLog",
    "Process", "Simulation", "SimulationConfig", "Slates",
]
