"""A run folder holds the outputs of exactly one run.

* :func:`lock_run_folder` -- an exclusive ``flock`` on ``<run>/.loopsim.lock`` (opened
  without following a symlink, and only if it is a regular file) for as long as the run
  writes; a second run into a locked folder is refused with
  :class:`RunFolderBusy`. The operating system drops the lock when the process ends,
  however it ends (SIGKILL included), so a stale lock never blocks a rerun; the lock
  file itself is removed when the run ends, so none is left behind.
* :func:`move_aside` -- before a run starts, the outputs of the previous run in the
  folder are renamed ``previous.<name>`` (one generation is kept), so no old file can
  be read as this run's.
* :func:`check_inside` -- a job folder must lie inside its sweep folder (a label or an
  override holding ``..`` cannot write elsewhere); :func:`escaping_overrides` finds
  such overrides before a sweep starts.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loopsim.simulator.errors import ConfigError, LoopsimError
from loopsim.simulator.io.impression_log import IMPRESSIONS_DIR
from loopsim.simulator.io.results import ITEMS_FILE, METRICS_FILE, SUMMARY_FILE
from loopsim.simulator.io.safe_paths import open_lock_file

__all__ = ["LOCK_FILE", "OUTPUTS", "RunFolderBusy", "check_inside", "escaping_overrides",
           "lock_run_folder", "move_aside"]

#: The lock file of a run folder.
LOCK_FILE = ".loopsim.lock"
#: Everything a run writes into its folder (``error.txt`` is named in faults.py).
OUTPUTS = (METRICS_FILE, ITEMS_FILE, SUMMARY_FILE, "error.txt", IMPRESSIONS_DIR)
#: Prefix of the previous run's outputs, moved aside.
PREVIOUS = "previous."


class RunFolderBusy(LoopsimError):
    """Another process is running into the same run folder."""


@contextmanager
def lock_run_folder(run_dir: str | Path) -> Iterator[Path]:
    """Hold the run folder's lock for the ``with`` block.

    Raises:
        RunFolderBusy: Another process holds it; the message names the folder and the
            process id written in the lock file.
    """
    out = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    lock = out / LOCK_FILE
    while True:
        fd = open_lock_file(lock)  # no symlink followed, a regular file only
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise RunFolderBusy(
                f"{out} is in use by another loopsim run (process {holder}): two runs into "
                "one folder would mix their outputs. Wait for it to end, or give this run "
                "its own folder (hydra.run.dir=... or hydra.sweep.dir=...)."
            ) from None
        try:  # the holder before us removed the file as we opened it: lock the new one
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield out
    finally:
        # Removed while still held, so no lock file outlives the run; a run that dies
        # without this (SIGKILL) leaves one whose lock the system has already dropped.
        try:
            os.unlink(lock)
        except FileNotFoundError:
            pass
        os.close(fd)  # closing drops the lock


def move_aside(run_dir: str | Path) -> list[str]:
    """Rename the outputs of a previous run to ``previous.<name>``; return their names.

    Call it with the folder locked. An older ``previous.<name>`` is replaced.
    """
    out = Path(run_dir)
    moved = []
    for name in OUTPUTS:
        path = out / name
        if not path.exists():
            continue
        target = out / f"{PREVIOUS}{name}"
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        os.replace(path, target)
        moved.append(name)
    return moved


def check_inside(run_dir: str | Path, sweep_dir: str | Path) -> None:
    """Raise :class:`ConfigError` unless ``run_dir`` lies inside ``sweep_dir``."""
    run, sweep = Path(run_dir).resolve(), Path(sweep_dir).resolve()
    if run != sweep and sweep not in run.parents:
        raise ConfigError(
            f"the job folder {run} lies outside the sweep folder {sweep} (hydra.sweep.subdir "
            "names it from a label or an override that is an absolute path or holds `..`): "
            "use values without `/..` or a leading `/`, or the default hydra.sweep.subdir "
            "(the job number)."
        )


def escaping_overrides(overrides: list[str]) -> list[str]:
    """Overrides whose value holds a ``..`` path component (it would climb out of a
    job folder named by ``hydra.job.override_dirname``)."""
    bad = []
    for item in overrides:
        _, sep, value = item.partition("=")
        parts = value.replace("\\", "/").replace(",", "/").split("/")
        if sep and any(p.strip(" '\"[]()") == ".." for p in parts):
            bad.append(item)
    return bad
