"""Checks of a composed config, before anything is built or run.

Hydra has already enforced the top-level types (:mod:`loopsim.experiments.cli.config_schema`). This
module checks the rest against the declarations, in one pass:

* the top-level keys against :class:`~loopsim.experiments.cli.config_schema.RunOptions`,
  :class:`~loopsim.experiments.cli.config_schema.LogOptions` and
  :class:`~loopsim.simulator.SimulationConfig` (the timing);
* every node with a ``_target_`` (the world, the click model, the policy, its estimator
  and selector, a user's own class alike) against its class's constructor
  (:func:`loopsim.simulator.params.component_schema.check_arguments`): unknown keys,
  missing ones, types,
  ranges;
* the rules that tie keys together (``slate_size`` against the catalogue and the
  examination curve; every schedule against a step limit);
* the sizes against the memory available (:mod:`loopsim.simulator.params.memory`).

The first problem raises :class:`~loopsim.simulator.errors.ConfigError` naming the field, the
value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
from functools import lru_cache
from typing import Any, cast

from hydra.utils import get_object
from loopsim.experiments.cli.config_schema import LogOptions, RunOptions, top_level_schema
from loopsim.experiments.cli.runner import known_keys, monitor_options, simulation_config
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.metrics.slices import SliceOptions
from loopsim.simulator.params.checks import check_in_range
from loopsim.simulator.params.component_schema import check_arguments
from loopsim.simulator.params.memory import check_memory
from loopsim.simulator.world.shift import DataShift
from omegaconf import DictConfig, ListConfig, OmegaConf

__all__ = ["check_components", "validate_config"]


def _target_class(target: Any, where: str) -> type:
    try:
        found = get_object(str(target))
    except Exception as exc:
        raise ConfigError(
            f"`{where}_target_ == {target!r}`: cannot be imported ({exc}). Give a class "
            "on the Python path as package.module.Class (check PYTHONPATH and the spelling)."
        ) from None
    if not callable(found):
        raise ConfigError(f"`{where}_target_ == {target!r}`: is not a class or a function.")
    return found


def check_components(node: Any, prefix: str) -> None:
    """Check every ``_target_`` node under ``node`` against its class's constructor.

    Args:
        node: A config node (a ``DictConfig``, a list, or a value).
        prefix: Its dotted path with a trailing dot (``"policy."``).
    """
    if isinstance(node, ListConfig):
        for i, child in enumerate(node):
            check_components(child, f"{prefix[:-1]}[{i}].")
        return
    if not isinstance(node, DictConfig):
        return
    if "_target_" in node:
        values = cast(dict[str, Any], OmegaConf.to_container(node, resolve=True))
        check_arguments(_target_class(node._target_, prefix), values, prefix)
    for key, child in node.items():
        if isinstance(child, DictConfig | ListConfig):
            check_components(child, f"{prefix}{key}.")


def validate_config(cfg: DictConfig) -> None:
    """Check the values of a composed loopsim config; raise on the first bad one.

    Raises:
        ConfigError: naming the field, the value and what is allowed.
    """
    _check_no_missing_value(cfg)
    _check_top_level_keys(cfg)
    check_arguments(RunOptions, {k: cfg[k] for k in ("seed", "label", "resume") if k in cfg})
    if isinstance(cfg.get("log"), DictConfig):
        check_arguments(LogOptions, OmegaConf.to_container(cfg.log), "log.")  # type: ignore[arg-type]
    simulation_config(cfg).validate()
    for key in ("world", "click_model", "policy"):
        check_components(cfg.get(key), f"{key}.")
    _check_slate_size(cfg)
    _check_shift(cfg)
    _check_slices_and_monitor(cfg)
    _check_tracking(cfg)
    check_memory(cast(dict[str, Any], OmegaConf.to_container(cfg, resolve=True)))


@lru_cache(maxsize=1)
def top_level_keys() -> frozenset[str]:
    """The keys a loopsim config may hold at its top level (the schema's, and ``hydra``)."""
    return frozenset({f.name for f in dataclasses.fields(top_level_schema())} | {"hydra"})


def _check_top_level_keys(cfg: DictConfig) -> None:
    """Refuse a top-level key the schema does not declare.

    Hydra refuses an unknown key given as ``key=value``, and its message suggests
    ``+key=value``, which adds the key: a misspelt ``+polcy=ctr`` would then run the
    default policy. Components (``world.*``, ``policy.*``) are checked against their own
    classes (:func:`check_components`); this is the level above them.
    """
    known = top_level_keys()
    for key in cfg.keys():
        if str(key) in known:
            continue
        close = difflib.get_close_matches(str(key), sorted(known - {"hydra"}), n=1)
        hint = (f"did you mean `{close[0]}`?" if close else
                f"the top-level settings are {sorted(known - {'hydra'})}.")
        raise ConfigError(
            f"`{key}` is not a loopsim setting (added with `+{key}=...`?): {hint} "
            "`loopsim --cfg job` prints every setting with its value."
        )


def _check_no_missing_value(cfg: DictConfig) -> None:
    """Refuse a value left as ``???`` (a required setting no config or override gave)."""
    missing = sorted(str(k) for k in OmegaConf.missing_keys(cfg)
                     if not str(k).startswith("hydra."))
    if missing:
        key = missing[0]
        raise ConfigError(
            f"`{key}` is required and has no value (`???` in its config): give it on the "
            f"command line (`{key}=...`) or in your config file"
            + (f"; also unset: {missing[1:]}." if len(missing) > 1 else ".")
        )


def _check_tracking(cfg: DictConfig) -> None:
    """``tracking``: a known backend and a named experiment (docs/tracking.md)."""
    if isinstance(cfg.get("tracking"), DictConfig):
        from loopsim.experiments.tracking.callback import options_of

        options_of(cfg)


def _check_shift(cfg: DictConfig) -> None:
    """``world.shift``: known keys, shares in [0, 1], shift times within the horizon."""
    world = cfg.get("world")
    if isinstance(world, DictConfig) and world.get("shift") is not None:
        DataShift.from_options(world.shift).validate(float(cfg.horizon))


def _check_slices_and_monitor(cfg: DictConfig) -> None:
    """``slices``: known cohorts; ``monitor``: ranges, and no guard without a monitor."""
    if isinstance(cfg.get("slices"), DictConfig):
        values = known_keys(SliceOptions, OmegaConf.to_container(cfg.slices, resolve=True),
                            "slices")
        cohorts = values.get("cohorts") or []
        SliceOptions(cohorts=tuple(cohorts), new_days=values.get("new_days", 7.0),
                     taste_clusters=values.get("taste_clusters", 3)).validate()
    options = monitor_options(cfg)
    if options is not None:
        options.validate(float(cfg.horizon))


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
