"""Every shell, console and Python snippet of the README and the docs runs, as written.

Each page becomes one bash script, run in a fresh folder like a reader's terminal: its
``bash`` blocks verbatim and in order (a ``cd`` carries over), its ``python`` blocks
through ``python -`` in the same shell, its ``console`` blocks command by command, each
command's output checked against the lines shown under it (``...`` matches anything).

What is adapted, and only this, so the suite stays small:

* ``loopsim`` runs with :data:`SMALL` appended (a short horizon, one seed, no figures):
  a ``loopsim`` on the PATH of the script adds them. A block may add its own overrides
  with ``<!-- snippet: overrides KEY=VALUE ... -->`` on the line before it (a preset
  whose data shift happens on day 15 needs a longer horizon).
* ``python -m pip install ...`` and ``python -m pytest`` are not run: the suite runs in
  the environment they make, and is the test suite.

A block that cannot run here (a SLURM submission, a cluster) is marked with
``<!-- snippet: skip REASON -->`` on the line before it; one that needs a file the page
does not make has ``<!-- snippet: setup ... -->`` (shell lines inside the comment) before
it; a block the reader saves as a file, ``<!-- snippet: file NAME -->`` (it is written,
not run).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Overrides appended to every run of ``loopsim`` in a snippet.
SMALL = "horizon=2 seed=0 progress=false hydra.callbacks.compare.plots=false"
#: Arguments with which ``loopsim`` is passed through unchanged (no run).
PASS_THROUGH = ("--help", "-h", "--version", "-V", "--cfg", "--info", "-sc",
                "--shell-completion", "--hydra-help", "init")
#: Pages whose snippets are generated or read elsewhere.
EXCLUDED = ("docs/gen/",)

FENCE = re.compile(r"^```(\w+)?\s*$")
MARKER = re.compile(r"^<!--\s*snippet:\s*(skip|setup|overrides|file)\b(.*?)(-->)?\s*$")


@dataclass
class Block:
    """One fenced block and what its marker says."""

    line: int
    lang: str
    text: str
    skip: str | None = None
    setup: str = ""
    overrides: str = ""
    file: str = ""


def pages() -> list[Path]:
    """README.md and every Markdown page under docs/, generated ones left out."""
    found = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [p for p in found if not any(str(p.relative_to(ROOT)).startswith(e)
                                        for e in EXCLUDED)]


def blocks(page: Path) -> list[Block]:
    """The ``bash``, ``console`` and ``python`` blocks of ``page``, with their markers."""
    lines = page.read_text().splitlines()
    out: list[Block] = []
    i = 0
    pending: dict[str, str] = {}
    while i < len(lines):
        marker = MARKER.match(lines[i])
        if marker:
            kind, rest = marker[1], marker[2].strip()
            if not marker[3]:  # a comment over several lines
                body = []
                i += 1
                while "-->" not in lines[i]:
                    body.append(lines[i])
                    i += 1
                rest = (rest + "\n" + "\n".join(body)).strip()
            pending[kind] = rest or kind
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if fence:
            start, body = i + 1, []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if fence[1] in ("bash", "console", "python"):
                out.append(Block(start, fence[1], "\n".join(body), pending.get("skip"),
                                 pending.get("setup", ""), pending.get("overrides", ""),
                                 pending.get("file", "")))
            pending = {}
        elif lines[i].strip():
            pending = {}
        i += 1
    return out


def _shell(text: str) -> str:
    """A bash block without its ``pip install`` and ``pytest`` commands."""
    kept = []
    for line in text.splitlines():
        parts = [p for p in re.split(r"\s*&&\s*", line)
                 if not re.match(r"\s*(python -m )?(pip install|pytest)\b", p)]
        kept.append(" && ".join(parts))
    return "\n".join(kept)


def _console(block: Block, n: int) -> str:
    """Run each ``$ command`` and check its output against the lines shown under it."""
    script, command, expected = [], None, []

    def flush() -> None:
        if command is not None:
            want = "\n".join(expected).replace("'", "'\"'\"'")
            script.append(f"( {command} ) > .out 2>&1 || true")
            script.append(f"python {ROOT / 'tests' / 'docs' / 'expect.py'} .out "
                          f"'{want}' 'line {block.line}: {command.strip()}'")

    for line in block.text.splitlines():
        if line.startswith("$ "):
            flush()
            command, expected = re.split(r"\s+#\s", line[2:], maxsplit=1)[0], []
        elif line.strip():
            expected.append(line)
    flush()
    return "\n".join(script)


def script(page: Path) -> str:
    """The bash script that runs ``page``'s snippets in order."""
    parts = ["set -euo pipefail"]
    for n, block in enumerate(blocks(page)):
        if block.skip:
            continue
        parts.append(f"echo '--- {page.name}, block at line {block.line}' >&2")
        if block.setup:
            parts.append(block.setup)
        parts.append(f"export LOOPSIM_SNIPPET_EXTRA='{block.overrides}'")
        if block.file:  # the reader saves it under that name
            parts.append(f"cat > {block.file} <<'LOOPSIM_SNIPPET_EOF'\n{block.text}\n"
                         "LOOPSIM_SNIPPET_EOF")
        elif block.lang == "bash":
            parts.append(_shell(block.text))
        elif block.lang == "python":
            parts.append(f"python - <<'LOOPSIM_SNIPPET_EOF'\n{block.text}\nLOOPSIM_SNIPPET_EOF")
        else:
            parts.append(_console(block, n))
    return "\n".join(parts) + "\n"


def _bin(folder: Path) -> Path:
    """A folder holding a ``loopsim`` that appends :data:`SMALL` to every run."""
    real = shutil.which("loopsim", path=str(Path(sys.executable).parent)) or "loopsim"
    wrapper = folder / "loopsim"
    cases = "|".join(PASS_THROUGH)
    wrapper.write_text(
        "#!/usr/bin/env bash\n"
        f'for a in "$@"; do case "$a" in {cases}) exec {real} "$@";; esac; done\n'
        f'exec {real} "$@" {SMALL} $LOOPSIM_SNIPPET_EXTRA\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return folder


PAGES = [p for p in pages() if any(not b.skip for b in blocks(p))]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_snippets_of_the_page_run(page: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "bin").mkdir()
    bin_dir = _bin(tmp_path / "bin")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}"
           f"{os.pathsep}{os.environ['PATH']}", "MPLBACKEND": "Agg", "HYDRA_FULL_ERROR": "0"}
    done = subprocess.run(["bash", "-c", script(page)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, (f"a snippet of {page.relative_to(ROOT)} failed:\n"
                                  f"{done.stderr[-4000:]}\n{done.stdout[-2000:]}")


def test_markers_attach_to_the_next_block_only(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- snippet: skip needs SLURM -->\n```bash\nsbatch x\n```\n\n"
        "<!-- snippet: overrides horizon=16 -->\n```bash\nloopsim\n```\n\n"
        "<!-- snippet: setup\ntouch a\n-->\n```python\nprint(1)\n```\n\n"
        "<!-- snippet: file my.py -->\n```python\nX = 1\n```\n"
        "<!-- snippet: skip stale -->\n\nA paragraph ends the marker.\n\n```bash\nls\n```\n"
        "```text\nnot run\n```\n")
    found = blocks(page)
    assert [b.lang for b in found] == ["bash", "bash", "python", "python", "bash"]
    assert found[0].skip == "needs SLURM"
    assert found[1].overrides == "horizon=16" and not found[1].skip
    assert found[2].setup == "touch a"
    assert found[3].file == "my.py"
    assert found[4].skip is None


def test_pip_and_pytest_commands_are_not_run() -> None:
    text = 'python -m pip install -e . && loopsim -m experiment=mitigation\n' \
           'python -m pip install -e ".[test]" && python -m pytest'
    assert _shell(text) == "loopsim -m experiment=mitigation\n"


def test_console_output_is_checked(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("loopsim: configuration error: `x == 2`: must be in [0.0, 1.0].\n")
    expect = [sys.executable, str(ROOT / "tests" / "docs" / "expect.py"), str(out)]
    ok = subprocess.run([*expect, "loopsim: configuration error: `x == 2`: ...", "here"])
    assert ok.returncode == 0
    bad = subprocess.run([*expect, "loopsim: configuration error: `x == 3`", "here"],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "x == 3" in bad.stderr


def test_every_page_has_only_runnable_languages_marked() -> None:
    assert blocks(ROOT / "README.md"), "the README has no snippet"
    for page in pages():
        for block in blocks(page):
            assert block.lang in ("bash", "console", "python")
            assert block.skip is None or block.skip.strip() not in ("", "skip"), (
                f"{page}: line {block.line}: a skipped snippet says why")
