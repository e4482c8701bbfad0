"""The SVG copies written by a second process are the figures one process writes."""

from __future__ import annotations

import logging
import re
import shutil
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from loopsim.experiments.compare import svg_job
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
    """The same SVG but for its creation date and the last digits of coordinates (in one
    process the SVG is laid out after the PNG, at another resolution)."""
    a, b = (re.sub(r"#?\b[a-z][0-9a-f]{10}\b", "ID",  # ids hash the paths' coordinates
                   re.sub(r"<dc:date>.*?</dc:date>", "", p.read_text()))
            for p in (ours, theirs))
    assert NUMBER.sub("#", a) == NUMBER.sub("#", b), ours.name
    x = np.array([float(v) for v in NUMBER.findall(a)])
    y = np.array([float(v) for v in NUMBER.findall(b)])
    np.testing.assert_allclose(x, y, rtol=0, atol=0.01, err_msg=ours.name)


def test_two_processes_write_the_files_one_process_writes(two_sweeps: tuple[Path, Path]):
    one, two = two_sweeps
    with matplotlib.rc_context({"svg.hashsalt": "loopsim-test"}):  # ids drawn from the salt
        single = compare([one], draw_workers=1)
        double = compare([two], draw_workers=2)
    assert [f.name for f in double.files] == [f.name for f in single.files]
    svgs = [f for f in single.files if f.suffix == ".svg"]
    assert len(svgs) >= 4
    for f in svgs:
        _same_svg(two / f.name, f)
    for f in single.files:
        if f.suffix == ".png":
            assert (two / f.name).read_bytes() == f.read_bytes(), f.name
    assert not list(two.glob(".svg_job_*"))  # the hand-over file is removed


@pytest.mark.parametrize("python", ["/nonexistent/python", "/bin/false"])
def test_a_failed_second_process_leaves_the_svgs_to_this_one(
        two_sweeps: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, python: str):
    _, two = two_sweeps
    monkeypatch.setattr(sys, "executable", python)
    with caplog.at_level(logging.WARNING, logger=svg_job.__name__):
        result = compare([two], draw_workers=2)
    svgs = [f for f in result.files if f.suffix == ".svg"]
    assert svgs and all(f.read_text().lstrip().startswith("<?xml") for f in svgs)
    assert "second process" in caplog.text
    assert not list(two.glob(".svg_job_*"))


def test_two_workers_only_where_two_cores(monkeypatch: pytest.MonkeyPatch):
    import loopsim.experiments.compare.cli as cli

    monkeypatch.setattr(cli.os, "sched_getaffinity", lambda _: {0})
    assert default_draw_workers() == 1
    monkeypatch.setattr(cli.os, "sched_getaffinity", lambda _: {0, 1})
    assert default_draw_workers() == 2
