"""Compose each job's config once per choice of config groups, not once per job.

Hydra composes every job of a sweep from scratch (``load_sweep_config``): it reads the
YAML files again, builds the defaults list, merges, and only then applies the job's value
overrides (``seed=3``, ``world.seed=1``). For the main job that is ~0.35 s of CPU a job,
60 times, while its 60 jobs have only 12 compositions (one per ``policy=``) and differ
otherwise only by ``seed=``.

:class:`CachedSweepLoader` wraps Hydra's config loader. A job whose overrides are plain
``key=value`` changes of config values (not of config groups, not ``+``/``~``/``++``,
not ``@package``, not ``hydra.*``) gets a copy of the composition of its other overrides,
then its value overrides applied by Hydra's own function, in order, as Hydra applies them
after composing, and ``hydra.overrides.task`` and ``hydra.job.override_dirname`` rebuilt
from the job's overrides as Hydra builds them. Anything else is composed by Hydra as
before. ``tests/experiments/runs/test_compose_cache.py`` checks the two give the same
config for every experiment preset.

The cache lives in each process (a joblib worker keeps its own across the jobs it runs),
belongs to one sweep (a new sweep, even in the same process, never reuses a composition:
YAML files may have changed between them), and holds at most :data:`MAX_ENTRIES`.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections import OrderedDict
from typing import Any

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.config_loader import ConfigLoader
from hydra.core.object_type import ObjectType
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

__all__ = ["MAX_ENTRIES", "CachedSweepLoader"]

#: Compositions kept per process (least recently used dropped first).
MAX_ENTRIES = 64

#: ``(sweep token, cwd, config name, composing overrides) -> composed config``, per process.
_COMPOSED: OrderedDict[tuple[Any, ...], DictConfig] = OrderedDict()
#: ``(sweep token, key) -> whether key is a config group``, per process.
_IS_GROUP: dict[tuple[str, str], bool] = {}


class CachedSweepLoader(ConfigLoader):
    """Hydra's config loader, with :meth:`load_sweep_config` composing once per choice of
    config groups (see the module doc). Every other method is the wrapped loader's."""

    def __init__(self, inner: ConfigLoader, token: str | None = None) -> None:
        self.inner = inner
        self.token = token or uuid.uuid4().hex

    def load_sweep_config(self, master_config: DictConfig,
                          sweep_overrides: list[str]) -> DictConfig:
        """The config of one job of the sweep, as Hydra's ``load_sweep_config`` gives it."""
        inner = self.inner
        if not isinstance(inner, ConfigLoaderImpl):
            return inner.load_sweep_config(master_config, sweep_overrides)
        hydra_overrides = [str(o) for o in OmegaConf.to_container(
            master_config.hydra.overrides.hydra)]  # type: ignore[union-attr]
        config_name = master_config.hydra.job.config_name
        parsed = OverridesParser.create().parse_overrides(overrides=list(sweep_overrides))
        values = [o for o in parsed if self._is_value_change(o, config_name, hydra_overrides)]
        if not values:
            return inner.load_sweep_config(master_config, sweep_overrides)
        composing = [o.input_line for o in parsed if not any(o is v for v in values)]
        key = (self.token, os.getcwd(), config_name, tuple(hydra_overrides), tuple(composing))
        base = _COMPOSED.get(key)
        if base is None:
            base = inner.load_configuration(config_name=config_name,
                                            overrides=hydra_overrides + composing,
                                            run_mode=RunMode.RUN)
            _COMPOSED[key] = base
            while len(_COMPOSED) > MAX_ENTRIES:
                _COMPOSED.popitem(last=False)
        else:
            _COMPOSED.move_to_end(key)
        cfg = copy.deepcopy(base)
        ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
        app = [o for o in parsed if not o.is_hydra_override()]
        cfg.hydra.overrides.task = [o.input_line for o in app]
        cfg.hydra.job.override_dirname = get_overrides_dirname(
            overrides=app,
            kv_sep=cfg.hydra.job.config.override_dirname.kv_sep,
            item_sep=cfg.hydra.job.config.override_dirname.item_sep,
            exclude_keys=cfg.hydra.job.config.override_dirname.exclude_keys,
        )
        OmegaConf.copy_cache(from_config=master_config, to_config=cfg)
        return cfg

    def _is_value_change(self, override: Override, config_name: str | None,
                         hydra_overrides: list[str]) -> bool:
        """Whether ``override`` is a plain change of a config value (applied after the
        composition, by Hydra too), not anything that could change the composition."""
        if (override.type is not OverrideType.CHANGE or override.package is not None
                or override.is_sweep_override() or override.is_hydra_override()
                or isinstance(override.value(), dict)):
            return False
        return not self._is_group(override.key_or_group, config_name, hydra_overrides)

    def _is_group(self, key: str, config_name: str | None, hydra_overrides: list[str]) -> bool:
        """Whether ``key`` names a config group in the search path Hydra composes with
        (including what ``hydra.searchpath`` overrides add)."""
        cached = _IS_GROUP.get((self.token, key))
        if cached is None:
            inner = self.inner
            assert isinstance(inner, ConfigLoaderImpl)
            _, repo = inner._parse_overrides_and_create_caching_repo(  # noqa: SLF001
                config_name, list(hydra_overrides))
            cached = _IS_GROUP[(self.token, key)] = bool(repo.group_exists(key))
        return cached

    def load_configuration(self, config_name: str | None, overrides: list[str],
                           run_mode: RunMode, from_shell: bool = True,
                           validate_sweep_overrides: bool = True) -> DictConfig:
        """The wrapped loader's."""
        return self.inner.load_configuration(config_name, overrides, run_mode,
                                             from_shell=from_shell,
                                             validate_sweep_overrides=validate_sweep_overrides)

    def get_search_path(self) -> Any:
        """The wrapped loader's."""
        return self.inner.get_search_path()

    def get_sources(self) -> Any:
        """The wrapped loader's."""
        return self.inner.get_sources()

    def list_groups(self, parent_name: str) -> Any:
        """The wrapped loader's."""
        return self.inner.list_groups(parent_name)

    def get_group_options(self, group_name: str,
                          results_filter: ObjectType | None = ObjectType.CONFIG,
                          config_name: str | None = None,
                          overrides: list[str] | None = None) -> Any:
        """The wrapped loader's."""
        return self.inner.get_group_options(group_name, results_filter,
                                            config_name=config_name, overrides=overrides)

    def compute_defaults_list(self, config_name: str | None, overrides: list[str],
                              run_mode: RunMode) -> Any:
        """The wrapped loader's."""
        return self.inner.compute_defaults_list(config_name, overrides, run_mode)

    def __getattr__(self, name: str) -> Any:
        """Anything else Hydra reads from its loader (``repository``...), the wrapped one's."""
        if name == "inner":  # not yet set (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)
