"""loopsim is one import root: a user's own ``experiments/`` or ``policies/`` never shadows it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _user_project(root: Path) -> Path:
    """A research folder with its own ``experiments``, ``policies`` and ``simulator``."""
    for name in ("experiments", "policies", "simulator", "conf"):
        pkg = root / name
        pkg.mkdir()
        (pkg / "__init__.py").write_text(f"MINE = {name!r}\n")
    (root / "experiments" / "run.py").write_text("raise RuntimeError('the user\\'s own')\n")
    return root


def _env(cwd: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(cwd), "HYDRA_FULL_ERROR": "1"}


def test_the_distribution_has_one_import_root() -> None:
    """Every module of the package lives under ``loopsim``."""
    import loopsim.conf
    import loopsim.experiments.cli.run
    import loopsim.policies
    import loopsim.simulator

    assert loopsim.__version__ != "0+unknown"
    for mod in (loopsim.simulator, loopsim.policies, loopsim.experiments, loopsim.conf):
        assert mod.__name__.startswith("loopsim.")


def test_user_packages_of_the_same_names_are_not_shadowed(tmp_path: Path) -> None:
    """Both the user's ``experiments`` and loopsim's import side by side."""
    cwd = _user_project(tmp_path)
    code = ("import experiments, policies, simulator; "
            "import loopsim.experiments.cli.run, loopsim.policies, loopsim.simulator; "
            "print(experiments.MINE, policies.MINE, simulator.MINE, "
            "loopsim.policies.Random.__module__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=_env(cwd),
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["experiments", "policies", "simulator",
                                  "loopsim.policies.builtin"]


@pytest.mark.parametrize("args", [["horizon=1", "world.n_users=100", "world.n_items=30"]])
def test_the_command_runs_inside_a_user_project(tmp_path: Path, args: list[str]) -> None:
    """``loopsim`` from a folder holding ``experiments/`` and ``conf/`` finds its own."""
    cwd = _user_project(tmp_path)
    run = subprocess.run([sys.executable, "-m", "loopsim.experiments.cli.run", *args,
                          "progress=false", f"hydra.run.dir={tmp_path / 'out'}"],
                         cwd=cwd, env=_env(cwd), capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "metrics.parquet").is_file()
