"""Figures drawn by a second process are the files one process writes."""

from __future__ import annotations

import logging
import re
import shutil
import sys
from pathlib import Path

import matplotlib
import pytest
from loopsim.experiments.compare import figure_job
from loopsim.experiments.compare.cli import compare, default_draw_workers

from tests.experiments.compare.test_compare import make_run


@pytest.fixture
def two_sweeps(tmp_path: Path) -> tuple[Path, Path]:
    """The same small sweep twice, to be compared by one process and by two."""
    d = tmp_path / "one"
    for i in range(3):
        make_run(d / str(i), "popularity", i, gini=(0.5, 0.9 + 0.02 * i),
                 regret=(0.3, 0.8 + 0.1 * i), clicks=(5, 0, 0, 1 + i))
        make_run(d / str(3 + i), "random", i, gini=(0.2, 0.1 + 0.05 * i),
                 regret=(1.0, 1.1 + 0.1 * i), clicks=(1, 1, 1, 1))
    shutil.copytree(d, tmp_path / "two")
    return d, tmp_path / "two"


def _svg(path: Path) -> str:
    """The SVG without its creation date (it follows the clock) and with its element ids
    masked (older matplotlib, e.g. 3.8, derives clip-path ids from the process)."""
    text = re.sub(r"<dc:date>.*?</dc:date>", "", path.read_text())
    return re.sub(r"\b[a-z][0-9a-f]{10}\b", "ID", text)


def test_two_processes_write_the_files_one_process_writes(two_sweeps: tuple[Path, Path]):
    one, two = two_sweeps
    with matplotlib.rc_context({"svg.hashsalt": "loopsim-test"}):  # ids drawn from the salt
        single = compare([one], draw_workers=1)
        double = compare([two], draw_workers=2)
    assert [f.name for f in double.files] == [f.name for f in single.files]
    drawn = [f for f in single.files if f.suffix in (".png", ".svg")]
    assert {f.stem for f in drawn} >= {"trajectories", "lorenz", "tradeoff"}
    for f in drawn:
        if f.suffix == ".png":
            assert (two / f.name).read_bytes() == f.read_bytes(), f.name
        else:
            assert _svg(two / f.name) == _svg(f), f.name
    assert set(double.figures) == set(single.figures) - set(figure_job.SECOND_PROCESS)
    assert not list(two.glob(".figure_job*"))  # the hand-over files are removed


@pytest.mark.parametrize("python", ["/nonexistent/python", "/bin/false"])
def test_a_failed_second_process_leaves_its_figures_to_this_one(
        two_sweeps: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, python: str):
    _, two = two_sweeps
    monkeypatch.setattr(sys, "executable", python)
    with caplog.at_level(logging.WARNING, logger=figure_job.__name__):
        result = compare([two], draw_workers=2)
    for name in figure_job.SECOND_PROCESS:
        assert two / f"{name}.png" in result.files
        assert (two / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    assert "second drawing process" in caplog.text
    assert not list(two.glob(".figure_job*"))


def test_two_workers_only_where_two_cores(monkeypatch: pytest.MonkeyPatch):
    import loopsim.experiments.compare.cli as cli

    monkeypatch.setattr(cli.os, "sched_getaffinity", lambda _: {0})
    assert default_draw_workers() == 1
    monkeypatch.setattr(cli.os, "sched_getaffinity", lambda _: {0, 1})
    assert default_draw_workers() == 2
