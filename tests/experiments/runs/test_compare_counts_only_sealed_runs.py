"""loopsim-compare counts only completed runs whose checksums hold; every other run is
listed with its cause, and groups that pool different configs are named."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from loopsim.experiments.compare.cli import compare, main
from loopsim.experiments.runs.table import read_run
from loopsim.simulator.errors import DataError
from run_folders import make_run


def statuses(sweep: Path) -> dict[str, tuple[str, str]]:
    runs = compare([sweep], plots=False).runs
    return {Path(p).name: (s, r) for p, s, r in zip(runs["path"], runs["status"],
                                                    runs["reason"], strict=True)}


def test_only_sealed_completed_runs_count(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    make_run(sweep / "0", seed=0, gini=0.4)
    make_run(sweep / "1", seed=1, gini=0.6)
    make_run(sweep / "2", seed=2, gini=0.99, status="running")
    make_run(sweep / "3", seed=3, gini=0.99, outputs=None)            # no checksums
    make_run(sweep / "4", seed=4, gini=0.99, schema_version=1)        # another layout
    make_run(sweep / "5", seed=5, gini=0.99, status="Completed")      # not the word
    result = compare([sweep], plots=False)
    row = result.summary.row(0, named=True)
    assert row["runs"] == 2
    assert row["gini_exposure_mean"] == pytest.approx(0.5)
    found = statuses(sweep)
    assert found["2"][0] == "missing" and "status 'running'" in found["2"][1]
    assert found["3"][0] == "failed" and "records no checksums" in found["3"][1]
    assert found["4"][0] == "failed" and "schema version 1" in found["4"][1]
    assert found["5"][0] == "missing" and "not 'completed'" in found["5"][1]


def test_another_runs_metrics_under_a_summary_are_refused(tmp_path: Path) -> None:
    """A summary copied next to other files: the checksums name the file."""
    make_run(tmp_path / "s" / "0", gini=0.4)
    other = make_run(tmp_path / "other", gini=0.9)
    (tmp_path / "s" / "0" / "metrics.parquet").write_bytes(
        (other / "metrics.parquet").read_bytes())
    info = read_run(tmp_path / "s" / "0")
    assert info.status == "failed"
    assert "metrics.parquet" in info.reason
    assert "SHA-256 differs" in info.reason or "bytes, but" in info.reason


def test_a_sealed_file_without_the_columns_compare_reads_is_refused(tmp_path: Path) -> None:
    run = make_run(tmp_path / "0")
    pl.DataFrame({"x": [1]}).write_parquet(run / "metrics.parquet")
    data = json.loads((run / "summary.json").read_text())
    data.pop("outputs")
    from loopsim.simulator.io.results import write_summary

    write_summary(run, data)
    info = read_run(run)
    assert (info.status, info.reason) == ("failed", f"{run / 'metrics.parquet'}: no column `t`")


@pytest.mark.parametrize("text", ["[1, 2]", '"completed"', "{truncated", "", "null",
                                  '{"status": "failed", "error": "boom"}',
                                  '{"status": "completed", "labels": 3, "config": [1]}'])
def test_a_corrupt_summary_is_reported_not_a_crash(tmp_path: Path, text: str) -> None:
    make_run(tmp_path / "s" / "0", seed=0)
    bad = make_run(tmp_path / "s" / "1", seed=1)
    (bad / "summary.json").write_text(text)
    found = statuses(tmp_path / "s")
    assert found["0"] == ("completed", "")
    assert found["1"][0] in ("failed", "missing") and found["1"][1]


def test_pooled_runs_with_other_configs_are_named(tmp_path: Path, capsys) -> None:
    sweep = tmp_path / "sweep"
    make_run(sweep / "0", seed=0, config={"seed": 0, "horizon": 2.0, "tick": 0.05})
    make_run(sweep / "1", seed=1, config={"seed": 1, "horizon": 9.0, "tick": 0.05})
    result = compare([sweep], plots=False)
    assert len(result.warnings) == 1
    assert "group `popularity` pools runs whose configs differ beyond their overrides" \
        in result.warnings[0]
    assert "horizon: 2.0 vs 9.0" in result.warnings[0]
    assert "## Warnings" in (sweep / "summary.md").read_text()
    assert main([str(sweep), "--no-plots"]) == 0
    assert "loopsim-compare: warning: group `popularity`" in capsys.readouterr().err
    with pytest.raises(DataError, match="drop --strict-configs"):
        compare([sweep], plots=False, strict_configs=True)
    assert main([str(sweep), "--no-plots", "--strict-configs"]) == 2


def test_replicates_differing_only_in_seeds_are_not_flagged(tmp_path: Path) -> None:
    make_run(tmp_path / "0", seed=0, config={"seed": 0, "world": {"seed": 3}, "label": "a"})
    make_run(tmp_path / "1", seed=1, config={"seed": 1, "world": {"seed": 4}, "label": "b"})
    assert compare([tmp_path], plots=False).warnings == ()


@pytest.mark.parametrize("args", [["--metrics", "bogus metric!"], ["--metrics", ","]])
def test_bad_metrics_option_is_named(tmp_path: Path, args: list[str], capsys) -> None:
    make_run(tmp_path / "0")
    assert main([str(tmp_path), "--no-plots", *args]) == 2
    assert "`--metrics" in capsys.readouterr().err


def test_a_file_as_out_is_refused(tmp_path: Path, capsys) -> None:
    make_run(tmp_path / "0")
    (tmp_path / "out.txt").write_text("mine")
    assert main([str(tmp_path), "--no-plots", "--out", str(tmp_path / "out.txt")]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert (tmp_path / "out.txt").read_text() == "mine"
