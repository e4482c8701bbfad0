"""``loopsim``: run the feedback loop once (or a sweep with ``-m``) from the Hydra config."""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from loopsim.experiments.cli.config_checks import validate_config
from loopsim.experiments.cli.info import handle_info_command
from loopsim.experiments.cli.runner import policy_label, run_config
from loopsim.experiments.cli.signals import (
    Terminated,
    exit_if_worker,
    handle_sigterm,
    mark_sweep_parent,
    watch_parent,
)
from loopsim.experiments.cli.sweep_progress import quiet_in_sweep
from loopsim.experiments.runs import supervise
from loopsim.experiments.runs.faults import (
    ERROR_FILE,
    completion,
    holds_completed_run,
    record_failure,
    record_refused,
    sweep_failed,
)
from loopsim.experiments.runs.folder import (
    RunFolderBusy,
    check_inside,
    lock_run_folder,
    move_aside,
)
from loopsim.experiments.runs.warm import import_builtin_parts, keep_plugin_scan
from loopsim.simulator.errors import ConfigError, DataError, RunAborted, UnsafePathError
from loopsim.simulator.io.results import SUMMARY_FILE
from omegaconf import DictConfig, open_dict

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
    """Run one simulation and write ``metrics.parquet``, ``items.parquet``, ``summary.json``.

    The run folder is locked while the run writes (a second run into it is refused), the
    previous run's outputs are moved aside first (``previous.<name>``), and a failure is
    always recorded as ``status: failed``.
    """
    handle_sigterm()
    watch_parent()
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    name = _policy_name(cfg, hydra_cfg)
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    if multirun:  # the sweep draws one progress line for all its jobs
        with open_dict(cfg):
            cfg.progress = quiet_in_sweep(cfg.get("progress"), multirun)
    overrides = list(hydra_cfg.overrides.task)
    try:
        if multirun:
            check_inside(out_dir, hydra_cfg.sweep.dir)
        with lock_run_folder(out_dir):
            try:
                code = _run_job(cfg, out_dir, name, multirun, overrides, hydra_cfg.sweep.dir)
            except KeyboardInterrupt as stop:  # one that came before the job could record it
                _record_unrecorded_interruption(out_dir, cfg, name, stop, overrides)
                raise
    except (RunFolderBusy, ConfigError, UnsafePathError) as exc:  # nothing written there
        print(f"loopsim: refused: {name} seed={cfg.get('seed')}: {exc}", file=sys.stderr)
        if not multirun:
            raise SystemExit(1 if isinstance(exc, RunFolderBusy) else 2) from exc
        record_refused(hydra_cfg.sweep.dir, out_dir, str(exc))
        return
    if code and not multirun:
        raise SystemExit(code)


def _run_job(cfg: DictConfig, out_dir: Path, name: str, multirun: bool,
             overrides: list[str], sweep_dir: str) -> int:
    """The job with its folder locked; its exit code (0 done or skipped).

    Under the ``loopsim`` command the run's body runs in a child process
    (:mod:`loopsim.experiments.runs.supervise`): a body that ends abruptly (killed,
    ``os._exit``) is recorded as failed here, and a ``KeyboardInterrupt`` the run raised
    itself (not Ctrl-C) fails that run only.
    """
    def body() -> None:
        _run_locked(cfg, out_dir, name, multirun, overrides, sweep_dir)

    if not supervise.enabled():
        try:
            body()
        except KeyboardInterrupt as stop:
            _record_unrecorded_interruption(out_dir, cfg, name, stop, overrides)
            exit_if_worker()
            raise
        except SystemExit as stop:
            return stop.code if isinstance(stop.code, int) else 1
        return 0
    import_builtin_parts(cfg)  # once per worker: the forked child inherits the imports
    keep_plugin_scan()  # the worker's next jobs do not rescan Hydra's plugins
    outcome = supervise.supervised(body)
    if outcome.kind == "abrupt":
        _report_failure(out_dir, cfg, name, RunAborted(outcome.cause), "run failed", overrides)
    elif outcome.kind == "interrupted" and outcome.signalled is None:
        print(f"loopsim: {name} seed={cfg.get('seed')}: the run raised KeyboardInterrupt "
              "itself (no Ctrl-C or SIGTERM reached loopsim): recorded as failed",
              file=sys.stderr)
        return 1
    if outcome.signalled is not None:
        _record_unrecorded_interruption(out_dir, cfg, name, outcome.signalled, overrides)
        exit_if_worker()
        raise outcome.signalled
    return outcome.code


def _record_unrecorded_interruption(out_dir: Path, cfg: DictConfig, name: str,
                                    stop: BaseException, overrides: list[str]) -> None:
    """Record an interruption that came before the run could record it itself.

    Ctrl-C or SIGTERM can arrive while the job holds its folder but before the run is
    inside :func:`run_config` (the config checks, the resume check, moving old outputs
    aside, or the child process still starting, as on a loaded machine). With no
    ``summary.json`` in the folder, the job is recorded as failed like any interrupted
    run; a folder that keeps a summary (the run's own record, or a completed run that
    ``resume=true`` left in place) is left as it is.
    """
    if (out_dir / SUMMARY_FILE).exists():
        return
    move_aside(out_dir)
    _report_failure(out_dir, cfg, name, stop, "interrupted", overrides)


def _run_locked(cfg: DictConfig, out_dir: Path, name: str, multirun: bool,
                overrides: list[str], sweep_dir: str) -> None:
    """The run, with its folder locked: checks, resume, old outputs aside, run, report.

    The config is checked before the folder is touched: with ``resume=true`` a bad value
    (a typo in the resume command) never replaces a completed run.
    """
    try:
        validate_config(cfg)
    except ConfigError as exc:
        if not multirun:  # writes nothing: the folder's outputs stay as they were
            print(f"loopsim: configuration error: {exc}", file=sys.stderr)
            raise SystemExit(2) from exc
        if cfg.get("resume") and holds_completed_run(out_dir):  # a typo in a resume command
            print(f"loopsim: configuration error: {name} seed={cfg.get('seed')}: {exc}\n"
                  f"  {out_dir} keeps its completed run (resume=true)", file=sys.stderr)
            record_refused(sweep_dir, out_dir, f"configuration error: {exc}")
            return
        move_aside(out_dir)
        _report_failure(out_dir, cfg, name, exc, "configuration error", overrides)
        return
    if cfg.get("resume"):
        done, why = completion(out_dir, cfg)
        if done:
            print(f"{name} seed={cfg.seed}: already complete in {out_dir}, skipped (resume=true)")
            return
        if (out_dir / SUMMARY_FILE).exists():
            print(f"{name} seed={cfg.seed}: rerun (resume=true): {why}", file=sys.stderr)
    move_aside(out_dir)
    try:
        result = run_config(cfg, out_dir, name, overrides=overrides)
    except (ConfigError, DataError) as exc:
        kind = "data error" if isinstance(exc, DataError) else "configuration error"
        if multirun:
            _report_failure(out_dir, cfg, name, exc, kind, overrides)
            return
        # A single run with a bad value writes nothing (the previous outputs are aside).
        print(f"loopsim: {kind}: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    except KeyboardInterrupt as stop:  # Ctrl-C, SIGTERM, or the sweep's parent gone
        _report_failure(out_dir, cfg, name, stop, "interrupted", overrides)
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit from user code is a failure too
        if os.environ.get("HYDRA_FULL_ERROR") == "1" and not multirun:
            raise
        _report_failure(out_dir, cfg, name, exc, "run failed", overrides)
        if multirun:
            return  # the other runs of the sweep go on; cli() exits with 1 at the end
        raise SystemExit(1) from exc
    s = result.summary
    final = s["final_metrics"]
    headline = "  ".join(
        f"{m}={final[m]:.3f}" for m in HEADLINE if final.get(m) is not None
    )
    report = (
        f"{name} seed={cfg.seed}: {headline}\n"
        f"  {s['impressions']:,} impressions in {s['wall_time_s']:.2f} s "
        f"({s['impressions_per_second'] / 1e6:.2f}M/s) -> {out_dir}"
    )
    _append_log(out_dir, report)
    if not multirun:  # a sweep's jobs stay quiet: the sweep's line counts them
        print(report)
    for warning in s.get("warnings", []):
        print(f"loopsim: warning: {name} seed={cfg.seed}: {warning}", file=sys.stderr)


#: The run's log in its folder (Hydra's job log, ``${hydra.job.name}.log``).
RUN_LOG = "run.log"


def _append_log(out_dir: Path, text: str) -> None:
    """Append the run's result lines to ``run.log`` in its folder."""
    with open(out_dir / RUN_LOG, "a", encoding="utf-8") as f:
        f.write(text.rstrip("\n") + "\n")


def _policy_name(cfg: DictConfig, hydra_cfg: Any) -> str:
    """The policy's name in outputs: ``label``, else the class of an overridden
    ``policy._target_``, else the config group choice (:func:`policy_label`)."""
    overridden = any(str(o).partition("=")[0].lstrip("+~") == "policy._target_"
                     for o in hydra_cfg.overrides.task)
    if overridden and not cfg.get("label"):
        return str(cfg.policy.get("_target_", "policy")).rsplit(".", 1)[-1]
    return policy_label(cfg, hydra_cfg.runtime.choices.get("policy"))


def _report_failure(
    out_dir: Path, cfg: DictConfig, name: str, exc: BaseException, kind: str,
    overrides: list[str],
) -> None:
    """Keep the failure in the run folder and say so in one line on stderr."""
    record_failure(out_dir, cfg, name, exc, overrides)
    what = f"{type(exc).__name__}: {exc}" if kind == "interrupted" else str(exc)
    print(f"loopsim: {kind}: {name} seed={cfg.get('seed')}: {what}\n"
          f"  kept in {out_dir} (summary.json status: failed, traceback in {ERROR_FILE})",
          file=sys.stderr)


def register_sweeper() -> None:
    """Make loopsim's sweeper (``hydra/sweeper: loopsim``) known to Hydra.

    Hydra finds plugins by scanning the ``hydra_plugins`` namespace, which an editable
    install does not expose to its scan; registering the class explicitly works for
    every kind of install.
    """
    from hydra.core.plugins import Plugins

    from hydra_plugins.loopsim_sweeper import LoopsimLauncher, LoopsimSweeper

    Plugins.instance().register(LoopsimSweeper)
    Plugins.instance().register(LoopsimLauncher)


def cli() -> None:
    """The ``loopsim`` command: :func:`main`, exiting with 1 if runs of a sweep failed.

    A failed run of a sweep (``-m``) does not stop the others; it is recorded in its run
    folder and listed at the end, and the command then exits with status 1. Ctrl-C exits
    with 130 and SIGTERM with 143, after the running job recorded itself as failed and
    the sweep's comparison ran on what exists. ``loopsim --version`` and ``loopsim init
    DIR`` are answered before Hydra starts (:mod:`loopsim.experiments.cli.info`).
    """
    if handle_info_command(sys.argv[1:]):
        return
    mark_sweep_parent()
    supervise.enable()
    register_sweeper()
    handle_sigterm()
    try:
        main()
    except Terminated as exc:  # the comparison of what exists runs at exit
        print(f"loopsim: {exc}; exit code 143", file=sys.stderr)
        raise SystemExit(143) from None
    except KeyboardInterrupt:
        print("loopsim: interrupted; exit code 130", file=sys.stderr)
        raise SystemExit(130) from None
    if sweep_failed():
        raise SystemExit(1)


if __name__ == "__main__":
    cli()
