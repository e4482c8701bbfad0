"""The sweep's compose cache gives every job the config Hydra itself composes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra._internal.utils import create_config_search_path
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode
from loopsim.experiments.cli.config_schema import register_schemas
from loopsim.experiments.runs import compose_cache
from loopsim.experiments.runs.compose_cache import CachedSweepLoader
from omegaconf import DictConfig, OmegaConf

CONF = Path(__file__).resolve().parents[3] / "conf"
PRESETS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))


@pytest.fixture(scope="module")
def loader() -> ConfigLoaderImpl:
    register_schemas()
    return ConfigLoaderImpl(config_search_path=create_config_search_path("pkg://loopsim.conf"))


def master(loader: ConfigLoaderImpl, *overrides: str) -> DictConfig:
    return loader.load_configuration("config", overrides=list(overrides),
                                     run_mode=RunMode.MULTIRUN)


def sweep_jobs(cfg: DictConfig, extra: list[str]) -> list[list[str]]:
    """The jobs Hydra's basic sweeper makes of the preset's sweep params and ``extra``."""
    params = OmegaConf.to_container(cfg.hydra.sweeper.params) or {}
    lines = [f"{k}={v}" for k, v in params.items()] + extra  # type: ignore[union-attr]
    parsed = OverridesParser.create().parse_overrides(lines)
    return [list(job) for job in BasicSweeper.split_arguments(parsed, None)[0]]


def same_config(a: DictConfig, b: DictConfig) -> None:
    assert OmegaConf.to_yaml(a) == OmegaConf.to_yaml(b)
    assert OmegaConf.is_struct(a) == OmegaConf.is_struct(b)
    assert OmegaConf.is_readonly(a.hydra) == OmegaConf.is_readonly(b.hydra)
    for key in a:
        node_a, node_b = a._get_node(key), b._get_node(key)
        assert type(node_a) is type(node_b), key
        if isinstance(node_a, DictConfig):
            assert OmegaConf.get_type(node_a) is OmegaConf.get_type(node_b), key


def check_preset(loader: ConfigLoaderImpl, preset: str) -> None:
    """Three jobs of the preset's sweep, composed by the cache (twice) and by Hydra."""
    m = master(loader, f"experiment={preset}", "horizon=2")
    jobs = sweep_jobs(m, [f"experiment={preset}", "horizon=2", "world.seed=7"])
    picked = [jobs[0], jobs[len(jobs) // 2], jobs[-1]]
    expected = [loader.load_sweep_config(m, job) for job in picked]
    cached = CachedSweepLoader(loader)
    for _ in range(2):  # the second pass comes from the cache
        for job, want in zip(picked, expected, strict=True):
            same_config(cached.load_sweep_config(m, job), want)


@pytest.mark.parametrize("preset", ["mitigation", "self_defeating"])
def test_main_presets_jobs_are_composed_as_hydra_composes_them(loader: ConfigLoaderImpl,
                                                               preset: str) -> None:
    check_preset(loader, preset)


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_job_is_composed_as_hydra_composes_it(loader: ConfigLoaderImpl,
                                                           preset: str) -> None:
    check_preset(loader, preset)


def test_jobs_that_differ_in_values_only_compose_once(loader: ConfigLoaderImpl,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    m = master(loader, "experiment=mitigation")
    cached = CachedSweepLoader(loader)
    calls: list[list[str]] = []
    original = ConfigLoaderImpl.load_configuration

    def counting(self: ConfigLoaderImpl, *args: object, **kwargs: object) -> DictConfig:
        calls.append(list(kwargs.get("overrides", [])))  # type: ignore[arg-type]
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ConfigLoaderImpl, "load_configuration", counting)
    for policy in ("ctr", "pal"):
        for seed in range(3):
            cfg = cached.load_sweep_config(m, [f"policy={policy}", f"seed={seed}",
                                               "experiment=mitigation"])
            assert cfg.seed == seed
            assert cfg.hydra.runtime.choices.policy == policy
            assert list(cfg.hydra.overrides.task) == [f"policy={policy}", f"seed={seed}",
                                                      "experiment=mitigation"]
    assert [c[-2:] for c in calls] == [["policy=ctr", "experiment=mitigation"],
                                       ["policy=pal", "experiment=mitigation"]]


def test_a_config_group_choice_is_never_taken_for_a_value(loader: ConfigLoaderImpl) -> None:
    cached = CachedSweepLoader(loader)
    m = master(loader)
    a = cached.load_sweep_config(m, ["policy=ctr"])
    b = cached.load_sweep_config(m, ["policy=pal"])
    assert a.hydra.runtime.choices.policy == "ctr"
    assert b.hydra.runtime.choices.policy == "pal"
    assert a.policy != b.policy


def test_a_bad_value_override_fails_as_in_hydra(loader: ConfigLoaderImpl) -> None:
    m = master(loader)
    with pytest.raises(ConfigCompositionException) as ours:
        CachedSweepLoader(loader).load_sweep_config(m, ["sed=3"])
    with pytest.raises(ConfigCompositionException) as theirs:
        loader.load_sweep_config(m, ["sed=3"])
    assert str(ours.value) == str(theirs.value)


def test_a_new_sweep_sees_edited_yaml(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("a: 1\nb: 2\n")
    plain = ConfigLoaderImpl(config_search_path=create_config_search_path(str(tmp_path)))
    m = plain.load_configuration("config", overrides=[], run_mode=RunMode.MULTIRUN)
    first = CachedSweepLoader(plain)
    assert first.load_sweep_config(m, ["b=3"]).a == 1
    (tmp_path / "config.yaml").write_text("a: 10\nb: 2\n")
    assert first.load_sweep_config(m, ["b=4"]).a == 1  # one sweep: its compositions
    assert CachedSweepLoader(plain).load_sweep_config(m, ["b=4"]).a == 10


def test_the_cache_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compose_cache, "MAX_ENTRIES", 3)
    (tmp_path / "config.yaml").write_text("a: 1\nb: 2\n")
    plain = ConfigLoaderImpl(config_search_path=create_config_search_path(str(tmp_path)))
    m = plain.load_configuration("config", overrides=[], run_mode=RunMode.MULTIRUN)
    for _ in range(compose_cache.MAX_ENTRIES + 5):  # a sweep each: a composition each
        CachedSweepLoader(plain).load_sweep_config(m, ["b=3"])
    assert len(compose_cache._COMPOSED) == compose_cache.MAX_ENTRIES


def test_the_loader_travels_to_worker_processes(loader: ConfigLoaderImpl) -> None:
    try:  # as joblib's and Ray's launchers send it (joblib < 1.6 vendors it)
        import cloudpickle
    except ImportError:
        from joblib.externals import cloudpickle  # type: ignore[no-redef]

    cached = cloudpickle.loads(cloudpickle.dumps(CachedSweepLoader(loader, token="t")))
    assert cached.token == "t"
    assert cached.get_search_path() is not None
    assert cached.repository is not None  # what Hydra reads of a loader, the wrapped one's
