"""The feedback loop as SimPy processes on one environment (time in days).

:class:`Simulation` stores a run's parts; :meth:`Simulation.run` builds the run's
explicit state (:class:`~loopsim.simulator.loop.state.RunState`), its deployed policy
(:class:`~loopsim.simulator.loop.deployment.Deployment`) and trainer
(:class:`~loopsim.simulator.loop.training.Trainer`), starts the processes and runs them
to the horizon. Each process is a generator that takes ``env`` first and the parts of
the state it reads and writes:

* :func:`~loopsim.simulator.loop.serving.sessions` -- arrivals, served per ``tick``;
* :func:`~loopsim.simulator.loop.organic_sessions.organic_process` -- organic sessions
  when ``tick == 0`` (else drawn with each tick's sessions);
* :func:`~loopsim.simulator.loop.item_arrivals.item_arrivals` and expiries;
* :func:`~loopsim.simulator.loop.shift_schedule.shifting` -- the world's data shift;
* :func:`~loopsim.simulator.loop.training.training` -- periodic retraining;
* :func:`~loopsim.simulator.loop.snapshots.snapshots` and the progress bar;
* :func:`~loopsim.simulator.monitoring.guard.monitoring` -- monitor and guard.

At equal simulated times, events run in a fixed order of phases
(:mod:`~loopsim.simulator.loop.clock`): the catalogue changes, then sessions are
served, then training collects the log, then trained models are deployed, then metrics
are recorded (and the monitor checks).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import simpy
from loopsim.simulator.contract.click_model import ClickModel
from loopsim.simulator.contract.policy import (
    ExposesRankerFeatures,
    FitsRankerPerUser,
    RankingPolicy,
    ServesPools,
)
from loopsim.simulator.contract.world import HasHistory, World
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.io.feedback_checks import Bounds
from loopsim.simulator.io.impression_log import ImpressionLog, read_feedback
from loopsim.simulator.io.results import RunResult
from loopsim.simulator.loop.catalogue import Catalogue
from loopsim.simulator.loop.clock import Process
from loopsim.simulator.loop.config import SimulationConfig
from loopsim.simulator.loop.deployment import Deployment
from loopsim.simulator.loop.feedback_queue import FeedbackQueue
from loopsim.simulator.loop.hooks import check_parameters, connect
from loopsim.simulator.loop.item_arrivals import item_arrivals, schedule_expiry
from loopsim.simulator.loop.organic_sessions import organic_process
from loopsim.simulator.loop.policy_calls import GlobalRandomWatch
from loopsim.simulator.loop.progress import ProgressBar
from loopsim.simulator.loop.run_checks import check_world
from loopsim.simulator.loop.seeding import Streams, pool_metrics_stream
from loopsim.simulator.loop.serving import sessions
from loopsim.simulator.loop.shift_schedule import active_shift, shifting
from loopsim.simulator.loop.snapshots import item_table, progress, snapshots
from loopsim.simulator.loop.state import RunState
from loopsim.simulator.loop.timing import NullTimer, PhaseTimer, split
from loopsim.simulator.loop.training import Trainer, training
from loopsim.simulator.loop.user_sampler import UserSampler
from loopsim.simulator.metrics.pools import PoolRecorder
from loopsim.simulator.metrics.recorder import MetricsRecorder
from loopsim.simulator.metrics.slices import SliceOptions, SliceRecorder
from loopsim.simulator.monitoring.guard import Guard, make_guard, monitoring
from loopsim.simulator.monitoring.monitor import Monitor, MonitorOptions
from loopsim.simulator.world.organic_choice import OrganicChoice


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

    After :meth:`run` has started, :attr:`state`, :attr:`deployment` and :attr:`guard`
    hold the run's state (``None`` before).
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
        self.state: RunState | None = None
        self.deployment: Deployment | None = None
        self.guard: Guard | None = None

    def run(self) -> RunResult:
        """Run the loop to the horizon and return its metrics, items and summary.

        A failure inside the run (a policy that raises or breaks the contract, any other
        exception, or an interruption: ``KeyboardInterrupt``, which ``loopsim`` also
        raises on SIGTERM) does not lose what was recorded: the result has
        ``status == "failed"``, the error, the simulated time and every snapshot taken
        before it. Call :meth:`RunResult.raise_for_status` to re-raise.
        A bad value found while preparing the run raises :class:`ConfigError` at once.
        """
        state, deployment, guard = self._prepare()
        start = time.perf_counter()
        error: BaseException | None = None
        watch = GlobalRandomWatch()
        try:
            state.env.run()
        except (Exception, KeyboardInterrupt) as exc:
            # SimPy re-raises a copy of a process's exception, chained to the original:
            # keep the original, whose own cause is the policy's exception.
            error = exc.__cause__ if type(exc.__cause__) is type(exc) else exc
        finally:
            state.progress.close()
            if state.impression_log is not None:
                state.impression_log.close()
        result = self._result(state, deployment, guard, error, time.perf_counter() - start)
        if warnings := watch.warnings(self.policy_name):
            result.summary["warnings"] = warnings
        return result

    def _result(self, state: RunState, deployment: Deployment, guard: Guard | None,
                error: BaseException | None, wall: float) -> RunResult:
        """The run's metrics, items and summary (also after a failure)."""
        state.metrics.resolve()  # the deferred metrics of the snapshots
        rows, recorder = state.metrics.rows, state.recorder
        if guard is not None and rows:
            last = rows[-1][0]
            rows.extend((last, name, value) for name, value in guard.rows())
        result = RunResult.build(
            rows=rows,
            slice_rows=state.metrics.slice_rows,
            items=item_table(state, deployment),
            wall_time=wall,
            impressions=recorder.impressions,
            sessions=recorder.sessions,
            seed=self.seed,
            policy_name=self.policy_name,
            error=error,
            failed_at=state.env.now if error is not None else None,
            events=guard.monitor.events if guard is not None else None,
        )
        result.summary["organic_sessions"] = recorder.organic_sessions
        if state.timer.enabled:
            result.summary["time_split"] = split(state.timer.totals(), wall)
        if state.impression_log is not None:
            result.summary["impression_log"] = {
                "files": len(state.impression_log.files),
                "rows": state.impression_log.rows_written,
            }
        return result

    def _prepare(self) -> tuple[RunState, Deployment, Guard | None]:
        """Validate, reset the world, build the state, the deployment and the processes."""
        cfg, world, click_model, policy = self.config, self.world, self.click_model, self.policy
        cfg.validate()
        check_parameters(world, click_model, policy)
        if not isinstance(policy, RankingPolicy):
            raise ConfigError(
                f"policy {self.policy_name} ({type(policy).__name__}) has no "
                "rank()/update() methods: it does not implement simulator.RankingPolicy."
            )
        streams = Streams.from_seed(self.seed, world.seed)
        world.reset(streams.world)
        check_world(world, click_model, cfg.slate_size, cfg.horizon)
        catalogue = Catalogue()
        catalogue.add(np.arange(world.n_items, dtype=np.int64), 0.0)
        shift = active_shift(world, cfg)
        users = UserSampler.of(world)
        quality_rate = (
            1.0
            if users.total_rate <= cfg.quality_sessions_per_day
            else cfg.quality_sessions_per_day / users.total_rate
        )
        recorder = MetricsRecorder(world, click_model, cfg.slate_size, quality_rate,
                                   streams.metrics)
        pools = (
            PoolRecorder(world, click_model, cfg.slate_size, quality_rate,
                         recorder.ideal_slates, pool_metrics_stream(self.seed),
                         features=(policy.ranker_features
                                   if isinstance(policy, ExposesRankerFeatures) else None),
                         per_session=(isinstance(policy, FitsRankerPerUser)
                                      and bool(policy.ranker_per_user)))
            if isinstance(policy, ServesPools) else None
        )
        if self.slices is not None and self.slices.enabled:
            self.slices.validate()
            recorder.slices = SliceRecorder(self.slices, world, streams.metrics.spawn(1)[0])
        # Optional hooks, checked once (mf's initial factors get a policy-stream child).
        hooks = connect(policy, world, streams.policy)
        state = RunState(
            env=simpy.Environment(), config=cfg, world=world, click_model=click_model,
            streams=streams, catalogue=catalogue, users=users, recorder=recorder,
            pools=pools, queue=FeedbackQueue(),
            timer=PhaseTimer() if self.timing else NullTimer(),
            progress=ProgressBar(cfg.horizon, self.policy_name, cfg.progress),
            impression_log=self.impression_log, shift=shift,
            organic_rate=hooks.organic, organic_choice=OrganicChoice(hooks.organic_sharpness),
        )
        deployment = Deployment(policy, self.policy_name, hooks)
        guard = make_guard(self.monitor_options, state, deployment)
        trainer = Trainer(state.env, state.queue, deployment, cfg, state.timer,
                          guard.monitor if guard is not None else None)
        self.state, self.deployment, self.guard = state, deployment, guard
        if isinstance(world, HasHistory) and len(warm := world.history()):
            trainer.train(0.0, warm)  # logged feedback to start from
        if cfg.cold_start == "history":
            trainer.train(0.0, read_feedback(str(cfg.history_path), Bounds(
                slate_size=cfg.slate_size, n_users=int(world.n_users),
                n_items=int(world.n_items))))
        start_processes(state, deployment, trainer, guard, self.session_process())
        return state, deployment, guard

    def session_process(self) -> SessionProcess:
        """The process that serves sessions (:func:`~loopsim.simulator.loop.serving.sessions`).

        A driver that serves the sessions itself (the Gymnasium environment,
        :mod:`loopsim.gym`) returns its own process of the same signature.
        """
        return sessions


#: A session process: ``(env, state, deployment, trainer, monitor) -> Process``.
SessionProcess = Callable[[simpy.Environment, RunState, Deployment, Trainer, Monitor | None],
                          Process]


def start_processes(state: RunState, deployment: Deployment, trainer: Trainer,
                    guard: Guard | None, session_process: SessionProcess = sessions) -> None:
    """Start the loop's processes on ``state.env`` (see the module docstring)."""
    env, cfg, world = state.env, state.config, state.world
    monitor = guard.monitor if guard is not None else None
    env.process(session_process(env, state, deployment, trainer, monitor))
    if state.organic_rate > 0 and cfg.tick == 0:  # else drawn with each tick's sessions
        env.process(organic_process(env, state))
    env.process(item_arrivals(env, world, state.catalogue, state.streams.catalogue,
                              cfg.horizon, cfg.slate_size, state.timer))
    if state.shift is not None:
        env.process(shifting(env, world, state.shift, state.users,  # type: ignore[arg-type]
                             cfg.horizon))
    if world.item_lifetime is not None:
        schedule_expiry(env, state.catalogue, np.arange(world.n_items),
                        float(world.item_lifetime), state.streams.catalogue, cfg.horizon,
                        cfg.slate_size)
    if not cfg.online_learning:
        env.process(training(env, trainer, cfg.retrain_interval, cfg.horizon))
    env.process(snapshots(env, state, deployment))
    env.process(progress(env, state))
    if guard is not None:
        env.process(monitoring(env, guard, cfg.horizon))


__all__ = ["SessionProcess", "Simulation", "start_processes"]
