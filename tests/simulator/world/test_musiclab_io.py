"""The MusicLab download-file loader: hand-made files, and every way a line can be wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from loopsim.simulator.errors import DataError
from loopsim.simulator.world.musiclab_io import (
    FILE_PATTERN,
    N_SONGS,
    read_musiclab,
    read_world,
)

HEADER = "%This file stores the downloads.\n%the final column is creation timestamp\n"


def line(user: int, world: int, song: int | None, stamp: str = "2004-10-07 13:37:24") -> str:
    flags = ["0"] * N_SONGS
    if song is not None:
        flags[song] = "1"
    return ", ".join([str(user), str(world), *flags, stamp]) + "\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_events_in_order_and_counts_downloads(tmp_path: Path) -> None:
    f = write(tmp_path / "w.txt", HEADER + line(4, 1, 30) + line(9, 1, 26) + line(4, 1, 0)
              + line(7, 1, None))
    w = read_world(f, 1)
    assert w.user.tolist() == [4, 9, 4, 7]
    assert w.song.tolist() == [30, 26, 0, -1]
    assert w.downloads.sum() == 3 and w.downloads[30] == 1
    assert w.participants.tolist() == [4, 9]  # 7 has a line but no song
    per = w.per_participant()
    assert per.shape == (2, N_SONGS) and per[0, 0] == 1 and per[0, 30] == 1 and per[1, 26] == 1


def test_downloads_of_counts_a_repeated_participant_twice(tmp_path: Path) -> None:
    w = read_world(write(tmp_path / "w.txt", line(4, 1, 3) + line(9, 1, 5)), 1)
    d = w.downloads_of(np.array([4, 4, 12]))
    assert d[3] == 2 and d[5] == 0 and d.sum() == 2


@pytest.mark.parametrize(("bad", "cause"), [
    ("4, 1, 0, 2004\n", "fields, expected 51"),
    (line(4, 1, 3).replace("4, 1,", "x4, 1,", 1), "field 1 is 'x4', expected an integer"),
    (line(4, 2, 3), "world id 2, but the file is world 1's"),
    (line(4, 1, 3).replace(", 1, 0", ", 1, 2", 1), "must be 0 or 1"),
    (line(4, 1, 3).replace("0, 0, 0, 0", "1, 0, 0, 0", 1), "2 songs marked downloaded"),
    (line(4, 1, 3, stamp=""), "timestamp (last field) is empty"),
])
def test_a_malformed_line_names_the_file_the_line_and_the_cause(tmp_path: Path, bad: str,
                                                                 cause: str) -> None:
    f = write(tmp_path / "w.txt", HEADER + line(1, 1, 0) + bad)
    with pytest.raises(DataError, match="line 4") as info:
        read_world(f, 1)
    assert str(f) in str(info.value) and cause in str(info.value)


def test_a_file_without_events_or_missing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no download line"):
        read_world(write(tmp_path / "w.txt", HEADER), 1)
    with pytest.raises(DataError, match="no such file"):
        read_world(tmp_path / "absent.txt", 1)
    with pytest.raises(DataError, match="no such folder"):
        read_musiclab(tmp_path / "nowhere")


def test_a_folder_missing_one_world_names_the_file(tmp_path: Path) -> None:
    for w in range(1, 9):
        write(tmp_path / FILE_PATTERN.format(world=w), line(1, w, w))
    with pytest.raises(DataError, match=FILE_PATTERN.format(world=9)):
        read_musiclab(tmp_path)
    write(tmp_path / FILE_PATTERN.format(world=9), line(1, 9, 0) + line(2, 9, 1))
    data = read_musiclab(tmp_path)
    assert data.independent.downloads.sum() == 2 and len(data.social) == 8
