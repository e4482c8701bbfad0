"""Build a simulation from a composed config, run it, and write its run folder."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from loopsim.experiments.ope.truth_writer import write_truth
from loopsim.simulator.contract.policy import propensity_kind
from loopsim.simulator.errors import ConfigError, LoopsimError
from loopsim.simulator.io.impression_log import IMPRESSIONS_DIR, ImpressionLog
from loopsim.simulator.io.results import RunResult
from loopsim.simulator.loop.config import SimulationConfig
from loopsim.simulator.loop.simulation import Simulation
from loopsim.simulator.metrics.slices import COHORTS, SliceOptions
from loopsim.simulator.monitoring.monitor import MonitorOptions
from omegaconf import DictConfig, ListConfig, OmegaConf

#: Top-level config keys that set the engine's timing (SimulationConfig's fields).
ENGINE_KEYS = tuple(f.name for f in fields(SimulationConfig))


def simulation_config(cfg: DictConfig) -> SimulationConfig:
    """The engine's settings from the config's top-level keys."""
    missing = [k for k in ENGINE_KEYS if k not in cfg]
    if missing:
        raise ConfigError(f"config is missing the top-level keys {missing}.")
    return SimulationConfig(**{k: cfg[k] for k in ENGINE_KEYS})


def build(node: DictConfig) -> Any:
    """Instantiate one component from its ``_target_`` node (nested ones included).

    A loopsim error raised by a constructor (e.g. Thompson sampling composed over an
    estimator without a posterior: a :class:`ConfigError`) is re-raised as itself, not
    wrapped in Hydra's ``InstantiationException``, so the command reports it in one line.
    """
    try:
        return instantiate(node, _convert_="all")
    except InstantiationException as exc:
        cause = exc.__cause__
        while isinstance(cause, InstantiationException):
            cause = cause.__cause__
        if isinstance(cause, LoopsimError):
            raise cause from None
        raise


def slice_options(cfg: DictConfig) -> SliceOptions | None:
    """The ``slices`` block as :class:`SliceOptions` (``None`` when absent or off)."""
    node = cfg.get("slices")
    if node is None or not node.get("enabled", False):
        return None
    values = known_keys(SliceOptions, OmegaConf.to_container(node, resolve=True), "slices")
    values["cohorts"] = tuple(values.get("cohorts", COHORTS))
    return SliceOptions(**values)


def known_keys(schema: type, values: Any, block: str) -> dict[str, Any]:
    """``values`` as a dict, or :class:`ConfigError` naming a key ``schema`` lacks."""
    if not isinstance(values, dict):
        raise ConfigError(f"`{block} == {values!r}`: must be a mapping of "
                          f"{schema.__name__} fields.")
    allowed = [f.name for f in fields(schema)]
    unknown = sorted(str(k) for k in values if k not in allowed)
    if unknown:
        raise ConfigError(f"`{block}` has unknown keys {unknown}; allowed: {allowed} "
                          "(check the spelling).")
    return dict(values)


def monitor_options(cfg: DictConfig) -> MonitorOptions | None:
    """The ``monitor`` block as :class:`MonitorOptions` (``None`` when absent)."""
    node = cfg.get("monitor")
    if node is None:
        return None
    return MonitorOptions(**known_keys(MonitorOptions, OmegaConf.to_container(node, resolve=True),
                                       "monitor"))


def build_simulation(cfg: DictConfig, policy_name: str) -> Simulation:
    """Instantiate the world, click model and policy of ``cfg`` into a simulation."""
    return Simulation(build(cfg.world), build(cfg.click_model), build(cfg.policy),
                      simulation_config(cfg), int(cfg.seed), policy_name=policy_name,
                      slices=slice_options(cfg), monitor=monitor_options(cfg))


def impression_log(cfg: DictConfig, out_dir: str | Path) -> ImpressionLog | None:
    """The Parquet impression log of ``log.impressions=true`` (``None`` when off or absent)."""
    log = cfg.get("log")
    if log is None or not log.get("impressions", False):
        return None
    return ImpressionLog(Path(out_dir) / IMPRESSIONS_DIR, int(log.get("chunk_rows", 1_000_000)))


def policy_label(cfg: DictConfig, choice: str | None) -> str:
    """The policy's name in outputs: ``label`` if set, else the config group choice.

    ``policy=custom`` (a class named on the command line) is labelled by its class.
    """
    if cfg.get("label"):
        return str(cfg.label)
    if choice and choice != "custom":
        return choice
    return "+".join(_class_name(node) for node in _policy_nodes(cfg.policy))


def _policy_nodes(policy: DictConfig) -> list[Any]:
    parts = [policy.get(k) for k in ("estimator", "selector")]
    if all(isinstance(p, DictConfig) and "_target_" in p for p in parts):
        return parts
    return [policy]


def _class_name(node: Any) -> str:
    return str(node.get("_target_", "policy")).rsplit(".", 1)[-1].lower()


def _targets(node: Any) -> list[str]:
    if isinstance(node, DictConfig):
        own = [str(node["_target_"])] if "_target_" in node else []
        return own + [t for v in node.values() for t in _targets(v)]
    if isinstance(node, ListConfig):
        return [t for v in node for t in _targets(v)]
    return []


def determinism_warnings(policy_node: DictConfig, name: str) -> list[str]:
    """Why a user's policy may not rerun identically at the same seed (``[]``: no sign).

    A policy made only of loopsim's own classes is skipped (the test suite checks them).
    Otherwise a fresh instance runs :func:`~loopsim.simulator.checker.checks.
    check_deterministic_given_rng` (it catches a policy drawing from its own unseeded
    ``default_rng()``) on the checker's tiny world, after the run (a few milliseconds).
    The global ``np.random``/``random`` states are watched during the run itself.
    """
    from loopsim.simulator.checker.checks import check_deterministic_given_rng
    from loopsim.simulator.errors import PolicyContractError

    if all(t.startswith("loopsim.") for t in _targets(policy_node)):
        return []
    try:
        check_deterministic_given_rng(build(policy_node), name)
    except PolicyContractError as exc:
        return [f"{exc} Its reruns at the same seed may differ."]
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001 - the probe only warns; the run has ended well
        return []
    return []


def run_config(
    cfg: DictConfig,
    out_dir: str | Path,
    policy_name: str,
    extra_labels: dict[str, Any] | None = None,
    overrides: list[str] | None = None,
) -> RunResult:
    """Run the simulation described by ``cfg`` and write its outputs into ``out_dir``.

    Outputs are written even when the run fails (with ``status == "failed"`` in
    ``summary.json``); the error is then re-raised. ``overrides`` (the job's command-line
    overrides) are kept in ``summary.json``, where ``loopsim-compare`` reads its labels.
    """
    out = Path(out_dir)
    sim = build_simulation(cfg, policy_name)
    sim.impression_log = impression_log(cfg, out)
    result = sim.run()
    if result.status == "completed" and (warnings := determinism_warnings(cfg.policy,
                                                                          policy_name)):
        result.summary["warnings"] = [*result.summary.get("warnings", []), *warnings]
    if sim.impression_log is not None:
        result.summary["truth"] = write_truth(
            sim, out, float(cfg.log.get("truth_max_mb", 1024)),
            instantiate(cfg.world, _convert_="all"))
    labels = {"run_id": out.name, "policy": policy_name, "seed": int(cfg.seed)}
    labels.update(extra_labels or {})
    result.summary["propensity_kind"] = propensity_kind(sim.policy)
    result.summary["config"] = OmegaConf.to_container(cfg, resolve=True)
    if overrides is not None:
        result.summary["overrides"] = list(overrides)
    result.write(out, labels)
    result.raise_for_status()
    return result
