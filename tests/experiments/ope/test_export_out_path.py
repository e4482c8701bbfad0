"""loopsim-export --out: no special file replaced, no existing output without --force."""

from __future__ import annotations

import os
from pathlib import Path

from loopsim.experiments.ope.export import main


def test_an_existing_out_needs_force(random_run: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "log.npz"
    out.write_text("mine")
    assert main([str(random_run), "--out", str(out)]) == 2
    assert "exists: give a new path, or --force to replace it" in capsys.readouterr().err
    assert out.read_text() == "mine"
    assert main([str(random_run), "--out", str(out), "--force"]) == 0
    assert out.stat().st_size > 4


def test_a_fifo_or_a_folder_as_out_is_refused(random_run: Path, tmp_path: Path, capsys) -> None:
    os.mkfifo(tmp_path / "pipe.npz")
    assert main([str(random_run), "--out", str(tmp_path / "pipe.npz"), "--force"]) == 2
    assert "is a fifo" in capsys.readouterr().err
    (tmp_path / "dir.npz").mkdir()
    assert main([str(random_run), "--out", str(tmp_path / "dir.npz"), "--force"]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_a_symlinked_out_is_refused(random_run: Path, tmp_path: Path, capsys) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "log.npz").symlink_to(victim)
    assert main([str(random_run), "--out", str(tmp_path / "log.npz"), "--force"]) == 2
    assert victim.read_text() == "precious"
