"""A folder laid out as the installed package, for mkdocstrings to read the sources from.

The repository maps its top-level folders under ``loopsim`` (``[tool.setuptools.package-dir]``
in pyproject.toml), so ``simulator/`` is ``loopsim.simulator`` only once installed; griffe
looks for ``loopsim/simulator/`` on disk. :func:`build_tree` makes ``build/api-src/`` with
one symbolic link per mapped package, read from pyproject.toml, so the API reference
follows any change of the layout without an edit here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
TREE = ROOT / "build" / "api-src"


def build_tree() -> Path:
    """(Re)make ``build/api-src/loopsim/...`` and return ``build/api-src``."""
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"]
    if TREE.exists():
        shutil.rmtree(TREE)
    top = TREE / "loopsim"
    top.mkdir(parents=True)
    for entry in (ROOT / mapping["loopsim"]).iterdir():
        if entry.name != "__pycache__":
            (top / entry.name).symlink_to(entry)
    for package, folder in mapping.items():
        if package != "loopsim":
            link = TREE / Path(*package.split("."))
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(ROOT / folder, target_is_directory=True)
    return TREE


if __name__ == "__main__":
    print(build_tree())
