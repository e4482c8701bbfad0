"""report.html: self-contained, and its figures and table are visible in a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from loopsim.experiments.compare.cli import compare

from tests.experiments.compare.test_compare import make_run

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("r") / "sweep"
    i = 0
    for seed in range(3):
        for policy, shift in (("ctr", 0.0), ("thompson", -0.2), ("random", 0.5)):
            make_run(d / str(i), policy, seed, regret=(0.5, 0.5 + shift + 0.01 * seed),
                     gini=(0.5, 0.6 + shift / 2))
            i += 1
    make_run(d / str(i), "random", 3, status="failed")
    compare([d])
    return d / "report.html"


def test_report_holds_everything_and_loads_nothing(report: Path):
    text = report.read_text()
    assert text.count('src="data:image/png;base64,') == 5  # every figure of the sweep
    assert 'id="summary"' in text and 'id="differences"' in text
    assert "PolicyRuntimeError: boom at t=1.5" in text  # the failed run and its cause
    assert "numpy" in text and "polars" in text  # versions
    # nothing fetched: no script, stylesheet link, or remote URL
    assert not re.search(r"<script|<link|https?://|src=\"(?!data:)", text)


def test_report_configuration_that_differs_between_groups(tmp_path: Path):
    import json

    for i, (policy, n) in enumerate((("ctr", 100), ("random", 200))):
        run = make_run(tmp_path / "s" / str(i), policy, 0)
        summary = json.loads((run / "summary.json").read_text())
        summary["config"] = {"seed": 0, "world": {"n_users": n, "seed": 0}, "horizon": 5}
        (run / "summary.json").write_text(json.dumps(summary))
    compare([tmp_path / "s"], plots=False)
    text = (tmp_path / "s" / "report.html").read_text()
    config = text.split('id="config"')[1].split("</table>")[0]
    assert "world.n_users" in config and "horizon" not in config


CHECK = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  const shown = imgs.filter(i => i.complete && i.naturalWidth > 100
                                 && i.getBoundingClientRect().height > 50);
  const t = document.getElementById('summary').getBoundingClientRect();
  const rows = document.querySelectorAll('#summary tbody tr').length;
  const out = document.createElement('pre');
  out.id = 'check';
  out.textContent = `CHECK images=${imgs.length} shown=${shown.length} ` +
                    `table=${t.width > 100 && t.height > 20} rows=${rows}`;
  document.body.appendChild(out);
});
</script></body>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                    "(apt-get install -y chromium; .ci/run installs it)")
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path):
    page = tmp_path / "checked.html"
    page.write_text(report.read_text().replace("</body>", CHECK))
    out = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    found = re.search(r"CHECK images=(\d+) shown=(\d+) table=(\w+) rows=(\d+)", out.stdout)
    assert found, out.stderr[-2000:]
    images, shown, table, rows = found.groups()
    assert images == shown == "5" and table == "true" and rows == "3"
