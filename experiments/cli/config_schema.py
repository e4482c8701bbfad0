"""The typed top-level config (Hydra ConfigStore), derived from the declared fields.

The loop's timing keys are declared once, in :class:`loopsim.simulator.SimulationConfig`;
the run's own keys (seed, label, resume, log) in :class:`RunOptions` and
:class:`LogOptions` below; the ``slices`` and ``monitor`` blocks in
:class:`loopsim.simulator.metrics.slices.SliceOptions` and
:class:`loopsim.simulator.monitoring.monitor.MonitorOptions`. :func:`structured` turns those
dataclasses into the schema Hydra enforces when it composes the config (``tick=abc``
fails there, naming ``full_key: tick``); the ranges stay on the fields
(``typing.Annotated``) and are checked by
:func:`loopsim.experiments.cli.config_checks.validate_config` before the run.

Components (world, click model, policy and its parts) are not in the ConfigStore: each is
checked against its own ``_target_`` class's constructor
(:mod:`loopsim.simulator.params.component_schema`),
so a user's own class plugs in exactly as a built-in does.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from loopsim.experiments.tracking.options import TrackingOptions
from loopsim.simulator.loop.config import SimulationConfig
from loopsim.simulator.metrics.slices import SliceOptions
from loopsim.simulator.monitoring.monitor import MonitorOptions
from loopsim.simulator.params.component_schema import NonNegative, NonNegativeInt, PositiveInt
from omegaconf import MISSING

__all__ = ["LogOptions", "RunOptions", "register_schemas", "structured", "top_level_schema"]


@dataclass
class LogOptions:
    """The ``log`` block: the optional full impression log.

    Attributes:
        impressions: Stream every impression to ``<run dir>/impressions/part-*.parquet``.
        chunk_rows: Rows per Parquet chunk (bounds the log's memory).
        truth_max_mb: Bound on ``<run dir>/truth/relevance.npy``, the ground truth beside
            the log (MB).
    """

    impressions: bool = False
    chunk_rows: PositiveInt = 1_000_000
    truth_max_mb: NonNegative = 1024.0


@dataclass
class RunOptions:
    """The run's own top-level keys (besides the timing of :class:`SimulationConfig`).

    Attributes:
        seed: The run's seed (arrivals, clicks, policy; the world too unless
            ``world.seed`` is set).
        label: The policy's name in the outputs (``None``: the policy config's name).
        resume: Skip runs whose folder already holds a completed run of the same config.
    """

    seed: NonNegativeInt = 0
    label: str | None = None
    resume: bool = False


def structured(name: str, *sources: type, extra: tuple[tuple[str, Any, Any], ...] = ()
               ) -> type:
    """A plain dataclass with the fields of ``sources`` (ranges stripped), for Hydra.

    A ``Literal`` field becomes its values' type; the values themselves are checked by
    the source (e.g. :meth:`SimulationConfig.validate`).

    Args:
        name: Name of the new dataclass (shown in Hydra's type errors).
        *sources: Dataclasses whose fields are copied, in order.
        extra: More ``(name, type, dataclasses.field)`` fields.
    """
    fields_: list[tuple[str, Any, Any]] = []
    for source in sources:
        hints = typing.get_type_hints(source)  # Annotated[...] -> its plain type
        for f in dataclasses.fields(source):
            hint = hints[f.name]
            if typing.get_origin(hint) is typing.Literal:  # OmegaConf has no Literal:
                hint = type(typing.get_args(hint)[0])  # its value type (checked later)
            fields_.append((f.name, hint, field(default=f.default)))
    return dataclasses.make_dataclass(name, [*extra, *fields_])


def top_level_schema() -> type:
    """The schema of ``conf/config.yaml``'s top level (``loopsim_schema``)."""
    log_schema = structured("LogSchema", LogOptions)
    slices_schema = structured("SlicesSchema", SliceOptions)
    monitor_schema = structured("MonitorSchema", MonitorOptions)
    tracking_schema = structured("TrackingSchema", TrackingOptions)
    return structured(
        "LoopsimSchema", RunOptions, SimulationConfig,
        extra=(("world", Any, field(default=MISSING)),
               ("click_model", Any, field(default=MISSING)),
               ("policy", Any, field(default=MISSING)),
               ("log", log_schema, field(default_factory=log_schema)),
               ("slices", slices_schema, field(default_factory=slices_schema)),
               ("monitor", monitor_schema, field(default_factory=monitor_schema)),
               ("tracking", tracking_schema, field(default_factory=tracking_schema))),
    )


def register_schemas() -> None:
    """Store the top-level schema in Hydra's ConfigStore (idempotent)."""
    ConfigStore.instance().store(name="loopsim_schema", node=top_level_schema())
