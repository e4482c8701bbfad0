"""What ``loopsim`` answers before Hydra starts: ``--version`` and ``init DIR``.

Hydra would answer ``--version`` with its own version; loopsim's users need loopsim's and
those of the libraries its results depend on (numpy and OpenBLAS decide floating-point
results; polars, SimPy and Hydra the outputs and the config).
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

__all__ = ["KEY_DEPENDENCIES", "handle_info_command", "version_text", "versions"]

#: The distributions whose versions ``loopsim --version`` prints after loopsim's own.
KEY_DEPENDENCIES = ("numpy", "scipy", "polars", "simpy", "hydra-core", "omegaconf",
                    "matplotlib")


def versions() -> dict[str, str]:
    """``{distribution: version}`` of loopsim, its key dependencies and Python."""
    found = {"loopsim": _version("loopsim")}
    found.update({name: _version(name) for name in KEY_DEPENDENCIES})
    found["python"] = platform.python_version()
    return found


def version_text() -> str:
    """The text of ``loopsim --version``: ``loopsim X`` then one dependency a line."""
    found = versions()
    lines = [f"loopsim {found.pop('loopsim')}"]
    lines += [f"  {name} {value}" for name, value in found.items()]
    return "\n".join(lines)


def handle_info_command(argv: Sequence[str]) -> bool:
    """Answer ``--version`` / ``-V`` or ``init DIR``; ``False`` when ``argv`` is a run.

    Args:
        argv: The command's arguments, without the program name.

    Raises:
        SystemExit: 2 for ``init`` without exactly one folder or into a non-empty one.
    """
    if list(argv) in (["--version"], ["-V"]):
        _print_to_a_pipe(version_text())
        return True
    if argv[:1] == ["init"]:
        _init(argv[1:])
        return True
    return False


def _print_to_a_pipe(text: str) -> None:
    """Print ``text``; a reader that stops early (``| head -1``, ``| grep -q``) ends the
    output quietly, as it does for other command-line tools, instead of a traceback."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at /dev/null first
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _init(args: Sequence[str]) -> None:
    from loopsim.examples import write_examples
    from loopsim.simulator.errors import ConfigError

    if len(args) != 1 or args[0].startswith("-"):
        print("usage: loopsim init DIR   (writes the example policy, estimator and world)",
              file=sys.stderr)
        raise SystemExit(2)
    try:
        written = write_examples(args[0])
    except ConfigError as exc:
        print(f"loopsim: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"wrote {len(written)} files into {args[0]}:")
    print("\n".join(f"  {path.as_posix()}" for path in written))
    print(f"next: cd {args[0]} && PYTHONPATH=. loopsim 'hydra.searchpath=[file://conf]' "
          "policy=fading_popularity horizon=10")


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"
