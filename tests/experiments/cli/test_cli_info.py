"""``loopsim --version``, ``loopsim --help`` and ``loopsim init``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from loopsim.experiments.cli.info import handle_info_command, version_text
from loopsim.experiments.cli.run import CONF_DIR

import loopsim

HELP = Path(CONF_DIR) / "hydra" / "help" / "loopsim.yaml"


def test_version_names_loopsim_and_its_key_dependencies() -> None:
    text = version_text()
    assert text.splitlines()[0] == f"loopsim {loopsim.__version__}"
    for name in ("numpy", "polars", "simpy", "hydra-core"):
        assert f"  {name} " in text


def test_version_is_answered_before_hydra(capsys: pytest.CaptureFixture[str]) -> None:
    assert handle_info_command(["--version"])
    assert capsys.readouterr().out.startswith("loopsim ")
    assert not handle_info_command(["policy=ctr"])


def test_version_into_a_closed_pipe_ends_quietly() -> None:
    """``loopsim --version | grep -q loopsim``: the reader may close the pipe before the
    last line is written; the command ends with 0 and no traceback (CI met it)."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    try:
        done = subprocess.run([sys.executable, "-c",
                               "from loopsim.experiments.cli.run import cli; cli()",
                               "--version"],
                              stdout=write, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def _groups(folder: Path, prefix: str = "") -> set[str]:
    found = set()
    for sub in folder.iterdir():
        if sub.is_dir() and sub.name not in ("hydra", "__pycache__"):
            found.add(prefix + sub.name)
            found |= _groups(sub, f"{prefix}{sub.name}/")
    return found


def test_help_describes_every_config_group_on_one_line() -> None:
    template = yaml.safe_load(HELP.read_text())["template"]
    described = {line.split()[0] for line in template.splitlines()
                 if line.startswith("  ") and not line.strip().startswith("loopsim")}
    assert _groups(Path(CONF_DIR)) <= described


def test_help_starts_with_loopsim_not_hydra() -> None:
    out = subprocess.run([sys.executable, "-m", "loopsim.experiments.cli.run", "--help"],
                         capture_output=True, text=True, timeout=120).stdout
    assert out.startswith("loopsim: a recommender feedback-loop simulator.")
    assert "policy/selector: " in out  # Hydra's list of options follows


def test_init_writes_the_examples_and_refuses_a_folder_in_use(tmp_path: Path) -> None:
    dest = tmp_path / "study"
    assert handle_info_command(["init", str(dest)])
    for name in ("fading_popularity.py", "forgetful_ctr.py", "hits_world.py",
                 "conf/policy/fading_popularity.yaml", "conf/world/hits.yaml"):
        assert (dest / name).is_file(), name
    assert not (dest / "__init__.py").exists()
    with pytest.raises(SystemExit) as stop:
        handle_info_command(["init", str(dest)])
    assert stop.value.code == 2
