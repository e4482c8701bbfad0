"""Typed config schemas (Hydra ConfigStore) behind the YAML, with their allowed ranges.

Types are enforced by Hydra when it composes the config: ``tick=abc`` fails before
anything runs, naming ``full_key: tick``. Ranges are declared on the fields
(:func:`ranged`) and checked by :func:`loopsim.experiments.validate.validate_config` before the
run starts, with the field, the value and what is allowed.

Registered schemas (the YAML files name them in their defaults lists):

* ``loopsim_schema`` -- the top-level keys of ``conf/config.yaml``;
* ``world/synthetic_schema`` -- ``conf/world/synthetic.yaml``;
* ``click_model/pbm_schema``, ``click_model/cascade_schema`` -- the click models.

Policies stay open: users bring their own classes and keys. The flat keys shared by the
built-in policies are range-checked by name (:data:`POLICY_RANGES`) wherever they
appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

__all__ = [
    "POLICY_RANGES",
    "SCHEMAS_BY_TARGET",
    "CascadeSchema",
    "LoopsimSchema",
    "PBMSchema",
    "Range",
    "SyntheticWorldSchema",
    "ranged",
    "register_schemas",
]


@dataclass(frozen=True)
class Range:
    """What a numeric field allows.

    Attributes:
        low: Lower bound, or ``None``.
        high: Upper bound, or ``None``.
        low_open: Exclude ``low`` itself.
        high_open: Exclude ``high`` itself.
        integer: The value must be an integer (``low`` is then its minimum).
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False


def ranged(default: Any, **bounds: Any) -> Any:
    """A dataclass field with a default and the :class:`Range` it must stay in."""
    return field(default=default, metadata={"range": Range(**bounds)})


POSITIVE = {"low": 0.0, "low_open": True}
NON_NEGATIVE = {"low": 0.0}
PROBABILITY = {"low": 0.0, "high": 1.0}


@dataclass
class SyntheticWorldSchema:
    """``conf/world/synthetic.yaml`` (:class:`loopsim.simulator.SyntheticWorld`)."""

    _target_: str = "loopsim.simulator.SyntheticWorld"
    seed: int | None = ranged(None, low=0, integer=True)
    n_users: int = ranged(2000, low=1, integer=True)
    n_items: int = ranged(1000, low=1, integer=True)
    sessions_per_user_per_day: float = ranged(1.0, **POSITIVE)
    activity_sigma: float = ranged(1.0, **NON_NEGATIVE)
    personalization: float = ranged(0.3, **PROBABILITY)
    n_factors: int = ranged(8, low=1, integer=True)
    quality_alpha: float = ranged(2.0, **POSITIVE)
    quality_beta: float = ranged(6.0, **POSITIVE)
    item_arrival_rate: float = ranged(5.0, **NON_NEGATIVE)
    item_lifetime: float | None = ranged(None, **POSITIVE)
    drift: float = ranged(0.0, **PROBABILITY)
    organic: float = ranged(0.2, **NON_NEGATIVE)
    organic_sharpness: float = ranged(1.0, **NON_NEGATIVE)


@dataclass
class PBMSchema:
    """``conf/click_model/pbm.yaml`` (:class:`loopsim.simulator.PositionBasedModel`)."""

    _target_: str = "loopsim.simulator.PositionBasedModel"
    eta: float = ranged(1.0, **NON_NEGATIVE)
    examination: list[float] | None = None


@dataclass
class CascadeSchema:
    """``conf/click_model/cascade.yaml`` (:class:`loopsim.simulator.CascadeModel`)."""

    _target_: str = "loopsim.simulator.CascadeModel"
    continue_after_click: float = ranged(0.0, **PROBABILITY)


@dataclass
class LogSchema:
    """The ``log`` block: the optional full impression log."""

    impressions: bool = False
    chunk_rows: int = ranged(1_000_000, low=1, integer=True)
    truth_max_mb: float = ranged(1024.0, low=0.0)


@dataclass
class LoopsimSchema:
    """The top-level keys of ``conf/config.yaml``.

    The timing keys are range-checked by :meth:`loopsim.simulator.SimulationConfig.validate`,
    the single source of their rules; the fields here give their types.
    """

    world: Any = MISSING
    click_model: Any = MISSING
    policy: Any = MISSING
    seed: int = ranged(0, low=0, integer=True)
    horizon: float = 100.0
    tick: float = 0.05
    slate_size: int = 10
    feedback_delay: float = 0.0
    retrain_interval: float = 0.25
    train_latency: float = 0.0
    snapshot_interval: float = 1.0
    quality_sessions_per_day: float = 1000.0
    progress: bool | None = None
    startup_days: float = 0.0
    cold_start: str = "none"
    history_path: str | None = None
    label: str | None = None
    resume: bool = False
    log: LogSchema = field(default_factory=LogSchema)


#: Schemas of the nodes checked by ``_target_`` (a user's own class is not checked).
SCHEMAS_BY_TARGET: dict[str, type] = {
    "loopsim.simulator.SyntheticWorld": SyntheticWorldSchema,
    "loopsim.simulator.PositionBasedModel": PBMSchema,
    "loopsim.simulator.CascadeModel": CascadeSchema,
}

#: Ranges of the flat policy keys shared by built-in policies, checked wherever present.
POLICY_RANGES: dict[str, Range] = {
    "epsilon": Range(**PROBABILITY),
    "n": Range(low=1, integer=True),
    "temperature": Range(**POSITIVE),
    "prior_mean": Range(low=0.0, high=1.0, low_open=True, high_open=True),
    "prior_strength": Range(**POSITIVE),
}


def register_schemas() -> None:
    """Store the schemas in Hydra's ConfigStore (idempotent)."""
    cs = ConfigStore.instance()
    cs.store(name="loopsim_schema", node=LoopsimSchema)
    cs.store(group="world", name="synthetic_schema", node=SyntheticWorldSchema)
    cs.store(group="click_model", name="pbm_schema", node=PBMSchema)
    cs.store(group="click_model", name="cascade_schema", node=CascadeSchema)
