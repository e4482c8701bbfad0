"""``experiment=offline_vs_online``: OPE estimates against the online truth, per estimator.

For a sweep folder of logged runs (``log.impressions=true``), and a list of target
policy configs:

* **offline**: every target, trained on each log's sessions before ``train_until`` and
  frozen, is evaluated on the rest of the log by every estimator, beside its exact value
  on those sessions (:func:`~loopsim.experiments.ope.evaluate.evaluate`);
* **online**: every target is deployed in the loop from the start, at each seed of the
  sweep, in the same world (common random numbers: the same users at the same times),
  and its exact value on its own sessions after ``train_until`` is measured.

Reported (``ope_runs.csv``, ``ope_summary.md``): bias, RMSE and interval coverage of
each estimator against the frozen truth; how often the offline ranking of the targets
agrees with the online ranking (pairwise, and on the best target); and the gap between
a frozen target's value on the logged sessions and its value when deployed in the loop,
where it changes the data it is trained on.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from hydra.experimental.callback import Callback
from loopsim.experiments.ope.evaluate import check_train_until, evaluate
from loopsim.experiments.ope.log import open_run
from loopsim.experiments.ope.target import compose_config, policy_target
from loopsim.experiments.ope.truth_reader import Truth, logging_value
from omegaconf import DictConfig, OmegaConf

_log = logging.getLogger(__name__)


def logged_runs(sweep_dir: Path) -> list[Path]:
    """Run folders of the sweep with an impression log (the deployed runs excluded)."""
    return sorted(p.parent for p in sweep_dir.glob("*/impressions")
                  if (p.parent / "summary.json").is_file())


def deploy(run_dir: Path, target: str, out_dir: Path) -> Path:
    """Run ``target`` in the loop with the logged run's config (world, seed, timing)."""
    from loopsim.experiments.cli.runner import run_config

    log = open_run(run_dir)
    if (out_dir / "summary.json").is_file():
        return out_dir
    cfg = OmegaConf.create(log.config)
    cfg.policy = OmegaConf.create(OmegaConf.to_container(
        policy_target_config(target), resolve=True))
    cfg.label = target
    run_config(cfg, out_dir, target)
    return out_dir


def policy_target_config(name: str) -> DictConfig:
    """The composed ``policy`` node of ``conf/policy/<name>.yaml``."""
    return compose_config([f"policy={name}"]).policy


def analyse(sweep_dir: str | Path, targets: list[str], train_until: float | None = None
            ) -> pl.DataFrame:
    """Offline estimates, frozen truth and deployed value of every (log, target) pair."""
    sweep = Path(sweep_dir)
    rows: list[dict[str, Any]] = []
    online: dict[tuple[str, int], float] = {}
    for run in logged_runs(sweep):
        log = open_run(run)
        seed = int(log.config["seed"])
        until = float(log.config["horizon"]) / 2 if train_until is None else train_until
        check_train_until(until, float(log.config["horizon"]))
        for target in targets:
            if (target, seed) not in online:
                deployed = deploy(run, target, sweep / "deployed" / f"{target}_seed{seed}")
                dlog = open_run(deployed)
                online[(target, seed)] = logging_value(dlog, Truth(dlog), since=until)[0]
            report = evaluate(run, policy_target(log, target), until)
            for row in report.rows():
                row.update(seed=seed, logging=log.policy_name, target=target,
                           online_value=online[(target, seed)])
                rows.append(row)
    return pl.DataFrame(rows)


def summarize(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Bias and RMSE per estimator, ranking agreement, and the loop's gap per target."""
    err = frame.group_by("estimator").agg(
        bias=pl.col("error").mean(), rmse=(pl.col("error") ** 2).mean().sqrt(),
        coverage=pl.col("covered").mean(), n=pl.len()).sort("rmse")
    by_logging = frame.group_by("logging", "estimator").agg(
        bias=pl.col("error").mean(), rmse=(pl.col("error") ** 2).mean().sqrt()).sort(
        "logging", "estimator")
    agree = []
    for (run, est), g in frame.group_by("run_dir", "estimator"):
        agree.append({"estimator": est, "run_dir": run, "logging": g["logging"][0],
                      "pairs_vs_online": _concordance(g["estimate"], g["online_value"]),
                      "pairs_vs_frozen": _concordance(g["estimate"], g["true_value"]),
                      "best_vs_online": float(g["target"][int(np.argmax(g["estimate"]))]
                                              == g["target"][int(np.argmax(g["online_value"]))]),
                      "frozen_vs_online": _concordance(g["true_value"], g["online_value"])})
    ranking = pl.DataFrame(agree).group_by("estimator").agg(
        pl.col("pairs_vs_online", "pairs_vs_frozen", "best_vs_online", "frozen_vs_online")
        .mean()).sort("estimator")
    ranking_by_logging = pl.DataFrame(agree).group_by("logging", "estimator").agg(
        pl.col("pairs_vs_online", "pairs_vs_frozen").mean()).sort("logging", "estimator")
    first = frame.filter(pl.col("estimator") == "ips")
    gap = first.group_by("target").agg(
        frozen_value=pl.col("true_value").mean(), online_value=pl.col("online_value").mean(),
        gap=(pl.col("true_value") - pl.col("online_value")).mean(),
        gap_sd=(pl.col("true_value") - pl.col("online_value")).std(),
        n=pl.len()).sort("target")
    return {"estimators": err, "by_logging": by_logging, "ranking": ranking,
            "ranking_by_logging": ranking_by_logging, "gap": gap}


def _concordance(a: pl.Series, b: pl.Series) -> float:
    """Share of pairs ordered the same way by ``a`` and ``b`` (ties in either count half)."""
    x, y = a.to_numpy(), b.to_numpy()
    pairs = list(itertools.combinations(range(x.size), 2))
    if not pairs:
        return float("nan")
    score = [1.0 if s > 0 else 0.0 if s < 0 else 0.5
             for s in (np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) for i, j in pairs)]
    return float(np.mean(score))


def write_report(sweep_dir: Path, frame: pl.DataFrame) -> str:
    """Write ``ope_runs.csv`` and ``ope_summary.md``; return the Markdown."""
    frame.write_csv(sweep_dir / "ope_runs.csv")
    tables = summarize(frame)
    parts = ["# Offline against online", ""]
    for name, table in tables.items():
        parts += [f"## {name}", "", _markdown(table), ""]
    text = "\n".join(parts)
    (sweep_dir / "ope_summary.md").write_text(text)
    return text


def _markdown(table: pl.DataFrame) -> str:
    head = "| " + " | ".join(table.columns) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    body = ["| " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row)
            + " |" for row in table.iter_rows()]
    return "\n".join([head, rule, *body])


class OfflineVsOnlineCallback(Callback):
    """At the end of the preset's multirun: :func:`analyse` the sweep and write the report.

    Args:
        targets: Target policy configs (``conf/policy/<name>.yaml``).
        train_until: Day splitting the target's training from the evaluated sessions.
    """

    def __init__(self, targets: list[str], train_until: float | None = None) -> None:
        self.targets = list(targets)
        self.train_until = train_until

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Analyse the sweep folder and print the summary."""
        sweep = Path(str(config.hydra.sweep.dir))
        frame = analyse(sweep, self.targets, self.train_until)
        print(write_report(sweep, frame))
        _log.info("offline_vs_online: %d rows -> %s", frame.height, sweep / "ope_runs.csv")


__all__ = ["OfflineVsOnlineCallback", "analyse", "deploy", "summarize", "write_report"]
