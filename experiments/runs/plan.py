"""What loopsim's sweeper knows before it launches: the sweep's size, and the runs
``resume=true`` will skip.

The sweeper (:mod:`loopsim.experiments.runs.sweeper`) composes every job's config
before it launches a batch. It notes here how many jobs the sweep has and which job
folders already hold a completed run of their job's config (the jobs that
``resume=true`` skips, by the jobs' own rule,
:func:`~loopsim.experiments.runs.faults.completion`).
The sweep's progress line (:mod:`loopsim.experiments.cli.sweep_progress`), in the same
process, reads it: a resumed sweep starts at ``k/N runs done``, not at 0.

One plan per process (a process runs one sweep at a time), guarded by a lock: the
progress line reads it from its own thread.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

__all__ = ["SweepPlan", "announce", "current", "reset"]


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """The launching sweep, as far as the sweeper has told.

    Attributes:
        total: Jobs in the sweep (``None``: not told yet).
        complete: Job folders that already hold a completed run of their job's config:
            with ``resume=true`` their jobs skip them.
    """

    total: int | None = None
    complete: frozenset[Path] = frozenset()


_LOCK = threading.Lock()
_PLAN = SweepPlan()


def reset() -> None:
    """Forget the previous sweep (called when a sweep starts)."""
    global _PLAN
    with _LOCK:
        _PLAN = SweepPlan()


def announce(total: int | None = None, complete: set[Path] | frozenset[Path] = frozenset()
             ) -> None:
    """Note the sweep's size (when given) and add job folders already complete (one
    batch's)."""
    global _PLAN
    with _LOCK:
        _PLAN = SweepPlan(total if total is not None else _PLAN.total,
                          _PLAN.complete | frozenset(complete))


def current() -> SweepPlan:
    """The plan as told so far (an immutable copy)."""
    with _LOCK:
        return _PLAN
