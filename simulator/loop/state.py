"""The running loop's shared state: one public object, built once per run.

Every process of the loop receives the parts of :class:`RunState` it reads and writes
(or the state itself where it needs most of it). The state holds no policy: the
deployed policy is a :class:`~loopsim.simulator.loop.deployment.Deployment` of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import simpy
from loopsim.simulator.contract.click_model import ClickModel
from loopsim.simulator.contract.world import World
from loopsim.simulator.io.impression_log import ImpressionLog
from loopsim.simulator.loop.catalogue import Catalogue
from loopsim.simulator.loop.config import SimulationConfig
from loopsim.simulator.loop.feedback_queue import FeedbackQueue
from loopsim.simulator.loop.progress import ProgressBar
from loopsim.simulator.loop.seeding import Streams
from loopsim.simulator.loop.timing import NullTimer, PhaseTimer
from loopsim.simulator.loop.user_sampler import UserSampler
from loopsim.simulator.metrics.pools import PoolRecorder
from loopsim.simulator.metrics.recorder import MetricsRecorder
from loopsim.simulator.world.organic_choice import OrganicChoice
from loopsim.simulator.world.shift import DataShift


@dataclass(eq=False)
class MetricRows:
    """The metrics recorded so far: ``(t, metric, value)`` and sliced rows.

    Some metrics may be *deferred*: their rows are written at the snapshot with a ``nan``
    placeholder (so the rows keep their order) and filled in by :meth:`resolve`, which
    computes every pending snapshot at once. Read :attr:`rows` after :meth:`resolve`
    (the run's result and the gym environment do).
    """

    rows: list[tuple[float, str, float]] = field(default_factory=list)
    slice_rows: list[tuple[float, str, str, float]] = field(default_factory=list)
    #: Per deferred snapshot, in order: the row index of each of its deferred metrics.
    pending: list[dict[str, int]] = field(default_factory=list)
    #: Gives the values of the pending snapshots, in order (one dict per snapshot).
    resolver: Callable[[], list[dict[str, float]]] | None = None

    def defer(self, start: int, names: tuple[str, ...]) -> None:
        """Mark ``names`` among the rows from index ``start`` (one snapshot) as pending."""
        where = {self.rows[i][1]: i for i in range(start, len(self.rows))}
        self.pending.append({name: where[name] for name in names})

    def resolve(self) -> None:
        """Fill in the values of every pending snapshot (a no-op when none is)."""
        if not self.pending or self.resolver is None:
            return
        pending, self.pending = self.pending, []
        # A snapshot that failed after the recorder's part (a policy hook raised) wrote no
        # rows and ended the run: its values, the last ones, are dropped.
        computed = self.resolver()[: len(pending)]
        for where, values in zip(pending, computed, strict=True):
            for name, i in where.items():
                self.rows[i] = (self.rows[i][0], name, values[name])


@dataclass(eq=False)
class RunState:
    """What the loop's processes share during one run (never reassigned after the start).

    Attributes:
        env: The SimPy environment (the clock, in days).
        config: The loop's timing settings.
        world: The users, items and truth.
        click_model: How position matters.
        streams: The run's random streams, one per component.
        catalogue: Which items exist and which are available.
        users: Draws users by their session rates (refreshed after a data shift).
        recorder: The metric counters of served batches.
        pools: The metrics of a pipeline's retrieved pools (``None``: no pipeline).
        queue: Served feedback on its way to the training log (``feedback_delay``).
        timer: The wall-clock split by phase (a no-op unless timing is on).
        progress: The progress bar.
        impression_log: Where the full impression log streams (``None``: no log).
        shift: The world's active data shift (``None``: none).
        organic_rate: Organic sessions per recommended session (0: a closed world).
        organic_choice: How a user picks an item in an organic session.
        metrics: The recorded metric rows.
    """

    env: simpy.Environment
    config: SimulationConfig
    world: World
    click_model: ClickModel
    streams: Streams
    catalogue: Catalogue
    users: UserSampler
    recorder: MetricsRecorder
    pools: PoolRecorder | None
    queue: FeedbackQueue
    timer: PhaseTimer | NullTimer
    progress: ProgressBar
    impression_log: ImpressionLog | None
    shift: DataShift | None
    organic_rate: float
    organic_choice: OrganicChoice
    metrics: MetricRows = field(default_factory=MetricRows)


__all__ = ["MetricRows", "RunState"]
