"""loopsim's launcher: jobs forked from the sweep's process, n_jobs at a time, each with
its share of the BLAS threads; what a child hands back; a tiny sweep end to end."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra.core.utils import JobReturn, JobStatus
from loopsim.experiments.runs import fork_launcher
from loopsim.experiments.runs.fork_launcher import (
    ForkLauncher,
    _read_return,
    _slim,
    child_threads,
)
from loopsim.experiments.runs.sweeper import worker_died
from loopsim.simulator.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
TINY = ["horizon=2", "world.n_users=40", "world.n_items=20", "progress=false",
        "hydra.callbacks.compare.plots=false"]


@pytest.mark.parametrize(("n_jobs", "cores", "expected"), [
    (-1, 8, 8), (-2, 8, 7), (-20, 8, 1), (3, 8, 3), (16, 2, 16), (-1, 1, 1)])
def test_jobs_at_once_follow_n_jobs_and_the_cores(n_jobs: int, cores: int, expected: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork_launcher, "usable_cores", lambda: cores)
    assert ForkLauncher(n_jobs=n_jobs).parallelism() == expected


def test_zero_jobs_at_once_is_refused_with_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"n_jobs=0.*-1 for one per core"):
        ForkLauncher(n_jobs=0).parallelism()


def test_each_child_gets_its_share_of_the_cores_unless_the_environment_says(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork_launcher, "usable_cores", lambda: 8)
    for name in fork_launcher.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert child_threads(2) == 4
    assert child_threads(3) == 2
    assert child_threads(16) == 1
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert child_threads(2) is None


def test_a_return_goes_back_without_its_configs() -> None:
    ret = JobReturn(overrides=["seed=1"], status=JobStatus.COMPLETED, _return_value=7,
                    working_dir="/w", task_name="run")
    back = _read_return(_slim(ret))
    assert back is not None
    assert (back.overrides, back.status, back.return_value, back.working_dir,
            back.task_name) == (["seed=1"], JobStatus.COMPLETED, 7, "/w", "run")


class TwoArguments(Exception):
    """Pickles, but does not unpickle (its __init__ takes two arguments)."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(f"{a} {b}")


def test_a_failure_that_does_not_survive_pickling_goes_back_as_its_text() -> None:
    class Local(Exception):  # a class pickle cannot find by name
        pass

    for error in (Local("boom"), TwoArguments("boom", "twice")):
        back = _read_return(_slim(JobReturn(overrides=[], status=JobStatus.FAILED,
                                            _return_value=error)))
        assert back is not None and back.status == JobStatus.FAILED
        with pytest.raises(RuntimeError, match="boom"):
            _ = back.return_value


def test_a_child_that_handed_back_nothing_reads_as_dead_and_garbage_as_failed() -> None:
    assert _read_return(b"") is None
    cut = _read_return(b"\x80\x04\x95")
    assert cut is not None and cut.status == JobStatus.FAILED
    with pytest.raises(RuntimeError, match="could not be read back"):
        _ = cut.return_value
    assert worker_died(fork_launcher.WorkerDied("job(s) [3]"))


def test_a_tiny_sweep_runs_its_jobs_two_at_a_time_and_compares(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    done = subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", "-m", *TINY,
         "policy=popularity,random", "seed=0,1", "hydra.launcher.n_jobs=2",
         f"hydra.sweep.dir={sweep}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ForkLauncher(n_jobs=2) is launching 4 jobs, 2 at a time" in done.stdout
    assert "Comparison of 4 runs (4 completed, 0 failed, 0 missing)" in done.stdout
    for job in "0123":
        assert (sweep / job / "summary.json").is_file()
        assert (sweep / job / ".hydra" / "overrides.yaml").is_file()
    assert not list(sweep.glob("*.pkl"))


SIGNAL_DURING_FORK = """
import os, signal, sys
sweep_pid, forks = os.getpid(), [0]

def before_fork():  # SIGTERM to the sweep's process while it forks its second job
    if os.getpid() == sweep_pid:
        forks[0] += 1
        if forks[0] == 2:
            os.kill(sweep_pid, signal.SIGTERM)

os.register_at_fork(before=before_fork)
from loopsim.experiments.cli.run import cli
sys.argv = ["loopsim", *sys.argv[1:]]
cli()
"""


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="needs os.fork")
def test_a_sigterm_that_comes_while_a_job_is_forked_still_stops_the_sweep(
        tmp_path: Path) -> None:
    """Reproduction: a signal handled inside os.fork's own hooks was printed as
    "Exception ignored" and lost: the sweep went on and exited 0."""
    sweep = tmp_path / "sweep"
    done = subprocess.run(
        [sys.executable, "-c", SIGNAL_DURING_FORK, "-m", *TINY, "horizon=30",
         "policy=popularity", "seed=0,1,2,3", "hydra.launcher.n_jobs=2",
         f"hydra.sweep.dir={sweep}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 143, done.stderr[-3000:]
    assert "Exception ignored" not in done.stderr
    assert not (sweep / "2").exists() and not (sweep / "3").exists()


def test_without_fork_the_batch_goes_to_joblib_with_its_own_defaults(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``os.fork`` (Windows): joblib's launcher, with the settings of joblib's own
    config (not a copy written here) and this launcher's ``n_jobs``."""
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    from hydra_plugins.hydra_joblib_launcher import joblib_launcher
    from hydra_plugins.hydra_joblib_launcher.config import JobLibLauncherConf

    made: dict[str, object] = {}

    class Recording:
        def __init__(self, **kwargs: object) -> None:
            made.update(kwargs)

        def setup(self, **kwargs: object) -> None:
            made["setup"] = sorted(kwargs)

        def launch(self, job_overrides: object, initial_job_idx: int) -> list[str]:
            return [f"launched from {initial_job_idx}"]

    monkeypatch.setattr(joblib_launcher, "JoblibLauncher", Recording)
    monkeypatch.delattr(fork_launcher.os, "fork")
    launcher = ForkLauncher(n_jobs=3)
    launcher.setup(hydra_context=object(), task_function=print, config=object())
    assert launcher.launch([["seed=0"]], 5) == ["launched from 5"]
    assert made.pop("setup") == ["config", "hydra_context", "task_function"]
    assert made.pop("n_jobs") == 3
    defaults = dataclasses.asdict(JobLibLauncherConf())
    del defaults["_target_"], defaults["n_jobs"]
    assert made == defaults
