"""Import a run's built-in parts before its supervised child is forked.

A supervised job (:mod:`loopsim.experiments.runs.supervise`) runs its body in a forked
child, and whatever the child imports is lost when it exits. The built-in policies pull in
``scipy.special`` (Thompson sampling's inverse Beta CDF), about 0.35 s of imports: a
sweep worker that forks one child per job paid it once per job (measured: a near-empty
``mitigation`` job took 0.43 s the first time in a process and 0.07 s the second).
Importing those modules once in the worker, before the fork, makes every child inherit
them.

Only modules under ``loopsim.`` are imported here: a user's module is imported in the
child as before, so a module that crashes on import still ends only its own run.

:func:`keep_plugin_scan` saves a worker's other repeated cost of its own: Hydra's joblib
launcher hands each job its singletons without Hydra's plugin registry and rescans every
installed plugin for each job (``Singleton.set_state``: about 10% of a near-empty job's
CPU in the worker). The plugins installed do not change while a sweep runs, so a worker
keeps its first scan.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from omegaconf import DictConfig, OmegaConf

__all__ = ["builtin_targets", "import_builtin_parts", "keep_plugin_scan"]

#: Only targets whose module is under this prefix are imported before the fork.
BUILTIN_PREFIX = "loopsim."


def _targets(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "_target_" and isinstance(value, str):
                yield value
            else:
                yield from _targets(value)
    elif isinstance(node, list):
        for value in node:
            yield from _targets(value)


def builtin_targets(cfg: DictConfig) -> list[str]:
    """The ``_target_`` strings of ``cfg`` (unresolved) that name a ``loopsim.`` object."""
    tree = OmegaConf.to_container(cfg, resolve=False)
    return sorted({t for t in _targets(tree) if t.startswith(BUILTIN_PREFIX)})


def import_builtin_parts(cfg: DictConfig) -> list[str]:
    """Import the module of every built-in ``_target_`` of ``cfg``; the modules imported.

    A target ``loopsim.a.b.Name`` imports ``loopsim.a.b`` (or ``loopsim.a`` for a nested
    name such as ``loopsim.a.Class.method``). A target that does not import is skipped:
    the run itself reports it, with its own error message.
    """
    imported = []
    for target in builtin_targets(cfg):
        parts = target.split(".")
        for cut in range(len(parts) - 1, 1, -1):
            name = ".".join(parts[:cut])
            try:
                importlib.import_module(name)
            except ImportError:
                continue
            except Exception:  # noqa: BLE001 - the child raises it again, as its own error
                break
            if name not in imported:
                imported.append(name)
            break
    return imported


def keep_plugin_scan() -> bool:
    """Make Hydra's ``Singleton.set_state`` keep this process's plugin registry.

    Hydra's launchers restore the sweep's singletons in a worker before each job, minus
    the plugin registry (``Plugins``), which ``set_state`` then builds again by scanning
    every installed plugin. After this call, a ``set_state`` whose state has no registry
    keeps the one this process already has (the first job's scan). Called by the
    ``loopsim`` command's jobs, so only its sweep workers are changed; idempotent.

    Returns:
        True if this call installed it, False if it was already installed.
    """
    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton

    if getattr(Singleton.set_state, "_loopsim_keeps_plugins", False):
        return False
    original = Singleton.set_state

    def set_state(state: Any) -> None:
        scanned = Singleton._instances.get(Plugins)  # noqa: SLF001
        if scanned is not None and Plugins not in state["instances"]:
            state = {**state, "instances": {**state["instances"], Plugins: scanned}}
        original(state)

    set_state._loopsim_keeps_plugins = True  # type: ignore[attr-defined]
    Singleton.set_state = staticmethod(set_state)  # type: ignore[method-assign,assignment]
    return True
