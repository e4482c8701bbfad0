"""One progress line for a sweep; quiet jobs; clean run folders."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from loopsim.experiments.cli import sweep_progress
from loopsim.experiments.cli.sweep_progress import (
    SweepLine,
    SweepProgressCallback,
    quiet_in_sweep,
)
from loopsim.experiments.runs import plan
from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parents[3]
TINY = ["horizon=3", "world.n_users=100", "world.n_items=60", "quality_sessions_per_day=50",
        "world.seed=0"]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_log_each_finished_run_writes_one_line():
    log = io.StringIO()
    line = SweepLine(3, stream=log)
    line.draw()  # no redraw in a log
    line.run_done("ctr seed=0", True)
    line.run_done("ctr seed=1", False, "ValueError: boom")
    line.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 3 and "\r" not in log.getvalue()
    assert lines[0].startswith("[1/3] ctr seed=0: done; sweep: 1/3 runs done, 0 failed")
    assert "FAILED (ValueError: boom)" in lines[1] and "ETA" in lines[1]
    assert lines[2].startswith("sweep: 2/3 runs done, 1 failed")


def test_on_a_terminal_the_line_is_redrawn_and_failures_stay_above_it():
    tty = Tty()
    line = SweepLine(2, stream=tty)
    line.run_done("ctr seed=0", True)
    line.run_done("ctr seed=1", False, "ValueError: boom")
    line.close()
    text = tty.getvalue()
    assert text.count("\n") == 2  # the failure, and the end of the line
    assert "failed: ctr seed=1: ValueError: boom" in text
    assert text.rstrip().rsplit("\r", 1)[-1].startswith("sweep: 2/2 runs done, 1 failed")


def test_runs_already_complete_count_as_done_and_the_pace_is_the_runs_run(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(sweep_progress.time, "monotonic", lambda: clock[0])
    log = io.StringIO()
    line = SweepLine(4, stream=log)
    line.already_complete(3)
    clock[0] += 10.0
    line.run_done("ctr seed=3", True)
    clock[0] += 50.0  # the sweep's end, long after its last run: the clock has stopped
    line.close()
    lines = log.getvalue().splitlines()
    assert lines[0] == ("3 of 4 runs already complete, skipped (resume=true); "
                        "sweep: 3/4 runs done (3 already complete), 0 failed, 0s elapsed")
    assert lines[1] == ("[4/4] ctr seed=3: done; sweep: 4/4 runs done (3 already complete), "
                        "0 failed, 10.0 s/run, ETA 0s, 10s elapsed")
    assert lines[2] == ("sweep: 4/4 runs done (3 already complete), 0 failed, 10.0 s/run, "
                        "ETA 0s, 10s elapsed")


def _summary(folder: Path, policy: str, seed: int, status: str = "completed",
             age_s: float = 0.0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps({
        "status": status, "labels": {"policy": policy, "seed": seed},
        "final_metrics": {"regret_window": 0.25}}))
    if age_s:
        then = time.time() - age_s
        os.utime(folder / "summary.json", (then, then))


def test_the_callback_counts_the_runs_the_sweeper_says_resume_skips(tmp_path: Path, capsys):
    old = tmp_path / "0"
    _summary(old, "ctr", 0, age_s=3600)  # complete before the sweep: resume=true skips it
    _summary(tmp_path / "7", "ctr", 9, age_s=3600)  # an older sweep's, not this one's
    callback = SweepProgressCallback()
    callback.on_multirun_start(OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}}}))
    try:
        plan.announce(2, {old.resolve()})  # as loopsim's sweeper does before the launch
        time.sleep(1.5 * sweep_progress.POLL_S)
        _summary(tmp_path / "1", "ctr", 1, "failed")
        time.sleep(1.5 * sweep_progress.POLL_S)
    finally:
        callback.on_multirun_end(OmegaConf.create({}))
    err = capsys.readouterr().err
    assert "1 of 2 runs already complete, skipped (resume=true)" in err
    assert "[2/2] ctr seed=1: FAILED" in err
    assert err.splitlines()[-1].startswith("sweep: 2/2 runs done (1 already complete), 1 failed")
    assert plan.current().total == 2


def test_jobs_of_a_sweep_draw_no_bar_unless_asked():
    assert quiet_in_sweep(None, multirun=True) is False
    assert quiet_in_sweep(True, multirun=True) is True
    assert quiet_in_sweep(None, multirun=False) is None


def test_a_joblib_sweep_draws_one_line_and_leaves_clean_folders(tmp_path: Path):
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "loopsim.experiments.cli.run", "-m", *TINY,
           "policy=ctr,random", "seed=0,1", "hydra/launcher=joblib",
           "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={out}"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[####" not in done.stderr and "[....." not in done.stderr  # no per-run bars
    assert "sweep: 4/4 runs done, 0 failed" in done.stderr
    progress = [x for x in done.stderr.splitlines() if "runs done" in x]
    assert len(progress) <= 5  # a few lines per run at most, in a log
    table = done.stdout.split("Comparison of 4 runs")[1].split("\n", 1)[1]
    table = table.split("Full table:")[0]  # the header line and the paths aside
    assert max(len(x) for x in table.splitlines()) <= 100
    for job in ("0", "1", "2", "3"):
        assert not (out / job / ".loopsim.lock").exists()
        for log in (out / job).glob("*.log"):
            assert log.stat().st_size > 0, log
    assert (out / "report.html").is_file()


@pytest.mark.slow
def test_a_submitit_sweep_draws_the_line_and_a_resumed_one_counts_complete_runs(
        tmp_path: Path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "loopsim.experiments.cli.run", "-m", *TINY,
           "policy=ctr,random", "seed=0,1", "hydra/launcher=submitit_local",
           "hydra.callbacks.compare.plots=false", f"hydra.sweep.dir={out}"]
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    progress = [x for x in done.stderr.splitlines() if "runs done" in x]
    assert len(progress) == 5, done.stderr  # one line per run, and the last
    assert progress[-1].startswith("sweep: 4/4 runs done, 0 failed")
    assert "Comparison of 4 runs (4 completed" in done.stdout

    shutil.rmtree(out / "3")
    again = subprocess.run([*cmd, "resume=true"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "3 of 4 runs already complete, skipped (resume=true)" in again.stderr
    assert "[4/4] random seed=1: done" in again.stderr
    assert again.stderr.splitlines()[-1].startswith(
        "sweep: 4/4 runs done (3 already complete), 0 failed")
