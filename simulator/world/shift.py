"""Data shift in a world: item drift, a new user cohort, seasonal activity.

Production data moves away from the training data. :class:`DataShift` holds the
options of ``world.shift`` (all off by default) and :class:`ShiftState` applies them to a
world's arrays while the run goes on; the world's truth (relevance, ``true_value``, the
oracle) reads the same arrays, so it follows the shift exactly.

* **Item drift** (``item_drift``): each item's quality changes over time.
  ``trend``: every item gets a slope ``~ Normal(0, drift_rate)`` (quality per day) when
  first seen; ``random_walk``: every ``drift_step`` days each quality moves by
  ``Normal(0, drift_rate * sqrt(drift_step))``; ``shock``: at ``shock_time`` a share
  ``shock_share`` of the items then in the world, drawn at random (or those of highest
  quality, ``shock_target: top``), have their quality multiplied by ``shock_factor``.
  Qualities stay in [0, 1].
* **Population shift** (``cohort_share`` > 0): that share of the users, drawn at random,
  forms a cohort with tastes of its own (unit vectors around a random centre:
  ``normalize(centre + cohort_spread * noise)``) and no activity before ``cohort_time``;
  from then on they arrive at their usual rates. The population over which
  ``true_value`` averages is the users present.
* **Seasonality** (``season_daily``, ``season_weekly``): the session rate is multiplied
  by ``1 + a_d sin(2 pi t) + a_w sin(2 pi t / 7)`` (``t`` in days).

The shift draws from its own child of the world stream, only when it is on, so the
defaults leave every draw of a run unchanged (bit-identical results).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.checks import check_in_range, check_schedule

__all__ = ["DRIFT_KINDS", "SHOCK_TARGETS", "DataShift", "ShiftState"]

#: The kinds of item drift.
DRIFT_KINDS = ("none", "trend", "random_walk", "shock")
#: Most drift steps one run may schedule (each moves every item's quality).
MAX_WORLD_STEPS = 1_000_000
#: Which items a shock hits.
SHOCK_TARGETS = ("random", "top")


@dataclass(frozen=True)
class DataShift:
    """The options of ``world.shift``; the defaults shift nothing.

    Attributes:
        item_drift: ``none``, ``trend``, ``random_walk`` or ``shock``.
        drift_rate: ``trend``: standard deviation of the per-item slopes (quality per
            day); ``random_walk``: standard deviation of a step per square-root day.
        drift_step: Days between two updates of a gradual drift.
        shock_time: Day of the shock (``item_drift: shock``).
        shock_share: Share of the items present at ``shock_time`` that are hit, in [0, 1].
        shock_factor: The hit items' quality is multiplied by this (>= 0; < 1 loses
            appeal, > 1 gains it, clipped at 1).
        shock_target: ``random`` (the hit items drawn at random) or ``top`` (the items of
            highest quality: the hits lose their appeal).
        cohort_time: Day from which the new user cohort arrives.
        cohort_share: Share of the users in the new cohort, in [0, 1] (0: none).
        cohort_spread: Spread of the cohort's tastes around their centre (> 0; small:
            the cohort agrees, large: as spread as everyone else).
        season_daily: Amplitude of the daily activity cycle, in [0, 1).
        season_weekly: Amplitude of the weekly activity cycle, in [0, 1); the two
            amplitudes must sum to less than 1.
    """

    item_drift: str = "none"
    drift_rate: float = 0.0
    drift_step: float = 1.0
    shock_time: float | None = None
    shock_share: float = 0.0
    shock_factor: float = 0.25
    shock_target: str = "random"
    cohort_time: float | None = None
    cohort_share: float = 0.0
    cohort_spread: float = 0.5
    season_daily: float = 0.0
    season_weekly: float = 0.0

    @classmethod
    def from_options(cls, options: Any) -> DataShift:
        """Build from a ``world.shift`` mapping (``None``: no shift); unknown keys refused."""
        if options is None:
            return cls()
        if isinstance(options, DataShift):
            return options
        if not hasattr(options, "keys"):
            raise ConfigError(f"`world.shift == {options!r}`: must be a mapping of shift "
                              "options (see docs/monitoring.md) or null.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options.keys()) - known)
        if unknown:
            raise ConfigError(f"`world.shift` has unknown keys {unknown}; allowed: "
                              f"{sorted(known)}.")
        return cls(**{k: options[k] for k in options.keys()})

    @property
    def drifts(self) -> bool:
        """True when item qualities change over time."""
        return self.item_drift != "none"

    @property
    def has_cohort(self) -> bool:
        """True when a new user cohort arrives."""
        return self.cohort_share > 0

    @property
    def seasonal(self) -> bool:
        """True when activity varies over the day or the week."""
        return self.season_daily > 0 or self.season_weekly > 0

    @property
    def active(self) -> bool:
        """True when any shift is on."""
        return self.drifts or self.has_cohort or self.seasonal

    def validate(self, horizon: float | None = None) -> None:
        """Raise :class:`ConfigError` naming the first bad option (times within ``horizon``)."""
        if self.item_drift not in DRIFT_KINDS:
            raise ConfigError(f"`world.shift.item_drift == {self.item_drift!r}`: must be one "
                              f"of {list(DRIFT_KINDS)}.")
        check_in_range("world.shift.drift_rate", self.drift_rate, 0.0, None)
        check_in_range("world.shift.drift_step", self.drift_step, 0.0, None, low_open=True)
        if horizon is not None and self.drifts and self.item_drift != "shock":
            check_schedule("world.shift.drift_step", self.drift_step, horizon, MAX_WORLD_STEPS)
        check_in_range("world.shift.shock_share", self.shock_share, 0.0, 1.0)
        check_in_range("world.shift.shock_factor", self.shock_factor, 0.0, None)
        if self.shock_target not in SHOCK_TARGETS:
            raise ConfigError(f"`world.shift.shock_target == {self.shock_target!r}`: must be "
                              f"one of {list(SHOCK_TARGETS)}.")
        check_in_range("world.shift.cohort_share", self.cohort_share, 0.0, 1.0, high_open=True)
        check_in_range("world.shift.cohort_spread", self.cohort_spread, 0.0, None,
                       low_open=True)
        check_in_range("world.shift.season_daily", self.season_daily, 0.0, 1.0, high_open=True)
        check_in_range("world.shift.season_weekly", self.season_weekly, 0.0, 1.0,
                       high_open=True)
        if self.season_daily + self.season_weekly >= 1.0:
            raise ConfigError(
                f"`world.shift.season_daily + world.shift.season_weekly == "
                f"{self.season_daily + self.season_weekly}`: must be < 1 so that activity "
                "stays positive.")
        if self.item_drift == "shock" and self.shock_time is None:
            raise ConfigError("`world.shift.item_drift == 'shock'` needs "
                              "`world.shift.shock_time` (the day of the shock).")
        if self.has_cohort and self.cohort_time is None:
            raise ConfigError(f"`world.shift.cohort_share == {self.cohort_share}` needs "
                              "`world.shift.cohort_time` (the day the cohort arrives).")
        for name in ("shock_time", "cohort_time"):
            value = getattr(self, name)
            if value is not None:
                check_in_range(f"world.shift.{name}", value, 0.0, horizon)

    def shift_times(self) -> tuple[float, ...]:
        """The known times of sudden shifts (shock, cohort arrival), for judging alarms."""
        out = []
        if self.item_drift == "shock" and self.shock_time is not None:
            out.append(float(self.shock_time))
        if self.has_cohort and self.cohort_time is not None:
            out.append(float(self.cohort_time))
        return tuple(sorted(out))

    def change_times(self, horizon: float) -> list[float]:
        """Times in ``(0, horizon]`` at which the world must be advanced, sorted."""
        times: set[float] = set(t for t in self.shift_times() if 0 < t <= horizon)
        if self.item_drift in ("trend", "random_walk") and self.drift_rate > 0:
            n = int(math.floor(horizon / self.drift_step + 1e-9))
            times.update(self.drift_step * i for i in range(1, n + 1))
        return sorted(times)

    def season(self, t: np.ndarray | float) -> np.ndarray | float:
        """The activity multiplier at time ``t``."""
        return (1.0 + self.season_daily * np.sin(2 * np.pi * np.asarray(t))
                + self.season_weekly * np.sin(2 * np.pi * np.asarray(t) / 7.0))

    def season_integral(self, t0: float, t1: float) -> float:
        """``integral_{t0}^{t1}`` of the activity multiplier (exact)."""
        a, w = self.season_daily, self.season_weekly
        out = t1 - t0
        if a:
            out += a / (2 * math.pi) * (math.cos(2 * math.pi * t0) - math.cos(2 * math.pi * t1))
        if w:
            out += w * 7 / (2 * math.pi) * (math.cos(2 * math.pi * t0 / 7)
                                           - math.cos(2 * math.pi * t1 / 7))
        return out


class ShiftState:
    """A running shift: mutates a world's quality, activity and preferences in place.

    Args:
        options: The shift's options.
        rng: The shift's own stream (a child of the world stream).
    """

    def __init__(self, options: DataShift, rng: np.random.Generator) -> None:
        self.options = options
        self.rng = rng
        self.cohort = np.zeros(0, dtype=bool)
        self.arrived = True
        self._slopes = np.zeros(0)
        self._full_activity = np.zeros(0)
        self._last = 0.0

    def start(self, activity: np.ndarray, preferences: np.ndarray) -> None:
        """Draw the cohort (new tastes, no activity yet); arrays are changed in place."""
        o = self.options
        n = activity.shape[0]
        self.cohort = np.zeros(n, dtype=bool)
        if not o.has_cohort:
            return
        size = int(round(o.cohort_share * n))
        members = self.rng.choice(n, size=size, replace=False) if size else np.zeros(0, int)
        self.cohort[members] = True
        d = preferences.shape[1]
        centre = self.rng.standard_normal(d)
        centre /= np.linalg.norm(centre)
        tastes = centre + o.cohort_spread * self.rng.standard_normal((size, d)) / math.sqrt(d)
        preferences[members] = tastes / np.linalg.norm(tastes, axis=1, keepdims=True)
        self._full_activity = activity.copy()
        self.arrived = o.cohort_time is not None and o.cohort_time <= 0
        if not self.arrived:
            activity[members] = 0.0

    @property
    def present(self) -> np.ndarray:
        """``(n_users,)`` users present now (every user but a cohort still to come)."""
        return ~self.cohort if not self.arrived else np.ones(self.cohort.shape[0], bool)

    def arrival_times(self) -> np.ndarray:
        """``(n_users,)`` day each user joins the population (0 for the initial users)."""
        out = np.zeros(self.cohort.shape[0])
        if self.options.has_cohort:
            out[self.cohort] = float(self.options.cohort_time)  # type: ignore[arg-type]
        return out

    def advance(self, t: float, quality: np.ndarray, activity: np.ndarray) -> tuple[bool, bool]:
        """Apply the shift up to time ``t``.

        Args:
            t: The time now.
            quality: The world's ``(n_items,)`` qualities (changed in place).
            activity: The world's ``(n_users,)`` activity (changed in place).

        Returns:
            ``(quality_changed, activity_changed)``.
        """
        o = self.options
        dt, self._last = t - self._last, t
        changed_quality = changed_activity = False
        n = quality.shape[0]
        if o.item_drift == "trend" and o.drift_rate > 0 and dt > 0:
            if self._slopes.shape[0] < n:
                new = self.rng.normal(0.0, o.drift_rate, n - self._slopes.shape[0])
                self._slopes = np.concatenate([self._slopes, new])
            quality += self._slopes[:n] * dt
            changed_quality = True
        elif o.item_drift == "random_walk" and o.drift_rate > 0 and dt > 0:
            quality += self.rng.normal(0.0, o.drift_rate * math.sqrt(dt), n)
            changed_quality = True
        if o.item_drift == "shock" and abs(t - float(o.shock_time)) < 1e-9:  # type: ignore[arg-type]
            size = int(round(o.shock_share * n))
            if o.shock_target == "top":
                hit = np.argsort(-quality, kind="stable")[:size]
            else:
                hit = self.rng.choice(n, size=size, replace=False)
            quality[hit] *= o.shock_factor
            changed_quality = True
        if changed_quality:
            np.clip(quality, 0.0, 1.0, out=quality)
        if o.has_cohort and not self.arrived and t >= float(o.cohort_time) - 1e-9:  # type: ignore[arg-type]
            self.arrived = True
            activity[self.cohort] = self._full_activity[self.cohort]
            changed_activity = True
        return changed_quality, changed_activity


