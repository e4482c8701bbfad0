"""A job folder outside the sweep folder is refused before Hydra writes anything there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("label", ["ABS", "../escaped"])
def test_an_absolute_or_escaping_label_subdir_writes_nothing_outside(tmp_path: Path,
                                                                     label: str) -> None:
    outside = tmp_path / "outside"
    value = str(outside) if label == "ABS" else label
    sweep = tmp_path / "area" / "sweep"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", "-m", "horizon=2",
         "world.n_users=40", "world.n_items=20", "hydra.sweep.subdir=${label}",
         f"label={value},ok", f"hydra.sweep.dir={sweep}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert "lies outside the sweep folder" in proc.stderr or "hold `..`" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not outside.exists() and not (tmp_path / "area" / "escaped").exists()
    assert not list(tmp_path.rglob(".hydra")) and not list(tmp_path.rglob("run.log"))
