"""Every claim of docs/validation.md names a test that exists and a tolerance (fast).

Checked on a page rendered from hand-made values and on the committed page, so neither a
renamed test nor a claim without a tolerance can slip in.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from loopsim.experiments.reproduce.claims import HEADER
from loopsim.experiments.reproduce.page import COMMAND, render

from tests.experiments.reproduce.test_validation_page import fake_validation

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "validation.md"
NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


@cache
def _functions(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))


def claim_rows(page: str) -> list[list[str]]:
    """The cells of every row of every claims table of ``page``."""
    rows, inside = [], False
    for line in page.splitlines():
        if line.strip() == HEADER:
            inside = True
        elif inside and line.startswith("| ---"):
            continue
        elif inside and line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split(" | ")])
        else:
            inside = False
    return rows


def problems(page: str) -> list[str]:
    """What is wrong with the claims of ``page`` (empty when nothing is)."""
    out = []
    rows = claim_rows(page)
    if not rows:
        out.append("no claims table")
    for row in rows:
        if len(row) != 4:
            out.append(f"a claims row without 4 cells: {row}")
            continue
        claim, test, tolerance, measured = row
        if not NODE.fullmatch(test):
            out.append(f"claim {claim!r} names no test as `path::name`: {test!r}")
        if not tolerance:
            out.append(f"claim {claim!r} states no tolerance")
        if not measured:
            out.append(f"claim {claim!r} gives no measured value or where it is")
    for path, name in NODE.findall(page):
        if not (ROOT / path).is_file():
            out.append(f"{path} does not exist")
        elif name not in _functions(path):
            out.append(f"{path} has no test {name}")
    for name in re.findall(r"(?<![\w:/])(test_\w+)\b(?!\.py)", page):
        out.append(f"test {name} named without its file (write `path::{name}`)")
    return out


def test_a_rendered_page_names_existing_tests_and_tolerances() -> None:
    page = render(fake_validation())
    assert problems(page) == []
    assert len(claim_rows(page)) >= 20  # every section's claims are tables
    assert COMMAND in page.split("## 1.")[0]  # the one command, in the header


def test_the_committed_page_names_existing_tests_and_tolerances() -> None:
    assert problems(PAGE.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(("page", "problem"), [
    (f"{HEADER}\n| --- | --- | --- | --- |\n| x | `tests/experiments/reproduce/test_validation.py::"
     "test_no_such_test` | 0.1 | 1 |", "has no test test_no_such_test"),
    (f"{HEADER}\n| --- | --- | --- | --- |\n| x | `tests/experiments/reproduce/test_validation.py::"
     "test_exploration_slows_degeneracy` |  | 1 |", "states no tolerance"),
    (f"{HEADER}\n| --- | --- | --- | --- |\n| x | `test_exploration_slows_degeneracy` | 0.1 | 1 |",
     "names no test as"),
    ("prose naming test_exploration_slows_degeneracy alone", "named without its file"),
])
def test_the_check_finds_what_it_looks_for(page: str, problem: str) -> None:
    assert any(problem in p for p in problems(page)), problems(page)
