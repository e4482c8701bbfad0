"""A Python API for notebooks: one run, and a comparison, from the names the CLI takes.

::

    import loopsim
    r = loopsim.run(["policy=thompson", "horizon=20", "world.n_users=500"])
    r.metrics      # polars: t, metric, value
    r.items        # polars: item, true_value, exposure, clicks, policy_score, ...
    r.summary      # dict: final_metrics, wall time, seed, status, ...

    runs = [loopsim.run([f"policy={p}", f"seed={s}"]) for p in ("ctr", "thompson")
            for s in range(3)]
    c = loopsim.compare(runs)          # or run folders: loopsim.compare(["multirun/..."])
    c.summary                          # polars: one row per group (mean and 95% interval)
    c.differences                      # polars: paired differences from ctr, Holm marks
    c.figures["tradeoff"]              # a matplotlib Figure: displays inline in Jupyter

    c = loopsim.sweep(["policy=ctr,thompson", "seed=range(5)"], n_jobs=2)
    c                                  # the sorted table; c.files holds report.html

The configs and their checks are the CLI's: a bad override (a typo such as
``polcy=ctr`` too) raises :class:`~loopsim.simulator.errors.ConfigError` before the run.
Progress: ``progress=None`` (default) draws one updating line per run once it takes over
2 s, ``True`` always, ``False`` never; a sweep draws one line for all its runs.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from loopsim.simulator.errors import ConfigError
from loopsim.simulator.io.results import RunResult

__all__ = ["compare", "compose", "run", "sweep"]

#: Written beside a run's outputs so that ``loopsim-compare`` labels it as a CLI run.
_OVERRIDES = Path(".hydra") / "overrides.yaml"


def compose(overrides: Sequence[str] = ()) -> Any:
    """The config ``loopsim <overrides>`` would run (an OmegaConf ``DictConfig``).

    Args:
        overrides: Command-line overrides, e.g. ``["policy=ucb", "world.n_users=500"]``;
            ``hydra.searchpath=[file://my/conf]`` adds a config folder of your own.

    Raises:
        ConfigError: An override Hydra cannot apply (an unknown key such as ``polcy``, an
            unknown config name, a value of the wrong type); the message is Hydra's.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from loopsim.experiments.cli.run import CONF_DIR

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        try:
            return hydra_compose("config", overrides=list(overrides),
                                 return_hydra_config=True)
        except (HydraException, OmegaConfBaseException) as exc:
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            detail = str(exc) if str(cause) in str(exc) else f"{exc} {cause}"
            raise ConfigError(f"bad overrides {list(overrides)}: {detail.strip()} "
                              "(`loopsim --help` lists the config groups; `loopsim --cfg "
                              "job` prints every key).") from exc


def run(overrides: Sequence[str] = (), out_dir: str | Path | None = None,
        progress: bool | None = None) -> RunResult:
    """One run of ``loopsim <overrides>``, in this process.

    Args:
        overrides: The CLI's overrides (``["policy=epsilon_greedy",
            "policy.selector.epsilon=0.2", "seed=3"]``); ``-m`` sweeps are not run
            here: loop over the values instead.
        out_dir: Also write the run folder there (``metrics.parquet``, ``items.parquet``,
            ``summary.json``, and the overrides for ``loopsim-compare``); ``None`` keeps
            the outputs in memory only.
        progress: ``None`` one updating line once the run takes over 2 s (in a notebook
            too), ``True`` from the start, ``False`` never. An explicit ``progress=...``
            override wins.

    Returns:
        The :class:`~loopsim.simulator.io.results.RunResult`: ``metrics`` and ``items``
        (polars frames), ``summary`` (a dict; ``summary["overrides"]`` holds the
        overrides). A failed run raises after its partial outputs are written.

    Raises:
        ConfigError: for a bad override, before anything runs.
    """
    from omegaconf import OmegaConf, open_dict

    from loopsim.experiments.cli.config_checks import validate_config
    from loopsim.experiments.cli.runner import build_simulation, policy_label, run_config

    if progress is not None and not any(o.startswith("progress=") for o in overrides):
        overrides = [*overrides, f"progress={str(progress).lower()}"]
    cfg = compose(overrides)
    name = policy_label(cfg, cfg.hydra.runtime.choices.get("policy"))
    with open_dict(cfg):
        del cfg["hydra"]
    validate_config(cfg)
    labels = {"policy": name, "seed": int(cfg.seed)}
    if out_dir is not None:  # the CLI's own path: the same files, truth and summary
        result = run_config(cfg, out_dir, name, overrides=list(overrides))
        result.summary["labels"] = labels
        return result
    result = build_simulation(cfg, name).run()
    result.summary["config"] = OmegaConf.to_container(cfg, resolve=True)
    result.summary["overrides"] = list(overrides)
    result.summary["labels"] = labels
    result.raise_for_status()
    return result


def write(result: RunResult, out_dir: str | Path) -> Path:
    """Write a result of :func:`run` as a run folder that ``loopsim-compare`` reads."""
    out = Path(out_dir)
    labels = {"run_id": out.name, **result.summary.get("labels", {})}
    result.write(out, labels)
    (out / _OVERRIDES).parent.mkdir(exist_ok=True)
    lines = "".join(f"- {o}\n" for o in result.summary.get("overrides", []))
    (out / _OVERRIDES).write_text(lines or "[]\n")
    return out


def compare(runs: Sequence[RunResult | str | Path], out: str | Path | None = None,
            plots: bool = True, reference: str | None = "ctr",
            sort: str | None = None) -> Any:
    """Compare runs: results of :func:`run`, run folders or sweep folders, mixed.

    Groups and labels are taken from each run's overrides, as ``loopsim-compare`` does
    (``thompson estimator=ctr``); seeds are replicates.

    Args:
        runs: Results and/or folders.
        out: Where the tables, figures and ``report.html`` are written; ``None`` (the
            default) writes nothing that stays: the result holds the tables and figures
            in memory and ``files`` is empty.
        plots: Draw the figures.
        reference: The policy (or group) every group is compared to, paired by seed.
        sort: The metric the table is sorted by (default: regret over the run).

    Returns:
        A :class:`~loopsim.experiments.compare.cli.Comparison`: ``summary`` and ``runs``
        (polars frames), ``figures`` (``{"trajectories", "lorenz", "value_exposure",
        "tradeoff"}``: matplotlib figures) and ``files``.
    """
    from loopsim.experiments.compare.cli import compare as compare_dirs

    scratch = Path(tempfile.mkdtemp(prefix="loopsim-compare-"))
    try:
        dirs: list[Path] = []
        for i, item in enumerate(runs):
            if isinstance(item, RunResult):
                dirs.append(write(item, scratch / "runs" / str(i)))
            else:
                dirs.append(Path(item))
        result = compare_dirs(dirs, out=Path(out) if out is not None else scratch / "compare",
                              plots=plots, reference=reference, sort=sort)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if out is None:
        return dataclasses.replace(result, files=())
    return result


def sweep(overrides: Sequence[str], out: str | Path | None = None, n_jobs: int = 1,
          progress: bool = True, plots: bool = True, reference: str | None = "ctr",
          sort: str | None = None) -> Any:
    """Run a sweep, like ``loopsim -m <overrides>``, and return its comparison.

    Args:
        overrides: The CLI's overrides with sweeps: ``["policy=ctr,thompson",
            "seed=range(5)", "horizon=20"]`` (Hydra's sweep syntax: ``a,b``,
            ``range(n)``, ``choice(...)``).
        out: The sweep folder (default ``multirun/<date>/<time>``, as the CLI); each run
            writes into ``<out>/<job number>``, the comparison and ``report.html`` into
            ``out``.
        n_jobs: Runs at once (``> 1`` needs joblib, which the ``notebook`` extra installs:
            ``pip install "loopsim[notebook]"``).
        progress: One line for the sweep (runs done out of total, failures, ETA),
            updated in place in a notebook or terminal; ``False``: quiet.
        plots: Draw the figures.
        reference: The policy (or group) every group is compared to, paired by seed.
        sort: The metric the table is sorted by (default: regret over the run).

    Returns:
        The :class:`~loopsim.experiments.compare.cli.Comparison` of the sweep: ``summary``,
        ``differences`` and ``runs`` (polars), ``figures`` (matplotlib), ``files``.
        A failed run does not stop the others: it is listed in ``runs`` and the report.

    Raises:
        ConfigError: A bad override in any job, before any run starts.
    """
    from omegaconf import open_dict

    from loopsim.experiments.cli.config_checks import validate_config
    from loopsim.experiments.cli.sweep_progress import SweepLine

    jobs = expand(overrides)
    for job in jobs:  # every job's config is checked before the first run
        cfg = compose(job)
        with open_dict(cfg):
            del cfg["hydra"]
        validate_config(cfg)
    folder = Path(out) if out is not None else Path("multirun") / datetime.now().strftime(
        "%Y-%m-%d/%H-%M-%S")
    folder.mkdir(parents=True, exist_ok=True)
    line = SweepLine(len(jobs), stream=sys.stderr, enabled=progress)
    line.draw()
    tasks = [(job, folder / str(i)) for i, job in enumerate(jobs)]
    if n_jobs > 1:
        try:
            from joblib import Parallel, delayed
        except ImportError as exc:
            raise ConfigError(f"n_jobs == {n_jobs} needs joblib: pip install "
                              "\"loopsim[notebook]\", or n_jobs=1.") from exc
        outcomes = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(_sweep_job)(job, path) for job, path in tasks)
    else:
        outcomes = (_sweep_job(job, path) for job, path in tasks)
    for label, error in outcomes:
        line.run_done(label, error is None, error or "")
    line.close()
    return compare([folder], out=folder, plots=plots, reference=reference, sort=sort)


def expand(overrides: Sequence[str]) -> list[list[str]]:
    """The jobs of a sweep: one list of overrides per run (Hydra's basic sweeper order).

    Raises:
        ConfigError: An override Hydra cannot parse.
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
        batches = BasicSweeper.split_arguments(parsed, None)
    except HydraException as exc:
        raise ConfigError(f"bad sweep overrides {list(overrides)}: {exc}") from exc
    return [list(job) for job in batches[0]]


def _sweep_job(overrides: list[str], out_dir: Path) -> tuple[str, str | None]:
    """One run of a sweep into its folder: ``(label, None)`` or ``(label, error)``."""
    label = " ".join(o for o in overrides if o.split("=")[0] in ("policy", "seed")) or str(
        out_dir.name)
    job = [*overrides] if any(o.startswith("progress=") for o in overrides) else [
        *overrides, "progress=false"]
    try:
        run(job, out_dir=out_dir)
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded; the sweep goes on
        return label, f"{type(exc).__name__}: {exc}"
    return label, None
