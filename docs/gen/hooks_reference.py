"""Render docs/reference/hooks.md: the contracts and every optional hook, from the code.

Each ``typing.Protocol`` of the contract modules (:data:`MODULES`) becomes a row: its
name, the methods and attributes it asks for, and the first line of its docstring. A
hook added to the code appears here without an edit.
"""

from __future__ import annotations

import importlib
import re
import inspect
from typing import Protocol

#: Modules whose protocols are the contracts: (module, title, what it is for).
MODULES = (
    ("loopsim.simulator.contract.policy", "Policies", "what a ranking policy (or a part of one) "
     "must or may provide"),
    ("loopsim.simulator.world.base", "Worlds", "what a world must or may provide"),
)


def protocols(module_name: str) -> list[type]:
    """The protocols defined in ``module_name``, in source order."""
    module = importlib.import_module(module_name)
    found = [obj for _, obj in inspect.getmembers(module, inspect.isclass)
             if obj.__module__ == module_name and Protocol in getattr(obj, "__mro__", ())
             and obj is not Protocol]
    return sorted(found, key=lambda cls: inspect.getsourcelines(cls)[1])


def members(cls: type) -> str:
    """The names a protocol asks for (methods with ``()``)."""
    names = [n for n in cls.__dict__ if not n.startswith("_")]
    names += [n for n in getattr(cls, "__annotations__", {}) if n not in names]
    return ", ".join(f"`{n}()`" if callable(cls.__dict__.get(n)) else f"`{n}`" for n in names)


def page() -> str:
    """The page, as Markdown."""
    lines = ["# Contracts and optional hooks", "",
             "Generated from the protocols in the code (`docs/gen/hooks_reference.py`). A",
             "component is checked against them once, when a run starts; an optional hook",
             "is never looked up inside the loop. `check_policy(policy)` runs a policy's",
             "contract on a tiny world.", ""]
    for module, title, what in MODULES:
        lines += [f"## {title}", "", f"`{module}`: {what}.", "",
                  "| protocol | asks for | what it is |", "| --- | --- | --- |"]
        for cls in protocols(module):
            doc = (inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " ")
            doc = re.sub(r":\w+:`~?([\w.]+)`", r"`\1`", doc).replace("``", "`")
            lines.append(f"| `{cls.__name__}` | {members(cls)} | {doc.replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(page())
