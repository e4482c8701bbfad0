"""Render docs/reference/cli.md: every command the distribution installs, with its --help.

The commands are read from the installed distribution's entry points, so a new command
appears here without an edit; each one's text is what ``COMMAND --help`` prints.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import distribution

#: What each command is for, in one line (a command missing here fails the build).
PURPOSE = {
    "loopsim": "run the feedback loop once, or a sweep with `-m` (Hydra)",
    "loopsim-compare": "compare runs and sweeps: summary table and figures",
    "loopsim-bench": "measure throughput, memory and the split of time",
    "loopsim-export": "export a logged run for off-policy evaluation (OBP layout, Parquet)",
    "loopsim-ope": "estimate a target policy's value from a log, beside the truth",
}


def commands() -> dict[str, str]:
    """``{command: "module:function"}`` of loopsim's console scripts."""
    eps = distribution("loopsim").entry_points
    return {ep.name: ep.value for ep in eps if ep.group == "console_scripts"}


def help_text(target: str, name: str) -> str:
    module, func = target.split(":")
    code = f"import sys; sys.argv = [{name!r}, '--help']; from {module} import {func}; {func}()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    return done.stdout.strip() or done.stderr.strip()


def page() -> str:
    """The page, as Markdown."""
    found = commands()
    missing = sorted(set(found) - set(PURPOSE))
    if missing:
        raise SystemExit(f"docs/gen/cli_reference.py: describe the commands {missing} in PURPOSE")
    lines = ["# Command-line tools", "",
             "Generated at build time from the installed entry points and each command's",
             "`--help` (`docs/gen/cli_reference.py`).", "",
             "| command | what it does |", "| --- | --- |"]
    lines += [f"| [`{n}`](#{n}) | {PURPOSE[n]} |" for n in sorted(found)]
    for name in sorted(found):
        lines += ["", f"## `{name}` {{#{name}}}", "", PURPOSE[name][0].upper()
                  + PURPOSE[name][1:] + ".", "", "```text", help_text(found[name], name), "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(page())
