"""Malformed ratings files are refused before a world is calibrated (hypothesis).

Each mutation makes a valid MovieLens-style file invalid (a rating off the scale such as
-1000 or 1e308, a non-number, a missing or extra field, a non-integer id, a wrong header,
an empty file, a repeated (user, item) pair); :func:`read_ratings` must raise a
:class:`DataError` naming the file (and the line where there is one). Arbitrary bytes
must give a ``DataError`` or ratings that are all finite and on the scale, never another
exception.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopsim.simulator.errors import DataError
from loopsim.simulator.world.ratings_io import MOVIELENS_SCALE, read_ratings

HEADER = "userId,movieId,rating,timestamp"
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Ratings no MovieLens file holds, and text that is no rating.
OFF_SCALE = ["-1000", "1e308", "-1e308", "5.5", "0", "0.49", "100", "-0.5"]
NOT_A_NUMBER = ["nan", "inf", "-inf", "abc", "", "4,5", "1e999"]
BAD_IDS = ["1.5", "x", "", "1e3", "--1"]


@st.composite
def valid_rows(draw: st.DrawFn) -> list[list[str]]:
    """Distinct (user, item) pairs with half-star ratings on the MovieLens scale."""
    pairs = draw(st.lists(st.tuples(st.integers(1, 50), st.integers(1, 80)), min_size=2,
                          max_size=40, unique=True))
    stars = draw(st.lists(st.integers(1, 10), min_size=len(pairs), max_size=len(pairs)))
    return [[str(u), str(i), str(s / 2), str(1000 + n)]
            for n, ((u, i), s) in enumerate(zip(pairs, stars, strict=True))]


def render(rows: list[list[str]], sep: str) -> str:
    body = "\n".join(sep.join(r) for r in rows) + "\n"
    return (HEADER + "\n" + body) if sep == "," else body


@st.composite
def malformed(draw: st.DrawFn) -> tuple[str, str]:
    """``(text, what)``: a file with exactly one kind of defect."""
    rows = draw(valid_rows())
    sep = draw(st.sampled_from([",", "\t"]))
    row = draw(st.integers(0, len(rows) - 1))
    kind = draw(st.sampled_from(["off_scale", "not_a_number", "bad_id", "fields", "header",
                                 "empty", "only_header", "repeat"]))
    if kind == "off_scale":
        rows[row][2] = draw(st.sampled_from(OFF_SCALE))
    elif kind == "not_a_number":
        value = draw(st.sampled_from(NOT_A_NUMBER))
        rows[row][2] = value.replace(",", sep) if sep == "," else value
    elif kind == "bad_id":
        rows[row][draw(st.sampled_from([0, 1, 3]))] = draw(st.sampled_from(BAD_IDS))
    elif kind == "fields":
        rows[row] = rows[row][:-1] if draw(st.booleans()) else [*rows[row], "7"]
    elif kind == "header":
        return "user,item,rating,timestamp\n" + render(rows, ",").split("\n", 1)[1], kind
    elif kind == "empty":
        return "", kind
    elif kind == "only_header":
        return HEADER + "\n", kind
    elif kind == "repeat":
        rows.append(list(rows[row]))
    return render(rows, sep), kind


def test_valid_files_are_read() -> None:
    """The fuzz can fail: an intact file of each format is read."""
    with tempfile.TemporaryDirectory() as tmp:
        for sep in (",", "\t"):
            path = Path(tmp) / "r.txt"
            path.write_text(render([["1", "2", "4.5", "9"], ["2", "2", "0.5", "9"]], sep))
            np.testing.assert_array_equal(read_ratings(path).rating, [4.5, 0.5])


@SETTINGS
@given(case=malformed())
def test_malformed_ratings_are_refused(case: tuple[str, str]) -> None:
    text, _ = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ratings.txt"
        path.write_text(text)
        with pytest.raises(DataError, match=r"ratings\.txt"):
            read_ratings(path)


@pytest.mark.parametrize("value", ["-1000", "1e308"])
def test_one_outlier_names_its_line_and_the_fix(tmp_path: Path, value: str) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(f"{HEADER}\n1,10,4.0,100\n2,10,{value},101\n3,11,3,102\n")
    with pytest.raises(DataError, match=rf"ratings\.csv, line 3: rating '{value}' is outside "
                                        r"the rating scale \[0\.5, 5\].*world\.rating_min"):
        read_ratings(path)
    assert len(read_ratings(path, scale=(-1e309, 1e309))) == 3  # a declared scale admits it


@SETTINGS
@given(data=st.binary(max_size=300), text=st.text(max_size=200))
def test_arbitrary_bytes_give_a_data_error_or_sane_ratings(data: bytes, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for content in (data, text.encode("utf-8", "surrogatepass")):
            path = Path(tmp) / "ratings.txt"
            path.write_bytes(content)
            try:
                ratings = read_ratings(path)
            except DataError:
                continue
            low, high = MOVIELENS_SCALE
            assert len(ratings) > 0
            assert np.all((ratings.rating >= low) & (ratings.rating <= high))


def test_loopsim_refuses_an_outlier_in_one_line(tmp_path: Path) -> None:
    """The command: a ratings world from a file with one row of 1e308 is not built."""
    path = tmp_path / "ratings.csv"
    rows = [f"{u},{i},{1 + (u * i) % 5},{u}" for u in range(1, 8) for i in range(1, 6)]
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n4,9,1e308,5\n")
    done = subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", "world=ratings",
         f"world.path={path}", "horizon=1", "slate_size=3", "progress=false",
         f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "line 37: rating '1e308' is outside" in lines[0], done.stderr
