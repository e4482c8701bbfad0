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
    c.figures["tradeoff"]              # matplotlib Figure

The configs and their checks are the CLI's: a bad override raises
:class:`~loopsim.simulator.errors.ConfigError` before the run, naming the field.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loopsim.simulator.io.results import RunResult

__all__ = ["compare", "compose", "run"]

#: Written beside a run's outputs so that ``loopsim-compare`` labels it as a CLI run.
_OVERRIDES = Path(".hydra") / "overrides.yaml"


def compose(overrides: Sequence[str] = ()) -> Any:
    """The config ``loopsim <overrides>`` would run (an OmegaConf ``DictConfig``).

    Args:
        overrides: Command-line overrides, e.g. ``["policy=ucb", "world.n_users=500"]``;
            ``hydra.searchpath=[file://my/conf]`` adds a config folder of your own.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from loopsim.experiments.cli.run import CONF_DIR

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return hydra_compose("config", overrides=list(overrides), return_hydra_config=True)


def run(overrides: Sequence[str] = (), out_dir: str | Path | None = None) -> RunResult:
    """One run of ``loopsim <overrides>``, in this process.

    Args:
        overrides: The CLI's overrides (``["policy=epsilon_greedy",
            "policy.selector.epsilon=0.2", "seed=3"]``); ``-m`` sweeps are not run
            here: loop over the values instead.
        out_dir: Also write the run folder there (``metrics.parquet``, ``items.parquet``,
            ``summary.json``, and the overrides for ``loopsim-compare``); ``None`` keeps
            the outputs in memory only.

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
            plots: bool = True) -> Any:
    """Compare runs: results of :func:`run`, run folders or sweep folders, mixed.

    Groups and labels are taken from each run's overrides, as ``loopsim-compare`` does
    (``thompson estimator=ctr``); seeds are replicates.

    Args:
        runs: Results and/or folders.
        out: Where the tables and figures are written (default: a temporary folder).
        plots: Draw the figures.

    Returns:
        A :class:`~loopsim.experiments.compare.cli.Comparison`: ``summary`` and ``runs``
        (polars frames), ``figures`` (``{"trajectories", "lorenz", "value_exposure",
        "tradeoff"}``: matplotlib figures) and ``files``.
    """
    from loopsim.experiments.compare.cli import compare as compare_dirs

    scratch = Path(tempfile.mkdtemp(prefix="loopsim-compare-"))
    dirs: list[Path] = []
    for i, item in enumerate(runs):
        if isinstance(item, RunResult):
            dirs.append(write(item, scratch / "runs" / str(i)))
        else:
            dirs.append(Path(item))
    return compare_dirs(dirs, out=Path(out) if out is not None else scratch / "compare",
                        plots=plots)
