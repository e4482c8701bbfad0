"""Where loopsim writes, no symlink is followed and no special file is replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from loopsim.experiments.runs.folder import LOCK_FILE, lock_run_folder
from loopsim.simulator.errors import UnsafePathError
from loopsim.simulator.io.results import atomic_text
from loopsim.simulator.io.safe_paths import check_output_target


def test_the_lock_file_is_never_opened_through_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK_FILE).symlink_to(victim)
    with pytest.raises(UnsafePathError, match=r"\.loopsim\.lock is a symbolic link"):
        with lock_run_folder(run):
            pass
    assert victim.read_text() == "precious"


def test_a_fifo_as_lock_file_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / LOCK_FILE)
    with pytest.raises(UnsafePathError, match="is a fifo"):
        with lock_run_folder(tmp_path):
            pass


def test_atomic_writes_neither_follow_a_symlink_nor_replace_special_files(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "summary.json").symlink_to(victim)
    with pytest.raises(UnsafePathError, match="is a symbolic link"):
        atomic_text(tmp_path / "summary.json", "{}")
    assert victim.read_text() == "precious" and (tmp_path / "summary.json").is_symlink()
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(UnsafePathError, match="is a fifo"):
        atomic_text(tmp_path / "fifo", "x")
    (tmp_path / "folder").mkdir()
    with pytest.raises(UnsafePathError, match="is a folder"):
        atomic_text(tmp_path / "folder", "x")
    assert not list(tmp_path.glob(".*.tmp"))


def test_an_existing_file_is_replaced_only_when_allowed(tmp_path: Path) -> None:
    out = tmp_path / "out.npz"
    out.write_text("old")
    check_output_target(out)  # replace=True: fine
    with pytest.raises(UnsafePathError, match=r"exists: give a new path, or --force"):
        check_output_target(out, replace=False)


def test_a_device_is_refused() -> None:
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null")
    with pytest.raises(UnsafePathError, match="is a character device"):
        check_output_target("/dev/null")
