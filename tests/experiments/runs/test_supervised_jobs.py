"""A crashed, killed, os._exit-ing or KeyboardInterrupt-raising job is recorded as failed,
the rest of the sweep goes on, and resume=true finishes exactly the rest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from loopsim.experiments.runs.faults import read_summary

ROOT = Path(__file__).resolve().parents[3]
TINY = ["horizon=2", "world.n_users=40", "world.n_items=20", "hydra.callbacks.compare.plots=false"]

POLICY = '''
import os
import signal
from pathlib import Path

from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import ClickCount
from loopsim.policies.selectors import Greedy


class Bad(ComposedPolicy):
    """Popularity that misbehaves at day 1 unless the file `healed` exists."""

    def __init__(self, how: str = "none") -> None:
        super().__init__(ClickCount(), Greedy())
        self.how = how

    def rank(self, request):
        if request.t >= 1.0 and not Path("healed").exists():
            if self.how == "exit0":
                os._exit(0)
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.how == "kbd":
                raise KeyboardInterrupt
            if self.how == "killworker":
                os.kill(os.getppid(), signal.SIGKILL)
        return super().rank(request)
'''


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    (tmp_path / "bad_policy.py").write_text(POLICY)
    (tmp_path / "conf" / "policy").mkdir(parents=True)
    (tmp_path / "conf" / "policy" / "bad.yaml").write_text("_target_: bad_policy.Bad\nhow: none\n")
    return tmp_path


def loopsim(user_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{user_dir}{os.pathsep}{ROOT}"}
    env.pop("HYDRA_FULL_ERROR", None)
    flags = [a for a in args if a == "-m"]
    return subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", *flags, *TINY, "policy=bad",
         f"hydra.searchpath=[file://{user_dir}/conf]", *[a for a in args if a != "-m"]],
        cwd=user_dir, env=env, capture_output=True, text=True, timeout=600)


def test_a_single_run_that_calls_os_exit_0_exits_1_and_is_recorded(user_dir: Path) -> None:
    run = user_dir / "run"
    proc = loopsim(user_dir, "policy.how=exit0", f"hydra.run.dir={run}")
    assert proc.returncode == 1, proc.stderr
    assert ("loopsim: run failed: bad seed=0: the run's process ended with exit code 0 "
            "before it finished (os._exit() or a crash in the policy or a library)") in proc.stderr
    summary = read_summary(run)
    assert summary is not None and summary["status"] == "failed"
    assert summary["error"]["type"] == "RunAborted"


def test_killed_exiting_and_interrupting_jobs_fail_alone_and_resume_finishes_them(
        user_dir: Path) -> None:
    sweep = user_dir / "sweep"
    args = ("-m", "policy.how=kill,exit0,kbd,none", f"hydra.sweep.dir={sweep}")
    proc = loopsim(user_dir, *args)
    assert proc.returncode == 1, proc.stderr
    errors = {job: (read_summary(sweep / job) or {}).get("error") for job in "0123"}
    assert "killed by SIGKILL" in errors["0"]["message"]
    assert "exit code 0" in errors["1"]["message"]
    assert errors["2"]["type"] == "KeyboardInterrupt"
    assert errors["3"] is None and read_summary(sweep / "3")["status"] == "completed"
    (user_dir / "healed").write_text("")
    again = loopsim(user_dir, *args, "resume=true")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already complete") == 1
    assert all(read_summary(sweep / job)["status"] == "completed" for job in "0123")


def test_a_typo_in_a_resume_command_keeps_the_completed_runs(user_dir: Path) -> None:
    sweep = user_dir / "sweep"
    assert loopsim(user_dir, "-m", "seed=0,1", f"hydra.sweep.dir={sweep}").returncode == 0
    before = [(sweep / j / "summary.json").read_bytes() for j in "01"]
    proc = loopsim(user_dir, "-m", "seed=0,1", "world.n_factors=0", "resume=true",
                   f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 1
    assert "keeps its completed run (resume=true)" in proc.stderr
    assert [(sweep / j / "summary.json").read_bytes() for j in "01"] == before


@pytest.mark.slow
@pytest.mark.parametrize(("launcher", "death"), [("loopsim", "WorkerDied"),
                                                 ("joblib", "TerminatedWorkerError")])
def test_a_dead_worker_does_not_stop_the_sweep(user_dir: Path, launcher: str,
                                               death: str) -> None:
    """The job's own worker process is SIGKILLed (twice: each launch): that job is
    recorded failed, the others complete."""
    if launcher == "joblib":
        pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    sweep = user_dir / "sweep"
    proc = loopsim(user_dir, "-m", "policy.how=killworker,none", "seed=0,1",
                   f"hydra/launcher={launcher}", "hydra.launcher.n_jobs=2",
                   f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 1, proc.stderr
    assert f"a worker process of the sweep died ({death})" in proc.stderr
    assert death not in proc.stderr.replace(
        f"a worker process of the sweep died ({death})", "")
    status = {j: read_summary(sweep / j)["status"] for j in "0123"}
    assert status == {"0": "failed", "1": "failed", "2": "completed", "3": "completed"}
