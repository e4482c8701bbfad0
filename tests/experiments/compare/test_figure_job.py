"""Figures drawn by a second process are the figures one process draws (SVG coordinates
within 1e-3, PNGs within a shade; element ids masked)."""

from __future__ import annotations

import logging
import re
import shutil
import sys
from pathlib import Path

import matplotlib
import matplotlib.image as mpimg
import numpy as np
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


NUMBER = re.compile(r"-?\d+\.\d+")


def _same_svg(ours: Path, theirs: Path) -> None:
    """The same SVG but for its creation date (it follows the clock), its element ids
    (older matplotlib, e.g. 3.8, derives clip-path ids from the process) and the last
    digits of coordinates (text layout caches carry over from a figure drawn before)."""
    a, b = (re.sub(r"\b[a-z][0-9a-f]{10}\b", "ID",
                   re.sub(r"<dc:date>.*?</dc:date>", "", p.read_text()))
            for p in (ours, theirs))
    assert NUMBER.sub("#", a) == NUMBER.sub("#", b), ours.name
    x = np.array([float(v) for v in NUMBER.findall(a)])
    y = np.array([float(v) for v in NUMBER.findall(b)])
    np.testing.assert_allclose(x, y, rtol=0, atol=1e-3, err_msg=ours.name)


def _same_png(ours: Path, theirs: Path) -> None:
    """The same image, within a shade on a few pixels (as for the SVG coordinates)."""
    a, b = mpimg.imread(ours), mpimg.imread(theirs)
    assert a.shape == b.shape, ours.name
    assert np.abs(a - b).mean() < 1e-3, ours.name


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
            _same_png(two / f.name, f)
        else:
            _same_svg(two / f.name, f)
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
    import loopsim.experiments.runs.cores as cores

    monkeypatch.setattr(cores.os, "sched_getaffinity", lambda _: {0})
    assert default_draw_workers() == 1
    monkeypatch.setattr(cores.os, "sched_getaffinity", lambda _: {0, 1})
    assert default_draw_workers() == 2


def test_usable_cores_falls_back_to_the_core_count(monkeypatch: pytest.MonkeyPatch):
    import loopsim.experiments.runs.cores as cores

    def no_affinity(_: int) -> set[int]:
        raise OSError("no affinity here")

    monkeypatch.setattr(cores.os, "sched_getaffinity", no_affinity)
    monkeypatch.setattr(cores.os, "cpu_count", lambda: 3)
    assert cores.usable_cores() == 3
    monkeypatch.setattr(cores.os, "cpu_count", lambda: None)
    assert cores.usable_cores() == 1
