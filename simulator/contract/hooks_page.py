"""docs/hooks.md, generated from the hook registry.

``python -m loopsim.simulator.contract.hooks_page > docs/hooks.md`` writes it; a test
keeps the committed page in step with :data:`~loopsim.simulator.contract.registry.HOOKS`.
"""

from __future__ import annotations

import dataclasses
import inspect
import re

from loopsim.simulator.contract.batches import Slates
from loopsim.simulator.contract.registry import ExtensionPoint, hook_table

#: The extension points in the order the hooks page lists them, with a title each.
POINT_TITLES: dict[ExtensionPoint, str] = {
    "policy": "Policy (the policy or any of its parts)",
    "estimator": "Estimator",
    "selector": "Selector",
    "world": "World",
    "click_model": "Click model",
}


def hooks_page() -> str:
    """The Markdown of docs/hooks.md: every optional hook, by extension point."""
    parts = ["# Optional hooks\n",
             "Generated from `loopsim.simulator.contract.registry.HOOKS` by "
             "`python -m loopsim.simulator.contract.hooks_page > docs/hooks.md` "
             "(a test keeps it in step). A component declares a hook by having its members; "
             "the engine checks hooks once when a run starts, never inside the loop, and "
             "`check_policy`, `check_world` and `check_click_model` report which ones a "
             "component declares.\n"]
    for point, title in POINT_TITLES.items():
        parts.append(f"## {title}\n\n{hook_table(point)}\n")
    parts.append(slates_section())
    return "\n".join(parts)


def attribute_docs(cls: type) -> dict[str, str]:
    """``{name: description}`` from the ``Attributes:`` section of a Google docstring."""
    doc = inspect.getdoc(cls) or ""
    found: dict[str, str] = {}
    inside, name = False, None
    for line in doc.splitlines():
        if line.strip() == "Attributes:":
            inside = True
            continue
        if not inside:
            continue
        head = re.match(r"^    (\w+): (.*)$", line)
        if head:
            name = head.group(1)
            found[name] = head.group(2)
        elif line.startswith("        ") and name is not None:
            found[name] += " " + line.strip()
        elif line.strip():
            break  # the next section
    return found


def markdown(text: str) -> str:
    """reST inline markup as Markdown: ``x`` -> `x`, :role:`~a.b.x` -> `x`, :role:`a.x` -> `a.x`."""
    text = re.sub(r":\w+:`~(?:[\w.]+\.)?(\w+)`", r"`\1`", text)
    text = re.sub(r":\w+:`([\w.]+)`", r"`\1`", text)
    return text.replace("``", "`")


def slates_section() -> str:
    """The fields of :class:`Slates` (what ``rank`` returns), from its docstring."""
    docs = attribute_docs(Slates)
    rows = "\n".join(f"| `{f.name}` | {markdown(docs[f.name])} |"
                     for f in dataclasses.fields(Slates))
    return ("## What `rank` returns: `Slates`\n\n"
            "The fields of `loopsim.simulator.Slates`, from its docstring. A policy of "
            "your own sets `items` and, if it randomizes, `propensities` (and `versions` "
            "for a pipeline); it leaves `constructed` and `fixed_columns` off, and the "
            "engine validates its slates in full. Only loopsim's built-in selectors use "
            "`Slates.by_construction`.\n\n"
            "| field | meaning |\n| --- | --- |\n" + rows + "\n")


__all__ = ["POINT_TITLES", "attribute_docs", "hooks_page", "slates_section"]


if __name__ == "__main__":
    print(hooks_page(), end="")
