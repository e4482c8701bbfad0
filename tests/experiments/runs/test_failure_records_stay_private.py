"""A failure record is never more readable than the input files its message may quote."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from loopsim.experiments.runs.faults import input_files_mask, record_failure
from loopsim.simulator.errors import DataError
from omegaconf import OmegaConf


def test_a_private_ratings_file_keeps_the_failure_record_private(tmp_path: Path) -> None:
    secret = tmp_path / "ratings.csv"
    secret.write_text("userId,movieId,rating,timestamp\nsecret line\n")
    secret.chmod(0o600)
    cfg = OmegaConf.create({"seed": 0, "world": {"path": str(secret)}})
    assert input_files_mask(cfg) == 0o600
    old = os.umask(0o022)
    try:
        record_failure(tmp_path / "run", cfg, "p", DataError(f"{secret}, line 2: 'secret line'"))
    finally:
        os.umask(old)
    for name in ("summary.json", "error.txt"):
        mode = stat.S_IMODE((tmp_path / "run" / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))


def test_a_readable_input_leaves_the_umask_alone(tmp_path: Path) -> None:
    shared = tmp_path / "ratings.csv"
    shared.write_text("x")
    shared.chmod(0o644)
    assert input_files_mask(OmegaConf.create({"history_path": str(shared)})) == 0o666
