"""Parameter checks that fail with the field's name, the value and what is allowed."""

from __future__ import annotations

import math
from numbers import Integral, Real

from loopsim.simulator.errors import ConfigError


def check_positive_int(name: str, value: object, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise :class:`ConfigError` unless it is ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ConfigError(f"`{name} == {value!r}`: must be an integer >= {minimum}.")
    if value < minimum:
        raise ConfigError(f"`{name} == {value!r}`: must be >= {minimum}.")
    return int(value)


def check_in_range(
    name: str,
    value: object,
    low: float | None,
    high: float | None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float, or raise :class:`ConfigError` if it leaves the range.

    NaN and infinities are always refused: no setting of loopsim means "infinite" (an
    infinite horizon, rate or interval would hang the run or make it meaningless).

    Args:
        name: Dotted config name shown in the message (``"policy.epsilon"``).
        value: The value to check.
        low: Lower bound, or ``None`` for none.
        high: Upper bound, or ``None`` for none.
        low_open: Exclude ``low`` itself.
        high_open: Exclude ``high`` itself.
    """
    allowed = _describe(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ConfigError(f"`{name} == {value!r}`: must be a finite number {allowed}.")
    v = float(value)
    too_low = low is not None and (v < low or (low_open and v == low))
    too_high = high is not None and (v > high or (high_open and v == high))
    if too_low or too_high:
        raise ConfigError(f"`{name} == {value!r}`: must be {allowed}.")
    return v


#: Most events one schedule of a run may hold (batches, retrainings, snapshots, drift
#: steps, monitor checks): horizon / step beyond it would not end in useful time.
MAX_STEPS = 10_000_000


def check_schedule(name: str, step: float, horizon: float, limit: int = MAX_STEPS) -> None:
    """Raise :class:`ConfigError` when a step of ``step`` days schedules more than
    ``limit`` events over ``horizon`` days (``step == 0``: no schedule, accepted)."""
    if step > 0 and horizon / step > limit:
        raise ConfigError(
            f"`{name} == {step!r}` with `horizon == {horizon!r}` schedules "
            f"{horizon / step:.3g} steps, more than {limit:,} (the run would not end in "
            f"useful time): use {name} >= {horizon / limit:.3g} or a shorter horizon."
        )


def _describe(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high}"
    return "finite"
