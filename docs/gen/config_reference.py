"""Render docs/reference/config.md: every config group and key, from the declared schemas.

Nothing here is listed by hand. The top-level keys come from the dataclasses the
top-level schema is derived from (:mod:`loopsim.experiments.cli.config_schema`); a component's keys
(world, click model, estimator, selector) from its ``_target_`` constructor through
:func:`loopsim.simulator.params.component_schema.schema_of`; defaults from the shipped YAML
(else the signature); meanings from the docstrings (``Args``/``Attributes``), else the YAML's
inline comment. Run by mkdocs-gen-files at build time, or alone:
``python docs/gen/config_reference.py`` prints the page.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from griffe import Docstring, Parser
from hydra.utils import get_class
from loopsim.experiments.cli.config_schema import LogOptions, RunOptions
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.simulator.loop.config import SimulationConfig
from loopsim.simulator.metrics.slices import SliceOptions
from loopsim.simulator.monitoring.monitor import MonitorOptions
from loopsim.simulator.params.component_schema import Param, Range, schema_of
from loopsim.simulator.world.shift import DataShift

CONF = Path(CONF_DIR)
#: Groups whose options are components: one table of keys per option.
COMPONENT_GROUPS = ("world", "click_model", "policy/estimator", "policy/selector")


def preset_groups() -> list[str]:
    """Every other config group (options that set keys of a block or of the whole config),
    found on disk so that a new group is listed without an edit here."""
    found = sorted({p.parent.relative_to(CONF).as_posix() for p in CONF.rglob("*.yaml")
                    if p.parent != CONF and p.parent.relative_to(CONF).parts[0] != "hydra"})
    return [g for g in found if g not in COMPONENT_GROUPS]

#: Top-level blocks: (prefix, dataclass, what it is).
BLOCKS = (
    ("", RunOptions, "the run's own keys"),
    ("", SimulationConfig, "the timing of the loop, in simulated days"),
    ("log.", LogOptions, "the optional full impression log"),
    ("slices.", SliceOptions, "sliced metrics"),
    ("monitor.", MonitorOptions, "alerts and the guarded deployment"),
    ("world.shift.", DataShift, "data shift of the synthetic world"),
)


def meanings(cls: type) -> dict[str, str]:
    """Parameter descriptions from the class's and its constructor's Google docstrings."""
    found: dict[str, str] = {}
    for doc in (inspect.getdoc(cls), cls.__dict__.get("__init__").__doc__
                if "__init__" in cls.__dict__ else None):
        if not doc:
            continue
        for section in Docstring(inspect.cleandoc(doc)).parse(Parser.google, warnings=False):
            if section.kind.value in ("parameters", "attributes"):
                for item in section.value:
                    found.setdefault(item.name, " ".join(item.description.split()))
    return found


def yaml_comments(path: Path) -> dict[str, str]:
    """``{dotted.key: inline comment}`` of a YAML file (comments Hydra drops)."""
    comments: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in path.read_text().splitlines():
        match = re.match(r"^(\s*)([A-Za-z_][\w.]*):(.*)$", line)
        if not match:
            continue
        indent, key, rest = len(match[1]), match[2], match[3]
        while stack and stack[-1][0] >= indent:
            stack.pop()
        dotted = ".".join([k for _, k in stack] + [key])
        stack.append((indent, key))
        if "#" in rest:
            comments[dotted] = rest.split("#", 1)[1].strip()
    return comments


def header(path: Path) -> str:
    """The comment lines at the top of a YAML file, without ``# @package``."""
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if not text.startswith("@package"):
            lines.append(text)
    return " ".join(lines)


def fmt_range(rng: Range | None) -> str:
    if rng is None:
        return ""
    low = "-inf" if rng.low is None else f"{rng.low:g}"
    high = "inf" if rng.high is None else f"{rng.high:g}"
    left = "(" if rng.low_open or rng.low is None else "["
    right = ")" if rng.high_open or rng.high is None else "]"
    return f"{left}{low}, {high}{right}"


def fmt_type(param: Param) -> str:
    kind = ("one of " + ", ".join(f"`{c}`" for c in param.choices)
            if param.kind == "choice" else f"`{param.kind}`")
    return kind + (" or `null`" if param.optional else "")


def fmt_value(value: Any) -> str:
    if value is inspect.Parameter.empty or value is dataclasses.MISSING:
        return "required"
    if value is None:
        return "`null`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        value = list(value)
    return f"`{value}`".replace("|", "\\|")


def cell(text: str) -> str:
    """One table cell: one line, reST literals as Markdown code, pipes escaped."""
    return " ".join(text.split()).replace("``", "`").replace("|", "\\|")


def table(rows: Iterator[tuple[str, ...]]) -> list[str]:
    out = ["| key | type | range | default | meaning |", "| --- | --- | --- | --- | --- |"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def block_rows(prefix: str, cls: type) -> Iterator[tuple[str, ...]]:
    schema, means = schema_of(cls), meanings(cls)
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    for name, param in schema.params.items():
        yield (f"`{prefix}{name}`", fmt_type(param), fmt_range(param.range),
               fmt_value(defaults[name]), cell(means.get(name, "")))


def component_rows(group: str, path: Path) -> tuple[str, list[tuple[str, ...]]]:
    node = yaml.safe_load(path.read_text()) or {}
    cls = get_class(node["_target_"])
    schema, means, comments = schema_of(cls), meanings(cls), yaml_comments(path)
    signature = inspect.signature(cls).parameters
    prefix = group.replace("/", ".")
    rows = []
    for name, param in schema.params.items():
        default = node[name] if name in node else signature[name].default
        if isinstance(default, dict):
            default = "{...}" if default else {}
        meaning = means.get(name) or comments.get(name, "")
        rows.append((f"`{prefix}.{name}`", fmt_type(param), fmt_range(param.range),
                     fmt_value(default), cell(meaning)))
    return node["_target_"], rows


def options(group: str) -> list[Path]:
    return sorted(p for p in (CONF / group).glob("*.yaml"))


def flat(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "defaults":
                continue
            yield from flat(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], node


def page() -> str:
    """The whole reference page, as Markdown."""
    lines = [
        "# Configuration reference",
        "",
        "Generated from the code at build time (`docs/gen/config_reference.py`): the",
        "top-level keys from the dataclasses the Hydra schema is derived from, every",
        "component's keys from its constructor",
        "(`loopsim.simulator.params.component_schema.schema_of`), the",
        "defaults from the shipped YAML. A range is an interval (`[` closed, `(` open);",
        "`loopsim --cfg job` prints the composed values of a run. Set a key with",
        "`KEY=VALUE`, choose a group option with `GROUP=OPTION`.",
        "",
        "## Top-level keys",
        "",
    ]
    for prefix, cls, what in BLOCKS:
        title = f"`{prefix}*`" if prefix else "top level"
        lines += [f"### {title}: {what}", "", *table(block_rows(prefix, cls)), ""]
    for group in COMPONENT_GROUPS:
        lines += [f"## Group `{group}`", ""]
        for path in options(group):
            target, rows = component_rows(group, path)
            lines += [f"### `{group}={path.stem}`", "", cell(header(path)), "",
                      f"Class: `{target}`.", "", *table(iter(rows)), ""]
    for group in preset_groups():
        lines += [f"## Group `{group}`", "", "| option | what it is | keys it sets |",
                  "| --- | --- | --- |"]
        for path in options(group):
            node = yaml.safe_load(path.read_text()) or {}
            keys = ", ".join(f"`{k}`" for k, _ in flat(node) if k)
            lines.append(f"| `{path.stem}` | {cell(header(path))} | {cell(keys)} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(page())
