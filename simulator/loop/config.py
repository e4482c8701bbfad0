"""The engine's own settings (the world, click model and policy are objects of their own)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.checks import MAX_STEPS as _MAX_STEPS
from loopsim.simulator.params.checks import check_schedule
from loopsim.simulator.params.component_schema import (
    NonNegative,
    Positive,
    PositiveInt,
    check_arguments,
)

#: Most grid steps (batches, retrainings, snapshots) one run may schedule.
MAX_STEPS = _MAX_STEPS


@dataclass(frozen=True)
class SimulationConfig:
    """Timing of the loop, in simulated days.

    The one declaration of the loop's timing keys: their names, types, defaults and
    ranges. The top-level config schema (``loopsim.experiments.cli.config_schema``) and the runner
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
        cold_start: How the policy's first data arise (docs/cold_start.md):
            ``"none"`` -- the policy serves from the first session (its ties broken at
            random per session; the organic channel, when open, adds data);
            ``"random"`` -- for ``startup_days`` every session gets a uniformly random
            slate instead of the policy's (Chaney et al.'s start-up period);
            ``"organic"`` -- for ``startup_days`` no slate is served: every session is
            organic (the user finds one item by their own relevance);
            ``"history"`` -- the policy is first updated with the logged feedback in
            ``history_path`` (a Parquet file or folder of ``Feedback`` columns, e.g. a
            run's ``impressions/``). The policy learns from the start-up feedback in
            every case.
        startup_days: Length of the ``random`` or ``organic`` start-up period.
        history_path: The logged history of ``cold_start == "history"``.
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
    cold_start: Literal["none", "random", "organic", "history"] = "none"
    history_path: str | None = None

    @property
    def online_learning(self) -> bool:
        """Whether the policy learns after every served batch (``retrain_interval == 0``).

        The one place that decides it: the training process runs only without online
        learning, and the serving and organic steps train right after a batch with it.
        """
        return self.retrain_interval == 0

    def validate(self) -> None:
        """Raise :class:`~loopsim.simulator.errors.ConfigError` naming the first bad field."""
        check_arguments(SimulationConfig, asdict(self))
        self._validate_cold_start()
        for name in ("tick", "retrain_interval", "snapshot_interval"):
            check_schedule(name, getattr(self, name), self.horizon, MAX_STEPS)
        if self.startup_days >= self.horizon:
            raise ConfigError(
                f"`startup_days == {self.startup_days}` is not shorter than `horizon == "
                f"{self.horizon}`: the policy would never serve. Use startup_days < horizon."
            )
        if self.snapshot_interval > self.horizon:
            raise ConfigError(
                f"`snapshot_interval == {self.snapshot_interval}` is longer than "
                f"`horizon == {self.horizon}`: no metric would be recorded. Use a "
                "snapshot_interval <= horizon."
            )

    def _validate_cold_start(self) -> None:
        if self.cold_start not in COLD_STARTS:
            raise ConfigError(
                f"`cold_start == {self.cold_start!r}`: must be one of {list(COLD_STARTS)} "
                "(none, random start-up slates, organic start-up sessions, a logged history)."
            )
        if self.cold_start in ("random", "organic") and self.startup_days <= 0:
            raise ConfigError(
                f"`cold_start == {self.cold_start!r}` with `startup_days == "
                f"{self.startup_days}`: the start-up period would be empty. Set "
                "startup_days > 0 (e.g. startup_days=1) or cold_start=none."
            )
        if self.cold_start in ("none", "history") and self.startup_days > 0:
            raise ConfigError(
                f"`startup_days == {self.startup_days}` with `cold_start == "
                f"{self.cold_start!r}`: a start-up period needs cold_start=random (random "
                "slates) or cold_start=organic (organic sessions); or set startup_days=0."
            )
        if self.cold_start == "history" and not self.history_path:
            raise ConfigError(
                "`cold_start == 'history'` needs `history_path`: a Parquet file or folder "
                "of logged feedback (e.g. a run's impressions/ written with "
                "log.impressions=true)."
            )
        if self.cold_start != "history" and self.history_path:
            raise ConfigError(
                f"`history_path == {self.history_path!r}` is only read with "
                f"cold_start=history (got `cold_start == {self.cold_start!r}`)."
            )


#: The allowed ``cold_start`` modes.
COLD_STARTS = ("none", "random", "organic", "history")
