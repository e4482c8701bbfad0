"""The names a comparison is asked for, checked against the runs.

The reference group, the sort metric and the trajectory metrics are names a user types;
each check returns ``None`` when the runs have the name, else one line that names the
value, lists what the runs have and, where one is close (:mod:`difflib`), the name meant.
:func:`~loopsim.experiments.compare.cli.compare` refuses with that line (a name given on
the command line) or skips the name and keeps the line as a note (a preset's default,
e.g. the reference ``ctr`` of a sweep without it).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence

#: The names a comparison checks (``compare(refuse_unknown=...)`` takes these).
CHECKED = ("reference", "sort", "trajectory_metrics")


def did_you_mean(value: str, candidates: Collection[str]) -> str:
    """``"; did you mean `x`?"`` for the candidate closest to ``value``, else ``""``."""
    near = difflib.get_close_matches(value, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean `{near[0]}`?" if near else ""


def reference_problem(wanted: str | None, groups: Sequence[str],
                      policies: Mapping[str, str]) -> str | None:
    """Why ``wanted`` names no reference group (``None`` when it names one, or is empty).

    A reference is a group name, or the policy of exactly one group
    (:func:`~loopsim.experiments.compare.paired.resolve_reference`).
    """
    if not wanted or wanted in groups:
        return None
    matches = [g for g in groups if policies.get(g) == wanted]
    if len(matches) == 1:
        return None
    if matches:
        return (f"reference `{wanted}` is the policy of {len(matches)} groups "
                f"({', '.join(matches)}): name one of them")
    return (f"reference `{wanted}` is no group or policy of these runs (groups: "
            f"{', '.join(groups) or 'none'})"
            + did_you_mean(wanted, [*groups, *policies.values()]))


def sort_problem(wanted: str | None, metrics: Sequence[str]) -> str | None:
    """Why ``wanted`` cannot sort the table (``None`` when it is one of ``metrics``, the
    summary's metrics, or empty)."""
    if not wanted or wanted in metrics:
        return None
    return (f"sort metric `{wanted}` is not in the summary of these runs (metrics: "
            f"{', '.join(metrics) or 'none'})" + did_you_mean(wanted, metrics))


def metrics_problem(wanted: Sequence[str] | None, present: Collection[str]) -> str | None:
    """Why some of ``wanted`` cannot be drawn as trajectories (``None`` when the runs
    record all of them): the absent ones, the recorded ones, and the nearest names."""
    absent = [m for m in wanted or () if m not in present]
    if not absent:
        return None
    hints = [f"`{m}`: did you mean `{near}`?" for m in absent
             for near in difflib.get_close_matches(m, sorted(present), n=1, cutoff=0.6)]
    return (f"trajectory metric{'s' if len(absent) > 1 else ''} "
            + ", ".join(f"`{m}`" for m in absent)
            + f" not recorded by these runs (metrics: {', '.join(sorted(present)) or 'none'})"
            + (f"; {' '.join(hints)}" if hints else ""))
