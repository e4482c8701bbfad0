"""loopsim-ope checks a target's overrides against the policy's declared ranges."""

from __future__ import annotations

from pathlib import Path

from loopsim.experiments.ope.cli import main


def test_an_out_of_range_prior_is_refused(greedy_run: Path, capsys) -> None:
    assert main([str(greedy_run), "--policy", "ctr", "policy.estimator.prior_mean=5"]) == 2
    err = capsys.readouterr().err
    assert "`policy.estimator.prior_mean == 5`" in err and "Traceback" not in err


def test_a_folder_as_json_report_is_refused(greedy_run: Path, tmp_path: Path, capsys) -> None:
    assert main([str(greedy_run), "--policy", "ctr", "--json", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
