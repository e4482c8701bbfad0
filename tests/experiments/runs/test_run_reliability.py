"""Nothing stale, nothing lost, nothing impossible: each test starts from a reproduction.

Run folders hold one run (lock, previous outputs moved aside, failures always recorded,
checksums checked by resume and compare), every policy hook's failure is named, SIGTERM
is handled like Ctrl-C, files respect the umask and job folders stay in the sweep folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from loopsim.experiments.compare.cli import compare
from loopsim.experiments.runs.faults import read_summary
from loopsim.experiments.runs.folder import LOCK_FILE, check_inside, lock_run_folder
from loopsim.simulator.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
TINY = ["horizon=3", "world.n_users=50", "world.n_items=30", "retrain_interval=0.5",
        "progress=false"]

POLICIES = '''
import os
import random
import time
from pathlib import Path

import numpy as np
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import ClickCount
from loopsim.policies.selectors import Greedy


class Popularity(ComposedPolicy):
    """Greedy by clicks, as the built-in popularity config composes it."""

    def __init__(self) -> None:
        super().__init__(ClickCount(), Greedy())


class MetricsOnDay(Popularity):
    """policy_metrics() returns a string from day `at` on."""

    def __init__(self, at: float = 2.0) -> None:
        super().__init__()
        self.at, self.t = at, 0.0

    def rank(self, request):
        self.t = request.t
        return super().rank(request)

    def policy_metrics(self):
        return "oops" if self.t >= self.at else {"x": 1.0}


class ExitInUpdate(Popularity):
    """raise SystemExit(0) in update() from day 1 on."""

    def update(self, feedback):
        if feedback.t.size and feedback.t.max() >= 1.0:
            raise SystemExit(0)
        super().update(feedback)


class BadScores(Popularity):
    """item_scores() raises."""

    def item_scores(self, items):
        raise KeyError("no scores today")


class Slow(Popularity):
    """Sleeps in rank(), so a signal meets a running job; marks its process as ranking."""

    def rank(self, request):
        Path(f"ranking.{os.getpid()}").touch()
        time.sleep(0.05)
        return super().rank(request)


class Relabel(Popularity):
    """Mutates request.users in place."""

    def rank(self, request):
        request.users[:] = 0
        return super().rank(request)


class GlobalRandom(Popularity):
    """Draws from the global generators."""

    def rank(self, request):
        np.random.random()
        random.random()
        return super().rank(request)
'''


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    """A user's folder with the policies above on the Python path."""
    (tmp_path / "my_policies.py").write_text(POLICIES)
    return tmp_path


def _env(user_dir: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": f"{user_dir}{os.pathsep}{ROOT}"}
    env.pop("HYDRA_FULL_ERROR", None)
    return env


def _wait_running(proc: subprocess.Popen, user_dir: Path, *folders: Path) -> None:
    """Wait until each of ``folders`` is locked and as many processes run the ``Slow``
    policy's ``rank`` (its ``ranking.<pid>`` marks): the jobs are inside their runs, at
    whatever speed the machine gives them."""
    deadline = time.monotonic() + 120
    while not (all((f / LOCK_FILE).exists() for f in folders)
               and len(list(user_dir.glob("ranking.*"))) >= len(folders)):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    time.sleep(0.5)


def loopsim(user_dir: Path, *args: str, tiny: bool = True) -> subprocess.CompletedProcess[str]:
    """``loopsim [-m] TINY args`` in a subprocess."""
    flags = [a for a in args if a == "-m"]
    rest = [a for a in args if a != "-m"]
    return subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", *flags, *(TINY if tiny else []),
         *rest, "hydra.callbacks.compare.plots=false"],
        cwd=user_dir, env=_env(user_dir), capture_output=True, text=True, timeout=300,
    )


# -- 1. transactional run folders ------------------------------------------------------


def test_a_rerun_that_fails_early_is_recorded_as_failed(user_dir: Path) -> None:
    """Reproduction: rerun a sweep into its folder with an override that fails before
    the engine; the old summary said completed and the sweep exited 0."""
    sweep = user_dir / "sweep"
    first = loopsim(user_dir, "-m", "seed=0,1", f"hydra.sweep.dir={sweep}")
    assert first.returncode == 0, first.stderr
    again = loopsim(user_dir, "-m", "seed=0,1", "world.n_factors=0", f"hydra.sweep.dir={sweep}")
    assert again.returncode == 1, again.stderr
    for job in ("0", "1"):
        summary = read_summary(sweep / job)
        assert summary is not None and summary["status"] == "failed"
        assert summary["config"]["world"]["n_factors"] == 0
        assert not (sweep / job / "metrics.parquet").exists()
        assert (sweep / job / "previous.metrics.parquet").exists()  # moved aside, not lost
    assert "2 run(s) of the sweep failed" in again.stderr


def test_a_second_run_into_a_locked_folder_is_refused(user_dir: Path) -> None:
    """Reproduction: two runs into one hydra.run.dir mixed their outputs."""
    run = user_dir / "run"
    with lock_run_folder(run):
        proc = loopsim(user_dir, f"hydra.run.dir={run}")
    assert proc.returncode == 1
    assert "is in use by another loopsim run" in proc.stderr
    assert f"process {os.getpid()}" in proc.stderr
    assert not (run / "summary.json").exists()
    ok = loopsim(user_dir, f"hydra.run.dir={run}")  # the lock went with its holder
    assert ok.returncode == 0, ok.stderr
    assert not (run / LOCK_FILE).exists()  # no lock file outlives its run
    log = run / "run.log"
    assert log.is_file() and "impressions in" in log.read_text()  # never an empty log


def test_two_runs_at_once_leave_one_consistent_folder(user_dir: Path) -> None:
    """Two concurrent runs with different seeds: one is refused, the other is whole."""
    run = user_dir / "run"
    cmd = [sys.executable, "-m", "loopsim.experiments.cli.run", *TINY, "horizon=20",
           f"hydra.run.dir={run}"]
    procs = [subprocess.Popen([*cmd, f"seed={s}"], cwd=user_dir, env=_env(user_dir),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for s in (1, 2)]
    codes = sorted(p.wait(timeout=300) for p in procs)
    summary = read_summary(run)
    assert summary is not None
    if codes == [0, 1]:  # they overlapped: one was refused
        seed = summary["seed"]
        assert pl.read_parquet(run / "metrics.parquet")["seed"].unique().to_list() == [seed]
    else:  # one ran after the other: the later run's outputs, the earlier moved aside
        assert codes == [0, 0]
    assert compare([run], plots=False).runs["status"].to_list() == ["completed"]


def test_corrupt_outputs_are_named_by_compare_and_rerun_by_resume(user_dir: Path) -> None:
    """Reproduction: a truncated metrics.parquet crashed loopsim-compare and resume
    skipped the run."""
    sweep = user_dir / "sweep"
    assert loopsim(user_dir, "-m", "seed=0,1", f"hydra.sweep.dir={sweep}").returncode == 0
    metrics = sweep / "1" / "metrics.parquet"
    metrics.write_bytes(metrics.read_bytes()[:-10])
    result = compare([sweep], plots=False)
    row = result.runs.filter(pl.col("run").str.ends_with("/1")).row(0, named=True)
    assert row["status"] == "failed"
    assert str(metrics) in row["reason"] and "bytes" in row["reason"]
    proc = subprocess.run([sys.executable, "-m", "loopsim.experiments.compare.cli", str(sweep),
                           "--no-plots"], cwd=user_dir, env=_env(user_dir),
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr
    again = loopsim(user_dir, "-m", "seed=0,1", f"hydra.sweep.dir={sweep}", "resume=true")
    assert again.returncode == 0, again.stderr
    assert "already complete" in again.stdout and "rerun (resume=true)" in again.stderr
    assert str(metrics) in again.stderr
    assert pl.read_parquet(metrics).height > 0


# -- 4. failures keep what was recorded and name where ---------------------------------


def test_policy_metrics_of_the_wrong_type_keeps_metrics_and_names_it(user_dir: Path) -> None:
    """Reproduction: policy_metrics() returning a string on day 2 lost metrics.parquet,
    and a policy given by _target_ was called "popularity"."""
    run = user_dir / "run"
    proc = loopsim(user_dir, "policy=custom", "policy._target_=my_policies.MetricsOnDay",
                   f"hydra.run.dir={run}")
    assert proc.returncode == 1
    assert "Policy MetricsOnDay: policy_metrics() at t=2.0000 days returned str" in proc.stderr
    summary = read_summary(run)
    assert summary is not None and summary["policy"] == "MetricsOnDay"
    assert summary["error"]["t"] == pytest.approx(2.0)
    assert pl.read_parquet(run / "metrics.parquet")["t"].unique().to_list() == [1.0]


def test_system_exit_in_update_does_not_end_the_sweep(user_dir: Path) -> None:
    """Reproduction: SystemExit(0) in update() ended the whole sweep with exit 0."""
    sweep = user_dir / "sweep"
    proc = loopsim(user_dir, "-m", "policy=custom", "policy._target_=my_policies.ExitInUpdate,"
                   "my_policies.Popularity", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 1
    bad, ok = read_summary(sweep / "0"), read_summary(sweep / "1")
    assert bad is not None and bad["status"] == "failed"
    assert "Policy ExitInUpdate raised SystemExit in update() at t=" in bad["error"]["message"]
    assert ok is not None and ok["status"] == "completed"


def test_item_scores_failure_is_named_with_its_time(user_dir: Path) -> None:
    run = user_dir / "run"
    proc = loopsim(user_dir, "policy=custom", "policy._target_=my_policies.BadScores",
                   f"hydra.run.dir={run}")
    assert proc.returncode == 1
    assert "Policy BadScores raised KeyError in item_scores() at t=1.0000 days" in proc.stderr


# -- 5. signals -------------------------------------------------------------------------


def test_sigterm_records_the_running_job_and_compares(user_dir: Path) -> None:
    """Reproduction: SIGTERM left the running job without outputs and skipped compare."""
    sweep = user_dir / "sweep"
    proc = subprocess.Popen(
        [sys.executable, "-m", "loopsim.experiments.cli.run", "-m", *TINY, "horizon=50",
         "policy=custom", "policy._target_=my_policies.Slow", "seed=0,1",
         f"hydra.sweep.dir={sweep}",
         "hydra.callbacks.compare.plots=false"],
        cwd=user_dir, env=_env(user_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    _wait_running(proc, user_dir, sweep / "0")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    summary = read_summary(sweep / "0")
    assert summary is not None and summary["status"] == "failed"
    assert summary["error"]["type"] == "Terminated"
    assert (sweep / "0" / "metrics.parquet").exists()
    assert "Comparison of" in out


def test_sigterm_before_the_run_starts_still_records_the_job(user_dir: Path) -> None:
    """Reproduction: a SIGTERM that met the job after it locked its folder but before the
    run was inside the loop (its child still starting, as on a loaded machine) left the
    folder with no summary: neither failed nor complete."""
    sweep = user_dir / "sweep"
    proc = subprocess.Popen(
        [sys.executable, "-m", "loopsim.experiments.cli.run", "-m", *TINY, "horizon=50",
         "policy=custom", "policy._target_=my_policies.Slow", "seed=0,1",
         f"hydra.sweep.dir={sweep}", "hydra.callbacks.compare.plots=false"],
        cwd=user_dir, env=_env(user_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    deadline = time.monotonic() + 120
    lock = sweep / "0" / LOCK_FILE
    while not (lock.exists() and lock.read_text().strip()):  # held: its process id written
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    summary = read_summary(sweep / "0")
    assert summary is not None and summary["status"] == "failed", err
    assert summary["error"]["type"] == "Terminated"


# -- 6. small leaks ---------------------------------------------------------------------


def test_outputs_respect_the_umask(user_dir: Path) -> None:
    """Reproduction: outputs were 0600 whatever the umask."""
    run = user_dir / "run"
    old = os.umask(0o022)
    try:
        assert loopsim(user_dir, f"hydra.run.dir={run}").returncode == 0
    finally:
        os.umask(old)
    for name in ("metrics.parquet", "items.parquet", "summary.json"):
        assert (run / name).stat().st_mode & 0o777 == 0o644, name


def test_request_users_are_read_only(user_dir: Path) -> None:
    """Reproduction: mutating request.users silently re-labelled the log."""
    run = user_dir / "run"
    proc = loopsim(user_dir, "policy=custom", "policy._target_=my_policies.Relabel",
                   f"hydra.run.dir={run}")
    assert proc.returncode == 1
    assert "Policy Relabel raised ValueError in rank() at t=" in proc.stderr
    assert "read-only" in proc.stderr


def test_a_label_cannot_climb_out_of_the_sweep_folder(user_dir: Path) -> None:
    """Reproduction: with subdir=${hydra.job.override_dirname}, label=../../x wrote
    outside the sweep folder."""
    sweep = user_dir / "a" / "b" / "sweep"
    proc = loopsim(user_dir, "-m", "label=../../../../x", f"hydra.sweep.dir={sweep}",
                   "hydra.sweep.subdir=${hydra.job.override_dirname}")
    assert proc.returncode == 2
    assert "hold `..`" in proc.stderr
    assert not [p for p in user_dir.rglob("*") if p.is_dir()]  # refused before any folder
    safe = loopsim(user_dir, "-m", "label=mine", f"hydra.sweep.dir={sweep}",
                   "hydra.sweep.subdir=${hydra.job.override_dirname}")
    assert safe.returncode == 0, safe.stderr


def test_a_sweep_with_the_default_subdir_raises_no_callback_warning(user_dir: Path) -> None:
    """The start-of-sweep check reads ``hydra.sweep.subdir`` unresolved: the default
    ``${hydra.job.num}`` has no value yet, and resolving it was a warning in every sweep."""
    proc = loopsim(user_dir, "-m", "label=mine", f"hydra.sweep.dir={user_dir / 'sweep'}")
    assert proc.returncode == 0, proc.stderr
    assert "on_multirun_start raised" not in proc.stderr


def test_check_inside_refuses_a_job_folder_outside_its_sweep(tmp_path: Path) -> None:
    """The last guard, in the job itself (any subdir pattern)."""
    check_inside(tmp_path / "s" / "0", tmp_path / "s")
    with pytest.raises(ConfigError, match="lies outside the sweep folder"):
        check_inside(tmp_path / "s" / ".." / "x", tmp_path / "s")


def test_global_random_use_is_warned_in_the_summary(user_dir: Path) -> None:
    run = user_dir / "run"
    proc = loopsim(user_dir, "policy=custom", "policy._target_=my_policies.GlobalRandom",
                   f"hydra.run.dir={run}")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((run / "summary.json").read_text())
    assert len(summary["warnings"]) == 2
    assert "numpy.random" in summary["warnings"][0] and "request.rng" in summary["warnings"][0]
    assert "loopsim: warning: GlobalRandom" in proc.stderr
    clean = user_dir / "clean"
    assert loopsim(user_dir, f"hydra.run.dir={clean}").returncode == 0
    assert "warnings" not in json.loads((clean / "summary.json").read_text())


def _children(pid: int, launcher: str) -> list[int]:
    """The worker processes whose parent is ``pid``: joblib's (loky) interpreters, or the
    jobs loopsim's launcher forked (the same command line as their parent)."""
    mark = b"popen_loky" if launcher == "joblib" else b"loopsim.experiments.cli.run"
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and mark in cmdline:
            out.append(int(stat.parent.name))
    return out


def _wait_gone(pids: list[int], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while any(_running(p) for p in pids):
        assert time.monotonic() < deadline, "workers still running after their parent ended"
        time.sleep(0.2)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


#: The launchers whose workers are local processes: loopsim's own (the default) and joblib.
LOCAL_LAUNCHERS = ["loopsim", "joblib"]


def _needs(launcher: str) -> None:
    """Skip where ``launcher``'s plugin is not installed."""
    if launcher == "joblib":
        pytest.importorskip("hydra_plugins.hydra_joblib_launcher")


def _parallel_sweep(user_dir: Path, sweep: Path, launcher: str, *extra: str,
                    capture: bool) -> subprocess.Popen[str]:
    """Start a 4-job sweep of the ``Slow`` policy on ``launcher`` with 2 workers, in the
    background; ``capture``: pipe its stdout and stderr (text), otherwise discard them."""
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "loopsim.experiments.cli.run", "-m", *TINY, "horizon=50",
         f"hydra/launcher={launcher}", "hydra.launcher.n_jobs=2", "seed=0,1,2,3",
         "policy=custom", "policy._target_=my_policies.Slow", f"hydra.sweep.dir={sweep}",
         *extra],
        cwd=user_dir, env=_env(user_dir), stdout=out, stderr=out, text=True)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("launcher", LOCAL_LAUNCHERS)
def test_a_killed_parent_leaves_no_worker_writing(user_dir: Path, launcher: str) -> None:
    """Reproduction: after the parent was SIGKILLed, joblib's workers went on writing."""
    _needs(launcher)
    sweep = user_dir / "sweep"
    proc = _parallel_sweep(user_dir, sweep, launcher, capture=False)
    _wait_running(proc, user_dir, sweep / "0", sweep / "1")
    workers = _children(proc.pid, launcher)
    proc.kill()
    proc.wait()
    assert len(workers) == 2
    _wait_gone(workers)
    for job in ("0", "1"):
        summary = read_summary(sweep / job)
        assert summary is not None and summary["status"] == "failed"
        assert summary["error"]["message"] == "the sweep's parent process is gone"
    assert not (sweep / "2").exists() and not (sweep / "3").exists()


@pytest.mark.parametrize("launcher", LOCAL_LAUNCHERS)
def test_sigterm_to_a_parallel_sweep_lets_its_workers_record(user_dir: Path,
                                                            launcher: str) -> None:
    """SIGTERM to the parent of a parallel sweep: each running job records itself."""
    _needs(launcher)
    sweep = user_dir / "sweep"
    proc = _parallel_sweep(user_dir, sweep, launcher, "hydra.callbacks.compare.plots=false",
                           capture=True)
    _wait_running(proc, user_dir, sweep / "0", sweep / "1")
    workers = _children(proc.pid, launcher)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert len(workers) == 2
    _wait_gone(workers, 5.0)
    for job in ("0", "1"):
        summary = read_summary(sweep / job)
        assert summary is not None and summary["status"] == "failed"
        assert summary["error"] == {"type": "Terminated", "message": "stopped by SIGTERM",
                                    "t": summary["error"]["t"]}
    assert "2 failed, 2 missing" in out


def test_ctrl_c_in_a_single_run_records_it_and_exits_130(user_dir: Path) -> None:
    run = user_dir / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "loopsim.experiments.cli.run", *TINY, "horizon=50",
         "policy=custom", "policy._target_=my_policies.Slow", f"hydra.run.dir={run}"],
        cwd=user_dir, env=_env(user_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_running(proc, user_dir, run)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    summary = read_summary(run)
    assert summary is not None and summary["status"] == "failed"
    assert summary["error"]["type"] == "KeyboardInterrupt" and summary["error"]["t"] > 0
    assert "loopsim: interrupted" in err
