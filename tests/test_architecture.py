"""The package's structure: no import cycle, no private name imported across modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Source folder -> import prefix (the package-dir mapping of pyproject.toml).
PACKAGES = {"simulator": "loopsim.simulator", "policies": "loopsim.policies",
            "experiments": "loopsim.experiments", "loopsim": "loopsim"}


def _modules() -> dict[str, Path]:
    out = {}
    for folder, prefix in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([prefix, *parts])] = path
    return out


def _imports(path: Path) -> list[tuple[str, str]]:
    """``(module, name)`` of every ``from loopsim... import name`` (TYPE_CHECKING included)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("loopsim"):
            out += [(node.module, alias.name) for alias in node.names]
    return out


def test_no_import_cycle_anywhere_in_the_package() -> None:
    """Modules import each other as a DAG (type-checking imports count too)."""
    mods = _modules()
    graph = {m: set() for m in mods}
    for m, path in mods.items():
        for module, name in _imports(path):
            target = f"{module}.{name}" if f"{module}.{name}" in mods else module
            if target in mods and target != m:
                graph[m].add(target)
    done: set[str] = set()

    def visit(m: str, path: list[str]) -> None:
        if m in path:
            cycle = path[path.index(m):] + [m]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if m in done:
            return
        for n in sorted(graph[m]):
            visit(n, [*path, m])
        done.add(m)

    for m in sorted(graph):
        visit(m, [])


def test_no_private_name_is_imported_across_modules() -> None:
    found = [(m, module, name) for m, path in _modules().items()
             for module, name in _imports(path) if name.startswith("_") and module != m]
    assert not found, found


def test_pyproject_lists_every_package_folder() -> None:
    """A new sub-package missing from ``[tool.setuptools] packages`` is left out of the wheel."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library "
                                                    "from Python 3.11")
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    folders = set()
    for top in (*PACKAGES, "conf", "examples"):
        for init in (ROOT / top).rglob("__init__.py"):
            parts = list(init.parent.relative_to(ROOT).parts)
            if parts[0] == "loopsim":  # the root's own sub-packages (loopsim/gym)
                parts = parts[1:]
            folders.add(".".join(["loopsim", *parts]))
    # Hydra plugins live in Hydra's namespace: one shim per plugin, defined under loopsim.
    folders |= {f"hydra_plugins.{p.parent.name}"
                for p in (ROOT / "hydra_plugins").glob("*/__init__.py")}
    assert folders == listed, (sorted(folders - listed), sorted(listed - folders))
