"""``loopsim``: run the feedback loop once (or a sweep with ``-m``) from the Hydra config."""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from loopsim.experiments.faults import ERROR_FILE, is_complete, record_failure, sweep_failed
from loopsim.experiments.runner import policy_label, run_config
from loopsim.experiments.validate import validate_config
from loopsim.simulator.errors import ConfigError
from omegaconf import DictConfig

#: The configs shipped in the package, as Hydra finds them.
CONF_PACKAGE = "pkg://loopsim.conf"

#: The same configs as a folder on disk (inside the installed package, or ``conf/`` of
#: the checkout under an editable install), for code that lists or reads the files.
CONF_DIR = str(files("loopsim.conf"))



def builtin_policies() -> list[str]:
    """The names of the built-in policy configs (``policy=<name>``), ``custom`` left out."""
    folder = files("loopsim.conf").joinpath("policy")
    names = (p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
    return sorted(n for n in names if not n.startswith("_") and n != "custom")


#: Metrics shown on the console at the end of a run.
HEADLINE = ("gini_exposure", "coverage_window", "tau_popularity", "expected_clicks_window",
            "regret_window")


@hydra.main(version_base="1.3", config_path=CONF_PACKAGE, config_name="config")
def main(cfg: DictConfig) -> None:
    """Run one simulation and write ``metrics.parquet``, ``items.parquet``, ``summary.json``."""
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    name = policy_label(cfg, hydra_cfg.runtime.choices.get("policy"))
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    if cfg.get("resume") and is_complete(out_dir, cfg):
        print(f"{name} seed={cfg.seed}: already complete in {out_dir}, skipped (resume=true)")
        return
    try:
        validate_config(cfg)
        result = run_config(cfg, out_dir, name)
    except ConfigError as exc:
        if multirun:
            _report_failure(out_dir, cfg, name, exc, "configuration error")
            return
        print(f"loopsim: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    except Exception as exc:
        if os.environ.get("HYDRA_FULL_ERROR") == "1" and not multirun:
            raise
        _report_failure(out_dir, cfg, name, exc, "run failed")
        if multirun:
            return  # the other runs of the sweep go on; cli() exits with 1 at the end
        raise SystemExit(1) from exc
    s = result.summary
    final = s["final_metrics"]
    headline = "  ".join(
        f"{m}={final[m]:.3f}" for m in HEADLINE if final.get(m) is not None
    )
    print(
        f"{name} seed={cfg.seed}: {headline}\n"
        f"  {s['impressions']:,} impressions in {s['wall_time_s']:.2f} s "
        f"({s['impressions_per_second'] / 1e6:.2f}M/s) -> {out_dir}"
    )


def _report_failure(
    out_dir: Path, cfg: DictConfig, name: str, exc: Exception, kind: str
) -> None:
    """Keep the failure in the run folder and say so in one line on stderr."""
    record_failure(out_dir, cfg, name, exc)
    print(f"loopsim: {kind}: {name} seed={cfg.get('seed')}: {exc}\n"
          f"  kept in {out_dir} (summary.json status: failed, traceback in {ERROR_FILE})",
          file=sys.stderr)


def cli() -> None:
    """The ``loopsim`` command: :func:`main`, exiting with 1 if runs of a sweep failed.

    A failed run of a sweep (``-m``) does not stop the others; it is recorded in its run
    folder and listed at the end, and the command then exits with status 1.
    """
    main()
    if sweep_failed():
        raise SystemExit(1)


if __name__ == "__main__":
    cli()
