"""The feedback loop as SimPy processes on one environment (time in days).

Processes: session arrivals served in batches per ``tick`` (or one event
per session when ``tick == 0``), delayed logging, periodic retraining with a training
latency, catalogue arrivals and expiries, metric snapshots and a progress bar. Work per
impression is batched numpy; SimPy only carries coarse events.

At equal simulated times, events run in a fixed order of phases: the catalogue
changes, then sessions are served, then training collects the log, then trained models
are deployed, then metrics are recorded.
"""

from __future__ import annotations

import copy
import math
import time
from collections import deque
from collections.abc import Generator, Iterator
from itertools import count
from typing import Any

import numpy as np
import simpy
from loopsim.simulator.catalogue import Catalogue
from loopsim.simulator.click_models.base import ClickModel, sample_feedback
from loopsim.simulator.config import SimulationConfig
from loopsim.simulator.contract import (
    Feedback,
    RankingPolicy,
    ServesPools,
    SlateRequest,
    Slates,
)
from loopsim.simulator.errors import ConfigError, LoopsimError
from loopsim.simulator.feedback_join import JoinedFeedback
from loopsim.simulator.hooks import check_parameters, connect
from loopsim.simulator.impression_log import ImpressionLog, read_feedback
from loopsim.simulator.metrics.pools import PoolRecorder
from loopsim.simulator.metrics.recorder import MetricsRecorder
from loopsim.simulator.metrics.slices import SliceOptions, SliceRecorder
from loopsim.simulator.monitor import HasItemFeatures, Monitor, MonitorOptions, judge
from loopsim.simulator.organic import OrganicChoice, organic_feedback
from loopsim.simulator.policy_calls import GlobalRandomWatch, call_policy, policy_metrics_values
from loopsim.simulator.progress import ProgressBar
from loopsim.simulator.results import RunResult
from loopsim.simulator.sampling import GuidedSearch
from loopsim.simulator.seeding import Streams, pool_metrics_stream
from loopsim.simulator.slate_validation import validate_slates
from loopsim.simulator.startup import random_slates
from loopsim.simulator.timing import NullTimer, PhaseTimer, split
from loopsim.simulator.world.base import HasHistory, World
from loopsim.simulator.world.shift import DataShift, ShiftingWorld
from loopsim.simulator.world_checks import check_world
from simpy.events import Event

# Phase priorities at equal times (lower runs first; SimPy's own NORMAL is 1).
CATALOGUE, SERVE, TRAIN, DEPLOY, SNAPSHOT = 1, 2, 3, 4, 5
_EPS = 1e-9
#: Days between organic batches when ``tick == 0`` (sessions served one by one).
ORGANIC_STEP = 0.01

Process = Generator[Event, Any, None]


class At(Event):
    """An event that fires after ``delay`` days with a given phase priority."""

    def __init__(self, env: simpy.Environment, delay: float, priority: int) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, priority, max(0.0, delay))


def _grid(step: float, horizon: float) -> Iterator[float]:
    """Times ``step, 2 step, ...`` up to the horizon, and the horizon itself last."""
    for n in count(1):
        when = n * step
        if when >= horizon - _EPS:
            yield horizon
            return
        yield when


class FeedbackLog:
    """Served feedback waiting to reach the training log (FIFO by ready time)."""

    def __init__(self) -> None:
        self._pending: deque[tuple[float, Feedback]] = deque()

    def push(self, ready_at: float, feedback: Feedback) -> None:
        """Queue a served batch that reaches the log at ``ready_at``."""
        self._pending.append((ready_at, feedback))

    def pop_ready(self, now: float) -> Feedback:
        """Remove and return everything that has reached the log by ``now``."""
        ready = []
        while self._pending and self._pending[0][0] <= now + _EPS:
            ready.append(self._pending.popleft()[1])
        return JoinedFeedback.join(ready)  # columns concatenated when the policy reads them


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
        if self.monitor is not None and self.rows:
            last = self.rows[-1][0]
            self.rows.extend((last, name, value) for name, value in self._monitor_rows())
        result = RunResult.build(
            rows=self.rows,
            slice_rows=self.slice_rows,
            items=self._item_table(),
            wall_time=wall,
            impressions=self.recorder.impressions,
            sessions=self.recorder.sessions,
            seed=self.seed,
            policy_name=self.policy_name,
            error=error,
            failed_at=now if error is not None else None,
            events=self.monitor.events if self.monitor is not None else None,
        )
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
        self.shift = self._data_shift()
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
        self.monitor = self._make_monitor()
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

    # -- data shift (simulator/world/shift.py) -------------------------------------------
    def _data_shift(self) -> DataShift | None:
        """The world's active data shift, checked against the run (``None``: no shift)."""
        if not isinstance(self.world, ShiftingWorld):
            return None
        shift = self.world.data_shift
        shift.validate(self.config.horizon)  # also when inactive: a negative share is wrong
        if not shift.active:
            return None
        if self.config.tick == 0 and (shift.has_cohort or shift.seasonal):
            raise ConfigError("`tick == 0` (one event per session) does not support a "
                              "changing session rate (world.shift cohort or seasonality): "
                              "use tick > 0, e.g. tick=0.05.")
        return shift

    def _shifting(self, env: simpy.Environment) -> Process:
        """Advance the world's shift at its change times (catalogue phase)."""
        for when in self.shift.change_times(self.config.horizon):  # type: ignore[union-attr]
            yield At(env, when - env.now, CATALOGUE)
            if self.world.advance(env.now):  # type: ignore[attr-defined]
                self._set_rates()

    def _expected_sessions(self, t0: float, t1: float) -> float:
        """Expected sessions in ``(t0, t1]``: the total rate times the (seasonal) time."""
        if self.shift is None or not self.shift.seasonal:
            return self.total_rate * (t1 - t0)
        return self.total_rate * self.shift.season_integral(t0, t1)
    # -- end of data shift ---------------------------------------------------------------

    def _start_processes(self) -> simpy.Environment:
        """A fresh environment with the loop's processes (see the module docstring)."""
        cfg = self.config
        self.env = env = simpy.Environment()
        env.process(self._sessions(env))
        if self.organic_rate > 0 and cfg.tick == 0:  # else drawn with each tick's sessions
            env.process(self._organic(env))
        env.process(self._catalogue(env))
        if self.shift is not None:
            env.process(self._shifting(env))
        if self.world.item_lifetime is not None:
            self._schedule_expiry(env, np.arange(self.world.n_items), initial=True)
        if cfg.retrain_interval > 0:
            env.process(self._training(env))
        env.process(self._snapshots(env))
        env.process(self._progress(env))
        if self.monitor is not None:
            env.process(self._monitoring(env))
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
            for when in _grid(tick, self.config.horizon):
                yield At(env, when - env.now, SERVE)
                self.timer.start()
                n = int(rng.poisson(self._expected_sessions(previous, when)))
                users = self._draw_users(rng, n)
                times = np.sort(previous + (when - previous) * rng.random(n))
                self.timer.lap("arrivals")
                if self.organic_rate > 0:
                    self._organic_between(previous, when)
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

    def _organic(self, env: simpy.Environment) -> Process:
        """Organic sessions when ``tick == 0``: batched every ``ORGANIC_STEP`` days."""
        previous = 0.0
        for when in _grid(ORGANIC_STEP, self.config.horizon):
            yield At(env, when - env.now, SERVE)
            self._organic_between(previous, when)
            previous = when

    def _organic_between(self, start: float, end: float) -> None:
        """Organic sessions of ``(start, end]``: ``world.organic`` times each user's rate."""
        self.timer.start()
        rng = self.streams.organic
        n = int(rng.poisson(self.organic_rate * self.total_rate * (end - start)))
        if n:
            users = self._draw_users(rng, n)
            times = np.sort(start + (end - start) * rng.random(n))
            self._serve_organic(end, times, users, train=False)
        self.timer.lap("organic")

    def _serve_organic(self, t: float, times: np.ndarray, users: np.ndarray,
                       train: bool) -> None:
        """Organic sessions: each user picks an item by their own relevance; logged.

        Under online learning (``retrain_interval == 0``) the organic rows reach the
        policy with the next served batch's update, unless ``train`` (the organic
        start-up period, when no batch is served).
        """
        items = self.organic_choice.draw(self.world, users, self.catalogue.candidates,
                                         self.streams.organic)
        self.recorder.record_organic(items)
        feedback = organic_feedback(times, users, items)
        self.log.push(t + self.config.feedback_delay, feedback)
        if self.impression_log is not None:
            self.impression_log.append(feedback)
        if train and self.config.retrain_interval == 0:
            self._train(self.env)

    def _draw_users(self, rng: np.random.Generator, n: int) -> np.ndarray:
        draws = rng.random(n) * self.total_rate
        users = self.user_search(draws)  # == np.searchsorted(cum_rates, draws, side="right")
        return np.minimum(users, self.cum_rates.shape[0] - 1).astype(np.int64)

    def _catalogue(self, env: simpy.Environment) -> Process:
        """New items: a Poisson stream of ``world.item_arrival_rate`` per day."""
        rate = float(self.world.item_arrival_rate)
        if rate <= 0:
            return
        rng = self.streams.catalogue
        t = 0.0
        while True:
            t += float(rng.exponential(1.0 / rate))
            if t > self.config.horizon:
                return
            yield At(env, t - env.now, CATALOGUE)
            self.timer.start()
            ids = self.world.add_items(1, rng)
            self.catalogue.add(ids, env.now)
            self.timer.lap("catalogue")
            if self.world.item_lifetime is not None:
                self._schedule_expiry(env, ids, initial=False)

    def _schedule_expiry(self, env: simpy.Environment, ids: np.ndarray, initial: bool) -> None:
        lifetime = float(self.world.item_lifetime)  # type: ignore[arg-type]
        if initial:
            # Items present at time 0 are of every age: their remaining life is uniform.
            remaining = lifetime * (1.0 - self.streams.catalogue.random(ids.size))
        else:
            remaining = np.full(ids.size, lifetime)
        for item, life in zip(ids, remaining, strict=True):
            if env.now + life <= self.config.horizon:
                env.process(self._expire(env, int(item), float(life)))

    def _expire(self, env: simpy.Environment, item: int, after: float) -> Process:
        # An item outlives its lifetime when removing it would leave fewer than k items.
        yield At(env, after, CATALOGUE)
        if self.catalogue.candidates.size > self.config.slate_size:
            self.catalogue.remove(np.array([item]))

    def _training(self, env: simpy.Environment) -> Process:
        """Every ``retrain_interval``: take the ready log, deploy after ``train_latency``."""
        for when in _grid(self.config.retrain_interval, self.config.horizon):
            yield At(env, when - env.now, TRAIN)
            self._train(env)

    def _train(self, env: simpy.Environment) -> None:
        self.timer.start()
        batch = self.log.pop_ready(env.now)  # collecting the log is part of training
        self.timer.lap("training")
        if len(batch) == 0:
            return
        if self.config.train_latency > 0:
            if env.now + self.config.train_latency <= self.config.horizon + _EPS:
                env.process(self._deploy(env, batch))
        else:
            self._update(env.now, batch)

    def _deploy(self, env: simpy.Environment, batch: Feedback) -> Process:
        yield At(env, self.config.train_latency, DEPLOY)
        self._update(env.now, batch)

    def _snapshots(self, env: simpy.Environment) -> Process:
        """Every ``snapshot_interval``: metrics on a read-only view of the counters."""
        for when in _grid(self.config.snapshot_interval, self.config.horizon):
            yield At(env, when - env.now, SNAPSHOT)
            self._snapshot(env.now)

    def _progress(self, env: simpy.Environment) -> Process:
        step = self.config.horizon / 100
        for when in _grid(step, self.config.horizon):
            yield At(env, when - env.now, SNAPSHOT)
            self.progress.update(env.now, self.recorder.impressions)

    # -- steps --------------------------------------------------------------------------
    def _serve(self, t: float, times: np.ndarray, users: np.ndarray) -> None:
        """Rank, validate, sample clicks, count, and queue the feedback of one batch."""
        timer = self.timer
        start_up = t < self.config.startup_days
        if start_up and self.config.cold_start == "organic":
            self._serve_organic(t, times, users, train=True)  # no recommender yet
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
        self.timer.start()
        self._call("update", t, self.policy.update, batch)
        self.model_version += 1
        if self.monitor is not None:
            self.monitor.event(t, "deploy", f"trained on {len(batch)} impressions",
                               self.model_version)
        self.timer.lap("training")

    # -- monitoring and guarded deployment (simulator/monitor.py) ------------------------
    def _make_monitor(self) -> Monitor | None:
        options = self.monitor_options
        if options is None:
            return None
        options.validate(self.config.horizon)
        if not options.enabled:
            return None
        features = self.world if isinstance(self.world, HasItemFeatures) else None
        self._accepted = self._candidate = (self._copy_policy(), 0)
        self._rollback_gains: list[float] = []
        self._eval_rng = self.streams.metrics.spawn(1)[0]  # regret of rollbacks: truth
        return Monitor(options, int(getattr(self.world, "n_users", 0)), self.streams.monitor,
                       features)

    def _copy_policy(self) -> RankingPolicy:
        """A copy of the policy's state; the world it may hold stays shared."""
        return copy.deepcopy(self.policy, {id(self.world): self.world})

    def _monitoring(self, env: simpy.Environment) -> Process:
        """Every ``monitor.interval``: check the bands, then the guard (after metrics)."""
        for when in _grid(self.monitor.options.interval, self.config.horizon):  # type: ignore[union-attr]
            yield At(env, when - env.now, SNAPSHOT)
            self._check(env.now)

    def _check(self, t: float) -> None:
        monitor = self.monitor
        if monitor is None:
            return
        ctr, impressions = monitor.window_ctr()
        monitor.check(t, self.model_version, self._scores(self.catalogue.candidates, t))
        threshold = monitor.options.guard_threshold
        if threshold is None or impressions < monitor.options.min_impressions:
            return
        accepted, version = self._accepted
        if (monitor.accepted_ctr is not None and self.model_version != version
                and ctr < monitor.accepted_ctr * (1.0 - threshold)):
            gain = self._regret(self.policy, t) - self._regret(accepted, t)
            self._rollback_gains.append(gain)
            monitor.event(t, "rollback", f"ctr={ctr:.4f} < {1 - threshold:.2f} x accepted "
                          f"{monitor.accepted_ctr:.4f}; back to version {version}; "
                          f"regret saved per session {gain:+.4f}", version)
            self.policy = accepted
            # The restored copy's own hooks; its parts keep their streams and states.
            self.hooks = connect(self.policy, self.world)
            self.model_version = version
            self._accepted = self._candidate = (self._copy_policy(), version)
            monitor.accepted_ctr = None  # the next window re-measures the restored version
        else:
            # The window was served from the version current at the previous check on.
            self._accepted = self._candidate
            monitor.accepted_ctr = ctr
            monitor.event(t, "accept", f"ctr={ctr:.4f}", self._candidate[1])
            self._candidate = (self._copy_policy(), self.model_version)

    def _regret(self, policy: RankingPolicy, t: float, n: int = 500) -> float:
        """Mean regret per session of ``policy`` now, on sampled users (truth; metrics only)."""
        users = self._draw_users(self._eval_rng, n)
        candidates = self.catalogue.candidates
        request = SlateRequest(t, users, candidates, self.config.slate_size, self._eval_rng)
        slates = self._call("rank", t, policy.rank, request)
        relevance = self.world.relevance_of_slates(users, slates.items)
        expected = self.click_model.expected_clicks(relevance)
        return float((self.recorder.best_expected_clicks(users, candidates) - expected).mean())

    def _monitor_rows(self) -> list[tuple[str, float]]:
        """Alarms judged against the world's known shift times, and the guard's tally."""
        monitor = self.monitor
        if monitor is None:
            return []
        alerts = np.array([e[0] for e in monitor.events if e[1] == "alert"])
        shifts = self.shift.shift_times() if self.shift is not None else ()
        rows = [(f"monitor_{k}", v) for k, v in
                judge(alerts, shifts, monitor.options.detect_window).items()]
        if monitor.options.guard_threshold is not None:
            gains = self._rollback_gains
            rows += [("guard_rollbacks", float(len(gains))),
                     ("guard_regret_saved", float(np.sum(gains)) if gains else 0.0)]
        return rows
    # -- end of monitoring ---------------------------------------------------------------

    def _call(self, method: str, t: float, fn: Any, arg: Any) -> Any:
        return call_policy(self.policy_name, method, t, fn, arg)

    def _scores(self, items: np.ndarray, t: float) -> np.ndarray | None:
        if not self.hooks.scores_items:
            return None
        scores = self._call("item_scores", t, self.policy.item_scores, items)  # type: ignore[attr-defined]
        if scores is None:
            return None
        return self._call("item_scores", t, lambda s: np.asarray(s, dtype=np.float64), scores)

    def _snapshot(self, t: float) -> None:
        self.timer.start()
        candidates = self.catalogue.candidates
        sliced = self.recorder.slices is not None
        arrival = self.catalogue.arrival_times() if sliced else None
        values = self.recorder.snapshot(candidates, self._scores(candidates, t), t, arrival)
        values.update(self._policy_metrics(t))
        if self.pools is not None:
            values.update(self.pools.snapshot(candidates))
            stage = self._call("stage_metrics", t, lambda _: self.policy.stage_metrics(), None)
            values.update({name: float(v) for name, v in (stage or {}).items()})
        self.rows.extend((t, name, value) for name, value in values.items())
        if sliced:
            self.slice_rows.extend((t, *row) for row in self.recorder.slice_rows)
        self.timer.lap("metrics")

    def _policy_metrics(self, t: float) -> dict[str, float]:
        """``policy_metrics()`` of the policy and its parts (ReportsMetrics), as ``policy_*``."""
        out: dict[str, float] = {}
        for part in self.hooks.reporters:
            extra = self._call("policy_metrics", t, lambda _, p=part: p.policy_metrics(), None)
            out.update(policy_metrics_values(self.policy_name, t, extra))
        return out

    def _item_table(self) -> dict[str, np.ndarray]:
        n = self.catalogue.n_total
        ids = np.arange(n, dtype=np.int64)
        self.recorder.ensure_capacity(n)
        try:
            scores = self._scores(ids, self.env.now)
        except LoopsimError:
            scores = None
        return {
            "item": ids,
            "true_value": self.world.true_value(ids),
            "exposure": self.recorder.exposure[:n].copy(),
            "clicks": self.recorder.clicks[:n].copy(),
            "reward": self.recorder.reward[:n].copy(),
            "organic": self.recorder.organic[:n].copy(),
            "policy_score": scores if scores is not None else np.full(n, math.nan),
            "arrival_time": self.catalogue.arrival_times(),
            "available": self.catalogue.available.copy(),
        }


__all__ = ["FeedbackLog", "Simulation", "SimulationConfig", "Slates"]
