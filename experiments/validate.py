"""Checks of a composed config, before anything is built or run.

Hydra has already enforced the top-level types (:mod:`loopsim.experiments.schema`). This
module checks the rest against the declarations, in one pass:

* the top-level keys against :class:`~loopsim.experiments.schema.RunOptions`,
  :class:`~loopsim.experiments.schema.LogOptions` and
  :class:`~loopsim.simulator.SimulationConfig` (the timing);
* every node with a ``_target_`` (the world, the click model, the policy, its estimator
  and selector, a user's own class alike) against its class's constructor
  (:func:`loopsim.simulator.schema.check_arguments`): unknown keys, missing ones, types,
  ranges;
* the rules that tie keys together (``slate_size`` against the catalogue and the
  examination curve).

The first problem raises :class:`~simulator.errors.ConfigError` naming the field, the
value and what is allowed.
"""

from __future__ import annotations

from typing import Any, cast

from hydra.utils import get_object
from loopsim.experiments.runner import simulation_config
from loopsim.experiments.schema import LogOptions, RunOptions
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.schema import check_arguments
from loopsim.simulator.validation import check_in_range
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
    check_arguments(RunOptions, {k: cfg[k] for k in ("seed", "label", "resume") if k in cfg})
    if isinstance(cfg.get("log"), DictConfig):
        check_arguments(LogOptions, OmegaConf.to_container(cfg.log), "log.")  # type: ignore[arg-type]
    simulation_config(cfg).validate()
    for key in ("world", "click_model", "policy"):
        check_components(cfg.get(key), f"{key}.")
    _check_slate_size(cfg)


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
