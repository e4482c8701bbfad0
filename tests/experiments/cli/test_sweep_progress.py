"""One progress line for a sweep; quiet jobs; clean run folders."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from loopsim.experiments.cli.sweep_progress import SweepLine, quiet_in_sweep

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
