"""loopsim-bench's tables: text and Markdown, from a hand-made report."""

from __future__ import annotations

from loopsim.experiments.bench import render


def _report() -> dict:
    return {
        "machine": {"cpu": "test cpu", "cores": 2, "python": "3.11", "numpy": "2.4",
                    "load_avg": [0.5, 0.6, 0.7], "load_avg_end": [0.8, 0.9, 1.0]},
        "started": "2026-12-07 00:00", "blas_threads": 1, "command": "loopsim-bench",
        "figures": {"mf_vs_ctr": {"label": "mf / ctr time", "value": 12.345, "unit": "x",
                                  "detail": "mf 18 s | ctr 1.5 s", "target": "<= 10",
                                  "met": False}},
        "scenarios": {
            "default_ctr": {"status": "completed", "cpu_loop_s": 1.5, "total_s": 1.7,
                            "impressions": 1_500_000, "peak_rss_mib": 104.2,
                            "time_split": {"metrics": 3.0, "serving": 1.0, "clicks": 0.5,
                                           "arrivals": 0.5}},
            "trecs_10_steps": {"status": "skipped", "reason": "T-RECS is not installed"},
        },
        "growth": {"ctr_users": {"policy": "ctr", "axis": "users", "exponent": 1.02,
                                 "memory_exponent": 0.3,
                                 "points": [{"size": 10_000, "cpu_s": 0.5, "peak_rss_mib": 90.0},
                                            {"size": 100_000, "cpu_s": 5.2,
                                             "peak_rss_mib": 130.0}]}},
    }


def test_numbers_have_the_digits_they_deserve() -> None:
    assert render.number(12.345, "x") == "12.3x" and render.number(512.4, "x") == "512x"
    assert render.number(0.3456, "share") == "0.35"
    assert render.number(0.123, "s") == "0.12 s" and render.number(45.6, "s") == "45.6 s"
    assert render.number(123.4, "s") == "123 s"
    assert render.number(15_800_000, "rate") == "15.8M"
    assert render.number(float("nan"), "x") == "-" and render.number(None) == "-"


def test_dominant_phases_are_shares_of_the_split() -> None:
    assert render.dominant({"metrics": 3.0, "serving": 1.0, "clicks": 0.5, "arrivals": 0.5}) \
        == "metrics 60%, serving 20%, clicks 10%"
    assert render.dominant({}) == "-"


def test_markdown_report_holds_every_table_and_escapes_pipes() -> None:
    text = render.report(_report(), markdown=True)
    assert "| figure | value | target | met | how |" in text
    assert "| mf / ctr time | 12.3x | <= 10 | no | mf 18 s \\| ctr 1.5 s |" in text
    assert "| default_ctr |" in text and "metrics 60%, serving 20%, clicks 10%" in text
    assert "| trecs_10_steps |" in text and "T-RECS is not installed" in text
    assert "| ctr | users | 10,000 / 100,000 | 0.50 / 5.20 | 90 / 130 | 1.02 | 0.30 |" in text
    assert "load average 0.5 / 0.6 / 0.7 at the start" in text and "`loopsim-bench`" in text
    for line in text.splitlines():  # every table line has as many cells as its header
        if line.startswith("| ---"):
            assert line.count("|") in (6, 8)


def test_text_report_aligns_columns() -> None:
    text = render.report(_report())
    lines = text.splitlines()
    header = next(ln for ln in lines if ln.startswith("figure"))
    rule = lines[lines.index(header) + 1]
    assert set(rule.replace(" ", "")) == {"-"}
    assert header.index("value") == lines[lines.index(header) + 2].index("12.3x")
    report = _report()
    del report["growth"]
    report["figures"] = {}
    assert "Growth" not in render.report(report) and "Figures" not in render.report(report)
