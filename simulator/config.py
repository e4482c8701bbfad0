"""The engine's own settings (the world, click model and policy are objects of their own)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from loopsim.simulator.errors import ConfigError
from loopsim.simulator.schema import NonNegative, Positive, PositiveInt, check_arguments

#: Most grid steps (batches, retrainings, snapshots) one run may schedule.
MAX_STEPS = 10_000_000


@dataclass(frozen=True)
class SimulationConfig:
    """Timing of the loop, in simulated days.

    The one declaration of the loop's timing keys: their names, types, defaults and
    ranges. The top-level config schema (``loopsim.experiments.schema``) and the runner
    derive theirs from these fields.

    Attributes:
        horizon: Length of the run.
        tick: Sessions arriving within one tick are served as one batch at its end;
            0 serves every session at its own arrival time (exact, slower).
        slate_size: ``k``, items per slate.
        feedback_delay: Days between serving and the feedback reaching the training log.
        retrain_interval: Days between policy updates; 0 updates after every served
            batch (online learning).
        train_latency: Days between an update's start and its effect on serving.
        snapshot_interval: Days between metric snapshots (also the metric window).
        quality_sessions_per_day: Target number of sessions per day on which the
            served-quality metrics that need the ideal slate (NDCG, regret) are
            evaluated; sessions are sampled uniformly, all of them when the world has
            fewer.
        startup_days: Days at the start of the run during which every session gets a
            uniformly random slate instead of the policy's (Chaney et al.'s start-up
            period); the policy still learns from that feedback. 0: none.
        progress: Show a progress bar on stderr: ``True``, ``False`` or ``None`` (only
            when the run takes more than a few seconds).
    """

    horizon: Positive = 100.0
    tick: NonNegative = 0.05
    slate_size: PositiveInt = 10
    feedback_delay: NonNegative = 0.0
    retrain_interval: NonNegative = 0.25
    train_latency: NonNegative = 0.0
    snapshot_interval: Positive = 1.0
    quality_sessions_per_day: NonNegative = 1000.0
    progress: bool | None = None
    startup_days: NonNegative = 0.0

    def validate(self) -> None:
        """Raise :class:`~simulator.errors.ConfigError` naming the first bad field."""
        check_arguments(SimulationConfig, asdict(self))
        for name in ("tick", "retrain_interval", "snapshot_interval"):
            step = getattr(self, name)
            if step > 0 and self.horizon / step > MAX_STEPS:
                raise ConfigError(
                    f"`{name} == {step!r}` with `horizon == {self.horizon!r}` schedules "
                    f"{self.horizon / step:.3g} steps, more than {MAX_STEPS:,} (the run "
                    f"would not end in useful time): use {name} >= {self.horizon / MAX_STEPS:.3g}"
                    " or a shorter horizon."
                )
        if self.snapshot_interval > self.horizon:
            raise ConfigError(
                f"`snapshot_interval == {self.snapshot_interval}` is longer than "
                f"`horizon == {self.horizon}`: no metric would be recorded. Use a "
                "snapshot_interval <= horizon."
            )
