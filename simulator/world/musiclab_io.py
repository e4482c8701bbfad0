"""Reading the raw MusicLab download files (Salganik, Dodds & Watts 2006, Experiment 1).

The files are ``dynamics_downloads_download_w{W}_v1.txt``, ``W = 1..9``, as distributed
by their authors (worlds 1-8 social, world 9 independent). Lines starting with ``%`` are
comments; every other line is one download event, comma-separated, in time order::

    user id, world id, 48 columns of 0/1 (a 1 at the downloaded song), timestamp

A line with no 1 (a few exist) is kept as an event of no song and counted; a line with
two 1s, a world id other than the file's, a non-integer field or a wrong number of
fields raises :class:`~loopsim.simulator.errors.DataError` naming the file, the 1-based
line and the cause.

The files are licensed CC BY-NC-ND 4.0: loopsim reads them from a folder the user
gives and never copies them (nor ships anything derived song by song from them).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from loopsim.simulator.errors import DataError

#: Songs in every file (lexicographic order of their names, the same in every file).
N_SONGS = 48
#: World ids: 1-8 social influence, 9 independent.
SOCIAL_WORLDS = tuple(range(1, 9))
INDEPENDENT_WORLD = 9
FILE_PATTERN = "dynamics_downloads_download_w{world}_v1.txt"


@dataclass(frozen=True)
class WorldDownloads:
    """The download events of one world, in file (time) order.

    Attributes:
        world: The world id (1-8 social, 9 independent).
        user: ``(N,)`` int64 participant id of each event.
        song: ``(N,)`` int64 song index 0..47 of each event, ``-1`` on a line with no song.
        timestamp: ``(N,)`` the events' timestamps as text.
    """

    world: int
    user: np.ndarray
    song: np.ndarray
    timestamp: np.ndarray

    @property
    def downloads(self) -> np.ndarray:
        """``(48,)`` downloads per song (lines with no song ignored)."""
        return np.bincount(self.song[self.song >= 0], minlength=N_SONGS).astype(np.float64)

    @property
    def participants(self) -> np.ndarray:
        """Sorted ids of the participants with at least one download."""
        return np.unique(self.user[self.song >= 0])

    def per_participant(self) -> np.ndarray:
        """``(P, 48)`` downloads of each participant (rows in :attr:`participants` order)."""
        ok = self.song >= 0
        ids = self.participants
        out = np.zeros((ids.size, N_SONGS))
        np.add.at(out, (np.searchsorted(ids, self.user[ok]), self.song[ok]), 1.0)
        return out

    def downloads_of(self, participants: np.ndarray) -> np.ndarray:
        """``(48,)`` downloads per song of the events of ``participants`` (with repeats).

        A participant id given twice counts twice (what a bootstrap over participants
        needs).
        """
        ids, counts = np.unique(participants, return_counts=True)
        ok = self.song >= 0
        pos = np.searchsorted(ids, self.user[ok])
        pos = np.minimum(pos, ids.size - 1)
        hit = ids[pos] == self.user[ok]
        weights = np.where(hit, counts[pos], 0).astype(np.float64)
        return np.bincount(self.song[ok], weights=weights, minlength=N_SONGS)


@dataclass(frozen=True)
class MusicLabData:
    """Experiment 1: the eight social worlds and the independent world."""

    worlds: dict[int, WorldDownloads]

    @property
    def social(self) -> list[WorldDownloads]:
        """Worlds 1-8, in order."""
        return [self.worlds[w] for w in SOCIAL_WORLDS]

    @property
    def independent(self) -> WorldDownloads:
        """World 9."""
        return self.worlds[INDEPENDENT_WORLD]


def read_world(path: str | Path, world: int) -> WorldDownloads:
    """Read one download file, checking every line.

    Args:
        path: The file.
        world: The world id the file must hold (each line's second field).

    Raises:
        DataError: the file is missing or a line is malformed (file, line and cause).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file. The MusicLab folder must hold "
                        f"{FILE_PATTERN.format(world=world)} (see the data's README for "
                        "where to obtain the files).")
    users: list[int] = []
    songs: list[int] = []
    stamps: list[str] = []
    with path.open(encoding="utf-8", errors="strict") as f:
        try:
            for number, line in enumerate(f, start=1):
                text = line.strip()
                if not text or text.startswith("%"):
                    continue
                user, song, stamp = _parse(text, world, path, number)
                users.append(user)
                songs.append(song)
                stamps.append(stamp)
        except UnicodeDecodeError as e:
            raise DataError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start}).") from e
    if not users:
        raise DataError(f"{path}: no download line (only comments or blank lines).")
    arrays = (np.array(users, dtype=np.int64), np.array(songs, dtype=np.int64),
              np.array(stamps, dtype=object))
    for a in arrays:
        a.flags.writeable = False       # shared by every reader of the cached folder
    return WorldDownloads(world, *arrays)


def _parse(text: str, world: int, path: Path, number: int) -> tuple[int, int, str]:
    fields = [x.strip() for x in text.split(",")]
    where = f"{path}, line {number}"
    if len(fields) != N_SONGS + 3:
        raise DataError(f"{where}: {len(fields)} comma-separated fields, expected "
                        f"{N_SONGS + 3} (user, world, {N_SONGS} songs, timestamp).")
    try:
        values = [int(x) for x in fields[: N_SONGS + 2]]
    except ValueError:
        bad = next(i for i, x in enumerate(fields[: N_SONGS + 2]) if not _is_int(x))
        raise DataError(f"{where}: field {bad + 1} is {fields[bad]!r}, expected an integer."
                        ) from None
    user, gid, flags = values[0], values[1], values[2:]
    if gid != world:
        raise DataError(f"{where}: world id {gid}, but the file is world {world}'s.")
    if any(v not in (0, 1) for v in flags):
        raise DataError(f"{where}: the song columns must be 0 or 1, got "
                        f"{sorted(set(flags) - {0, 1})}.")
    hits = [i for i, v in enumerate(flags) if v == 1]
    if len(hits) > 1:
        raise DataError(f"{where}: {len(hits)} songs marked downloaded (columns "
                        f"{[h + 3 for h in hits]}); a line is one download.")
    if not fields[-1]:
        raise DataError(f"{where}: the timestamp (last field) is empty.")
    return user, hits[0] if hits else -1, fields[-1]


def _is_int(x: str) -> bool:
    try:
        int(x)
    except ValueError:
        return False
    return True


def read_musiclab(data_dir: str | Path) -> MusicLabData:
    """Read the nine files of Experiment 1 from ``data_dir``.

    The result is cached per folder and the files' modification times (replicate runs
    in one process read the files once).

    Raises:
        DataError: a file is missing or malformed.
    """
    folder = Path(data_dir).expanduser().resolve()
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder. Give the folder holding the MusicLab "
                        f"download files ({FILE_PATTERN.format(world='1..9')}).")
    stamps = tuple(_mtime(folder / FILE_PATTERN.format(world=w))
                   for w in (*SOCIAL_WORLDS, INDEPENDENT_WORLD))
    return _read_folder(str(folder), stamps)


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.is_file() else -1.0


@functools.lru_cache(maxsize=4)
def _read_folder(folder: str, stamps: tuple[float, ...]) -> MusicLabData:
    worlds = {w: read_world(Path(folder) / FILE_PATTERN.format(world=w), w)
              for w in (*SOCIAL_WORLDS, INDEPENDENT_WORLD)}
    return MusicLabData(worlds)


__all__ = ["INDEPENDENT_WORLD", "N_SONGS", "SOCIAL_WORLDS", "MusicLabData", "WorldDownloads",
           "read_musiclab", "read_world"]
