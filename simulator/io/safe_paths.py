"""Where loopsim writes, it writes regular files it owns: no symlink is followed, no
special file (device, fifo, socket) is replaced, and an existing file is replaced only
when the caller says so.

* :func:`check_output_target` -- before a file is written (or renamed into place).
* :func:`open_lock_file` -- opens (or creates) a lock file without following a symlink.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from loopsim.simulator.errors import UnsafePathError

__all__ = ["check_output_target", "describe_file_type", "open_lock_file"]


def describe_file_type(mode: int) -> str:
    """What an ``lstat`` mode is, in words (``"a symbolic link"``, ``"a fifo"``...)."""
    kinds = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
             (stat.S_ISFIFO, "a fifo (named pipe)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISREG, "a regular file"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def check_output_target(path: str | Path, *, replace: bool = True,
                        flag: str = "--force") -> None:
    """Refuse to write ``path`` unless it is absent or (with ``replace``) a regular file.

    Args:
        path: The file about to be written.
        replace: Whether an existing regular file may be replaced.
        flag: The option that allows replacing, named in the message.

    Raises:
        UnsafePathError: ``path`` is a symbolic link, a folder or a special file, or an
            existing file while ``replace`` is false.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise UnsafePathError(
            f"{path} is {describe_file_type(mode)}: loopsim writes only regular files it "
            "creates (it neither follows symbolic links nor replaces folders or special "
            "files). Give the path of a new file."
        )
    if not replace:
        raise UnsafePathError(f"{path} exists: give a new path, or {flag} to replace it.")


def open_lock_file(path: str | Path) -> int:
    """Open (creating it if missing) the lock file ``path`` for reading and writing.

    A symbolic link at ``path`` is never followed (``O_NOFOLLOW``) and anything but a
    regular file is refused, so a lock cannot truncate or write another file.

    Returns:
        The file descriptor (the caller closes it).

    Raises:
        UnsafePathError: ``path`` is a symbolic link or not a regular file.
    """
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NONBLOCK", 0)  # a fifo must not block the open
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            raise exc from None
        raise UnsafePathError(
            f"{path} is {describe_file_type(mode)}: the lock file of a run folder must be a "
            "regular file; remove it and rerun."
        ) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise UnsafePathError(
            f"{path} is {describe_file_type(mode)}: the lock file of a run folder must be a "
            "regular file; remove it and rerun."
        )
    return fd
