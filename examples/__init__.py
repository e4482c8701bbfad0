"""Examples shipped with loopsim: a custom policy, a custom estimator and a custom world.

They live in :mod:`loopsim.examples.custom_policy` and are written out, ready to edit,
by ``loopsim init DIR`` (:func:`write_examples`)::

    loopsim init my_study
    cd my_study
    PYTHONPATH=. loopsim 'hydra.searchpath=[file://conf]' policy=fading_popularity
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from loopsim.simulator.errors import ConfigError

__all__ = ["write_examples"]

#: Files of the package that are not part of the user's copy.
_SKIP = {"__init__.py", "__pycache__"}


def write_examples(dest: str | Path) -> list[Path]:
    """Copy the example policy, estimator, world and their configs into ``dest``.

    Args:
        dest: A folder that does not exist yet, or an empty one.

    Returns:
        The files written, relative to ``dest``.

    Raises:
        ConfigError: ``dest`` exists and is not an empty folder (nothing is overwritten).
    """
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ConfigError(
            f"`loopsim init {dest}`: {dest} exists and is not an empty folder; nothing was "
            "written. Name a new folder."
        )
    written: list[Path] = []
    _copy(files("loopsim.examples").joinpath("custom_policy"), dest, Path(), written)
    return written


def _copy(src: Traversable, root: Path, rel: Path, written: list[Path]) -> None:
    for entry in sorted(src.iterdir(), key=lambda e: e.name):
        if entry.name in _SKIP or entry.name.endswith(".pyc"):
            continue
        if entry.is_dir():
            _copy(entry, root, rel / entry.name, written)
        else:
            target = root / rel / entry.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(entry.read_bytes())
            written.append(rel / entry.name)
