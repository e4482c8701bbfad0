"""Claims of the validation pages, as data: what is claimed, the test that asserts it and
the tolerance it is asserted with.

Every section of docs/validation.md lists its claims through :func:`claims_table`, so each
one names a test as ``path::name`` (a pytest node id, from the repository's root) and a
tolerance; ``tests/experiments/reproduce/test_validation_claims.py`` checks on the
rendered page that every named test exists and every claim has a tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The slow tests of docs/validation.md's generated worlds.
VALIDATION_TESTS = "tests/experiments/reproduce/test_validation.py"
#: The tests of the MusicLab model against Experiment 1's raw files (skip without them).
MUSICLAB_TESTS = "tests/experiments/reproduce/test_musiclab_data.py"

#: The header of every claims table (the check finds the tables by it).
HEADER = "| claim | test | tolerance | measured |"


@dataclass(frozen=True)
class Claim:
    """One claim of a validation page.

    Attributes:
        statement: What is claimed, in one sentence (Markdown).
        test: The test that asserts it, as ``path::name`` from the repository's root.
        tolerance: What the test allows (``"none: ..."`` when a sign or an order must
            hold exactly, at every seed).
        measured: The values measured for the page (Markdown), or where they are.
    """

    statement: str
    test: str
    tolerance: str
    measured: str


def validation_test(name: str) -> str:
    """``path::name`` of a slow test of docs/validation.md."""
    return f"{VALIDATION_TESTS}::{name}"


def musiclab_test(name: str) -> str:
    """``path::name`` of a MusicLab data test."""
    return f"{MUSICLAB_TESTS}::{name}"


def claims_table(claims: list[Claim]) -> str:
    """The claims as a Markdown table: claim, test, tolerance, measured."""
    rows = [HEADER, "| --- | --- | --- | --- |"]
    rows += [f"| {c.statement} | `{c.test}` | {c.tolerance} | {c.measured} |" for c in claims]
    return "\n".join(rows)


__all__ = ["HEADER", "MUSICLAB_TESTS", "VALIDATION_TESTS", "Claim", "claims_table",
           "musiclab_test", "validation_test"]
