"""resume=true keeps only sealed, completed runs of the same config made by this loopsim."""

from __future__ import annotations

from pathlib import Path

from loopsim.experiments.runs.faults import completion
from loopsim.simulator.io.results import SCHEMA_VERSION, versions
from omegaconf import OmegaConf
from run_folders import make_run

CONFIG = {"seed": 1, "horizon": 2.0}


def test_a_run_of_this_version_and_config_is_kept(tmp_path: Path) -> None:
    assert completion(make_run(tmp_path, config=CONFIG), OmegaConf.create(CONFIG)) == (True, "")


def test_a_run_of_another_loopsim_version_is_rerun(tmp_path: Path) -> None:
    run = make_run(tmp_path, config=CONFIG, versions={**versions(), "loopsim": "0.0.1"})
    done, why = completion(run, OmegaConf.create(CONFIG))
    assert not done
    assert why == f"made by loopsim '0.0.1', this is loopsim {versions()['loopsim']!r}"


def test_a_run_of_another_schema_is_rerun(tmp_path: Path) -> None:
    run = make_run(tmp_path, config=CONFIG, schema_version=SCHEMA_VERSION + 1)
    done, why = completion(run, OmegaConf.create(CONFIG))
    assert not done and f"schema version {SCHEMA_VERSION + 1}" in why


def test_a_legacy_run_without_checksums_is_rerun(tmp_path: Path) -> None:
    run = make_run(tmp_path, config=CONFIG, outputs=None)
    done, why = completion(run, OmegaConf.create(CONFIG))
    assert not done and "records no checksums" in why
