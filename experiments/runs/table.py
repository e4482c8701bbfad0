"""Find run folders, read their status and label them from their Hydra overrides.

A *run folder* is a Hydra job directory (it holds ``.hydra/``) or any folder with a
``summary.json``. Its status is:

* ``completed``: ``summary.json`` says exactly that, carries this loopsim's schema
  version (:data:`loopsim.simulator.io.results.SCHEMA_VERSION`), and ``metrics.parquet``
  and ``items.parquet`` exist with the sizes and checksums it recorded and the columns
  the comparison reads;
* ``failed``: ``summary.json`` says ``"status": "failed"``, or it is corrupt, foreign
  (another schema version, no checksums) or a file does not match what it recorded (the
  reason names the file and the cause);
* ``missing``: no ``summary.json`` (the job crashed, was killed, or still runs), or one
  whose status is neither ``completed`` nor ``failed`` (e.g. ``running``).

Labels come from the job's overrides (``.hydra/overrides.yaml``), without the replicate
keys (``seed``, ``world.seed``): runs that differ only in those are replicates of one
*group*, aggregated together by :mod:`loopsim.experiments.compare.aggregate`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from loopsim.simulator.errors import DataError
from loopsim.simulator.io.results import ITEMS_FILE, METRICS_FILE, SUMMARY_FILE, check_outputs
from omegaconf import OmegaConf

#: Override keys that make replicates, not groups.
REPLICATE_KEYS = ("seed", "world.seed")
#: Override keys that never label a run (they do not change its results).
IGNORED_KEYS = ("progress", "label", "resume", "tracking", "tracking.uri",
                "tracking.experiment", "tracking.backend")


@dataclass(frozen=True)
class RunInfo:
    """One run folder as found on disk.

    Attributes:
        path: The run folder.
        status: ``completed``, ``failed`` or ``missing``.
        reason: Why a run is not ``completed`` (empty when it is).
        policy: The policy's name in the outputs.
        seed: The run's seed (``None`` when unknown).
        world_seed: The fixed ``world.seed`` (``None`` when the world follows ``seed``).
        overrides: The job's overrides as ``{key: value}`` (replicate keys included).
        config: The run's composed config as its summary recorded it (``{}`` if unknown).
    """

    path: Path
    status: str
    reason: str
    policy: str
    seed: int | None
    world_seed: int | None
    overrides: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def find_run_dirs(roots: Iterable[str | Path]) -> list[Path]:
    """Run folders at or below each root, in a stable order, without duplicates.

    Args:
        roots: Sweep folders, run folders, or folders holding either.

    Returns:
        The run folders, sorted naturally within each root (``2`` before ``10``).

    Raises:
        DataError: If a root does not exist or holds no run folder.
    """
    found: list[Path] = []
    for root in map(Path, roots):
        if not root.is_dir():
            raise DataError(f"`{root}` is not a folder: pass sweep or run folders to compare.")
        here = [p.parent for p in root.rglob(".hydra") if p.is_dir()]
        here += [p.parent for p in root.rglob(SUMMARY_FILE)]
        here = sorted({p.resolve() for p in here}, key=_natural_key)
        if not here:
            raise DataError(
                f"`{root}` holds no run folder (a folder with `.hydra/` or `{SUMMARY_FILE}`); "
                "pass the sweep folder printed by `loopsim -m ...`."
            )
        found += [p for p in here if p not in found]
    return found


def find_unstarted(roots: Iterable[str | Path]) -> list[RunInfo]:
    """Jobs of the sweeps under ``roots`` that never started (no folder): ``missing`` runs.

    The jobs a sweep should have are rebuilt from its ``multirun.yaml`` (the sweep's
    overrides and ``hydra.sweeper.params``), for Hydra's basic sweeper with the default
    ``hydra.sweep.subdir`` (job folders named by job number). Other sweeps are skipped.
    """
    out: list[RunInfo] = []
    for root in map(Path, roots):
        for cfg_path in sorted(root.rglob("multirun.yaml")):
            for num, overrides in enumerate(_expected_jobs(cfg_path)):
                job = cfg_path.parent / str(num)
                if not job.exists():
                    ov = dict(o.partition("=")[::2] for o in overrides)
                    ov = {k.lstrip("+~"): v for k, v in ov.items() if not k.startswith("hydra.")}
                    out.append(RunInfo(job.resolve(), "missing", "never started (no folder)",
                                       ov.get("label") or ov.get("policy") or "unknown",
                                       _int_or_none(ov.get("seed")),
                                       _int_or_none(ov.get("world.seed")), ov))
    return out


def _expected_jobs(cfg_path: Path) -> list[list[str]]:
    """The overrides of every job of the sweep described by ``multirun.yaml`` (none
    when the file is malformed)."""
    cfg = _as_dict(_as_dict(_read_yaml(cfg_path)).get("hydra"))
    sweeper = _as_dict(cfg.get("sweeper"))
    basic = str(sweeper.get("_target_", "")).endswith(("BasicSweeper", "LoopsimSweeper"))
    if not basic or _as_dict(cfg.get("sweep")).get("subdir") != "${hydra.job.num}":
        return []
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        params = [f"{k}={v}" for k, v in _as_dict(sweeper.get("params")).items()]
        task = [str(o) for o in _as_dict(cfg.get("overrides")).get("task") or []]
        parsed = OverridesParser.create().parse_overrides(params + task)
        batches = BasicSweeper.split_arguments(parsed, None)
    except Exception:  # noqa: BLE001 - an unparsable sweep: list only the folders found
        return []
    return [list(job) for batch in batches[:1] for job in batch]


#: Columns ``loopsim-compare`` reads, per checked output, with the dtype kinds accepted.
REQUIRED_COLUMNS = {
    METRICS_FILE: {"t": "number", "metric": "text", "value": "number"},
    ITEMS_FILE: {"item": "number", "true_value": "number", "exposure": "number",
                 "clicks": "number", "available": "bool"},
}


def read_run(path: Path) -> RunInfo:
    """Read the status, policy, seed, overrides and config of one run folder.

    Only a run whose ``summary.json`` says ``"status": "completed"``, carries this
    loopsim's schema version and checksums that match its files is ``completed``; every
    other run gets its cause in ``reason``. A malformed file never raises here.
    """
    summary, problem = _read_summary(path / SUMMARY_FILE)
    overrides = read_overrides(path, summary)
    status, reason = run_status(path, summary, problem)
    summary = summary or {}
    config = _as_dict(summary.get("config")) or _as_dict(
        _read_yaml(path / ".hydra" / "config.yaml"))
    labels = _as_dict(summary.get("labels"))
    policy = labels.get("policy") or summary.get("policy")
    if not policy or not isinstance(policy, str | int | float):
        policy = overrides.get("label") or overrides.get("policy") or _policy_choice(path)
    seed = summary.get("seed", config.get("seed"))
    world_seed = _as_dict(config.get("world")).get("seed")
    return RunInfo(path, status, reason, str(policy), _int_or_none(seed),
                   _int_or_none(world_seed), overrides, config)


def run_status(path: Path, summary: dict[str, Any] | None, problem: str) -> tuple[str, str]:
    """``(status, reason)`` of a run folder from its parsed summary (see the module doc)."""
    if summary is None:
        if problem:
            return "failed", problem
        return "missing", f"no {SUMMARY_FILE} (crashed, killed, or still running)"
    state = summary.get("status")
    if state == "failed":
        err = summary.get("error")
        if isinstance(err, dict):
            return "failed", f"{err.get('type', 'error')}: {err.get('message', '')}".strip()
        return "failed", f"failed: {err}" if err is not None else "failed"
    if state != "completed":
        return "missing", (f"{SUMMARY_FILE} says status {state!r}, not 'completed' "
                           "(unfinished or not written by loopsim): not counted")
    absent = [f for f in (METRICS_FILE, ITEMS_FILE) if not (path / f).is_file()]
    if absent:
        return "failed", f"no {' or '.join(absent)} beside a completed {SUMMARY_FILE}"
    bad = check_outputs(path, summary) or _check_columns(path)
    return ("failed", bad) if bad else ("completed", "")


def _read_summary(file: Path) -> tuple[dict[str, Any] | None, str]:
    """The summary as a dict, or ``None`` and why (empty when the file is absent)."""
    if not file.exists():
        return None, ""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"{file}: not readable JSON ({type(exc).__name__}): corrupt"
    if not isinstance(data, dict):
        return None, f"{file}: holds a JSON {type(data).__name__}, not an object: corrupt"
    return data, ""


def _check_columns(path: Path) -> str | None:
    """Why the outputs lack a column ``loopsim-compare`` reads, or ``None``."""
    for name, columns in REQUIRED_COLUMNS.items():
        try:
            schema = pl.read_parquet_schema(path / name)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a cause, not a crash
            return f"{path / name}: not a readable Parquet file ({type(exc).__name__})"
        for col, kind in columns.items():
            dtype = schema.get(col)
            if dtype is None:
                return f"{path / name}: no column `{col}`"
            ok = {"number": dtype.is_numeric(), "text": dtype in (pl.Utf8, pl.Categorical),
                  "bool": dtype == pl.Boolean}[kind]
            if not ok:
                return f"{path / name}: column `{col}` is {dtype}, expected {kind}"
    return None


def config_conflicts(runs: Sequence[RunInfo], groups: Sequence[str]) -> list[str]:
    """Config keys that differ between the completed runs of one group.

    Runs of a group differ only in their replicate keys (``seed``, ``world.seed``) and the
    keys that do not change results (``label``, ``resume``, ``progress``); any other
    difference means the pooled runs are not replicates (made from other defaults, another
    config file or another loopsim version).

    Args:
        runs: The runs, in the order of ``groups``.
        groups: The group of each run (``runs_table(runs)["group"]``).

    Returns:
        One message per group with differing keys, naming up to five keys and two runs.
    """
    skip = {*REPLICATE_KEYS, *IGNORED_KEYS}
    by_group: dict[str, list[tuple[RunInfo, dict[str, str]]]] = {}
    for run, group in zip(runs, groups, strict=True):
        if run.status == "completed":
            flat = {k: v for k, v in _flatten(run.config).items() if k not in skip}
            by_group.setdefault(group, []).append((run, flat))
    out = []
    for group, members in by_group.items():
        first_run, first = members[0]
        for run, flat in members[1:]:
            keys = sorted(k for k in first.keys() | flat.keys() if first.get(k) != flat.get(k))
            if keys:
                shown = ", ".join(f"{k}: {first.get(k, '<absent>')} vs {flat.get(k, '<absent>')}"
                                  for k in keys[:5])
                more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
                out.append(f"group `{group}` pools runs whose configs differ beyond their "
                           f"overrides ({first_run.path} and {run.path}): {shown}{more}")
                break
    return out


def _flatten(node: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(node, dict):
        out: dict[str, str] = {}
        for k, v in node.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: json.dumps(node, sort_keys=True, default=str)}


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def read_overrides(path: Path, summary: dict[str, Any] | None = None) -> dict[str, str]:
    """The job's overrides as ``{key: value}`` strings: those its ``summary.json``
    recorded (the run's own), else ``.hydra/overrides.yaml``."""
    recorded = (summary or {}).get("overrides")
    raw = recorded if isinstance(recorded, list) else _read_yaml(path / ".hydra" / "overrides.yaml")
    raw = raw if isinstance(raw, list) else []
    out: dict[str, str] = {}
    for item in raw:
        key, sep, value = str(item).partition("=")
        key = key.lstrip("+~")
        if sep and not key.startswith("hydra."):
            out[key] = value
    return out


def runs_table(runs: Sequence[RunInfo]) -> pl.DataFrame:
    """One row per run: ``run``, ``path``, ``status``, ``reason``, ``group``, ``policy``,
    ``seed``, ``world_seed``, then one column per label that differs between runs.

    The group name is the policy followed by the differing labels other than ``policy``
    (for example ``epsilon_greedy estimator=coec selector.epsilon=0.05``, from the
    overrides ``policy/estimator=coec policy.selector.epsilon=0.05``; see
    :func:`label_name`); labels equal in every run
    (such as ``experiment=mitigation``) are left out of it.
    """
    labels = varying_labels(runs)
    rows: list[dict[str, Any]] = []
    for r in runs:
        extra = {k: r.overrides.get(k, "") for k in labels}
        group = " ".join([r.policy, *(f"{label_name(k)}={v}" for k, v in extra.items()
                                      if k != "policy" and v != "")])
        rows.append({"run": _short_name(r.path), "path": str(r.path), "status": r.status,
                     "reason": r.reason, "group": group, "policy": r.policy, "seed": r.seed,
                     "world_seed": r.world_seed, **extra})
    schema = {"run": pl.Utf8, "path": pl.Utf8, "status": pl.Utf8, "reason": pl.Utf8,
              "group": pl.Utf8, "policy": pl.Utf8, "seed": pl.Int64, "world_seed": pl.Int64,
              **{k: pl.Utf8 for k in labels}}
    return pl.DataFrame(rows, schema=schema, orient="row")


def label_name(key: str) -> str:
    """An override key as it reads in a group name: the policy's parts without ``policy``.

    ``policy/estimator`` -> ``estimator``, ``policy.selector.epsilon`` ->
    ``selector.epsilon``; other keys are kept (``world.drift``).
    """
    for prefix in ("policy/", "policy."):
        if key.startswith(prefix) and key != "policy":
            return key[len(prefix):]
    return key


def varying_labels(runs: Sequence[RunInfo]) -> list[str]:
    """Override keys (not replicate or ignored keys) whose value differs between runs."""
    keys: dict[str, None] = {}
    for r in runs:
        keys.update(dict.fromkeys(r.overrides))
    skip = (*REPLICATE_KEYS, *IGNORED_KEYS)
    return [k for k in keys
            if k not in skip and len({r.overrides.get(k, "") for r in runs}) > 1]


def _short_name(path: Path) -> str:
    """``<sweep>/<job>`` : short enough for a table, unique enough across sweeps."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _natural_key(path: Path) -> tuple[Any, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in path.parts)


def _policy_choice(path: Path) -> str:
    hydra_cfg = _read_yaml(path / ".hydra" / "hydra.yaml") or {}
    choices = ((hydra_cfg.get("hydra") or {}).get("runtime") or {}).get("choices") or {}
    return str(choices.get("policy") or "unknown")


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    except Exception:  # noqa: BLE001 - a corrupt file makes the run "missing", not a crash
        return None


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None
