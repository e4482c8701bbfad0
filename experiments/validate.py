"""Range checks of a composed config, before anything is built or run.

Hydra has already enforced the schemas' types (:mod:`loopsim.experiments.schema`); this module
checks the values: every field declared with a :class:`~experiments.schema.Range`, the
engine's timing rules (:meth:`loopsim.simulator.SimulationConfig.validate`), the flat policy
keys of :data:`~experiments.schema.POLICY_RANGES`, and the rules that tie keys together
(``slate_size`` against the catalogue and the examination curve). The first problem
raises :class:`~simulator.errors.ConfigError` naming the field, the value and what is
allowed.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from loopsim.experiments.runner import monitor_options, simulation_config
from loopsim.experiments.schema import (
    POLICY_RANGES,
    SCHEMAS_BY_TARGET,
    LogSchema,
    LoopsimSchema,
    Range,
)
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.metrics.slices import SliceOptions
from loopsim.simulator.validation import check_in_range, check_positive_int
from loopsim.simulator.world.shift import DataShift
from omegaconf import DictConfig

__all__ = ["check_range", "validate_config"]


def check_range(name: str, value: Any, allowed: Range) -> None:
    """Raise :class:`ConfigError` unless ``value`` is ``None`` or within ``allowed``."""
    if value is None:
        return
    if allowed.integer:
        check_positive_int(name, value, minimum=int(allowed.low or 0))
    else:
        check_in_range(name, value, allowed.low, allowed.high, low_open=allowed.low_open,
                       high_open=allowed.high_open)


def _check_fields(node: Any, schema: type, prefix: str) -> None:
    for f in fields(schema):
        allowed = f.metadata.get("range")
        if allowed is not None and f.name in node:
            check_range(f"{prefix}{f.name}", node[f.name], allowed)


def _check_node(cfg: DictConfig, key: str) -> None:
    node = cfg.get(key)
    if not isinstance(node, DictConfig):
        return
    schema = SCHEMAS_BY_TARGET.get(str(node.get("_target_", "")))
    if schema is not None:
        _check_fields(node, schema, f"{key}.")


def validate_config(cfg: DictConfig) -> None:
    """Check the values of a composed loopsim config; raise on the first bad one.

    Raises:
        ConfigError: naming the field, the value and what is allowed.
    """
    _check_fields(cfg, LoopsimSchema, "")
    if isinstance(cfg.get("log"), DictConfig):
        _check_fields(cfg.log, LogSchema, "log.")
    simulation_config(cfg).validate()
    for key in ("world", "click_model"):
        _check_node(cfg, key)
    policy = cfg.get("policy")
    if isinstance(policy, DictConfig):
        for key, allowed in POLICY_RANGES.items():
            if key in policy:
                check_range(f"policy.{key}", policy[key], allowed)
    _check_slate_size(cfg)
    _check_shift(cfg)
    _check_slices_and_monitor(cfg)


def _check_slices_and_monitor(cfg: DictConfig) -> None:
    """``slices``: known cohorts; ``monitor``: ranges, and no guard without a monitor."""
    if isinstance(cfg.get("slices"), DictConfig):
        cohorts = cfg.slices.get("cohorts") or []
        SliceOptions(cohorts=tuple(cohorts), new_days=cfg.slices.get("new_days", 7.0),
                     taste_clusters=cfg.slices.get("taste_clusters", 3)).validate()
    options = monitor_options(cfg)
    if options is not None:
        options.validate(float(cfg.horizon))


def _check_shift(cfg: DictConfig) -> None:
    """``world.shift``: known keys, shares in [0, 1], shift times within the horizon."""
    world = cfg.get("world")
    if isinstance(world, DictConfig) and world.get("shift") is not None:
        DataShift.from_options(world.shift).validate(float(cfg.horizon))


def _check_slate_size(cfg: DictConfig) -> None:
    k = cfg.slate_size
    n_items = cfg.world.get("n_items") if isinstance(cfg.get("world"), DictConfig) else None
    if isinstance(n_items, int) and k > n_items:
        raise ConfigError(
            f"`slate_size == {k}` is larger than the catalogue (`world.n_items == {n_items}`): "
            "use slate_size <= world.n_items."
        )
    click_model = cfg.get("click_model")
    curve = click_model.get("examination") if isinstance(click_model, DictConfig) else None
    if curve is not None and len(curve) < k:
        raise ConfigError(
            f"`click_model.examination` has {len(curve)} values but `slate_size == {k}`: "
            "give one examination probability per rank, at least slate_size values."
        )
    if curve is not None:
        for rank, value in enumerate(curve, start=1):
            check_in_range(f"click_model.examination[{rank - 1}] (rank {rank})", value, 0.0, 1.0)
