"""Golden runs: every built-in policy gives the stored metrics, bit for bit.

The files in ``tests/golden/`` hold ``t, metric, value`` (the ``slice == "all"`` rows;
slices are off by default) of one small run per built-in policy config (the settings in
:data:`SETTINGS`, ``seed=3``). A change that moves any number fails here; when the change
is meant (a new default, a fixed artefact), rerun with ``LOOPSIM_UPDATE_GOLDEN=1`` and
say in the commit why the numbers moved.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.cli.runner import run_config

GOLDEN = Path(__file__).resolve().parents[1] / "golden"

#: The small run each golden file was made with (plus ``policy=<name>``).
SETTINGS = ["horizon=5", "world.n_users=300", "world.n_items=100",
            "world.item_arrival_rate=2", "slate_size=5", "seed=3", "progress=false"]

POLICIES = sorted(p.stem for p in GOLDEN.glob("*.parquet"))


def test_every_builtin_policy_has_a_golden_run() -> None:
    """A policy config added without its golden file is caught."""
    configs = {p.stem for p in Path(CONF_DIR, "policy").glob("[!_]*.yaml")} - {"custom"}
    assert configs <= set(POLICIES), sorted(configs - set(POLICIES))


@pytest.mark.parametrize("policy", POLICIES)
def test_metrics_equal_the_golden_run(policy: str, tmp_path: Path) -> None:
    """Same config, same seed: the same metrics as stored, bit for bit."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[f"policy={policy}", *SETTINGS])
    run_config(cfg, tmp_path, policy)
    got = (pl.read_parquet(tmp_path / "metrics.parquet").filter(pl.col("slice") == "all")
           .select("t", "metric", "value"))
    path = GOLDEN / f"{policy}.parquet"
    if os.environ.get("LOOPSIM_UPDATE_GOLDEN") == "1":
        got.write_parquet(path)
    want = pl.read_parquet(path)
    assert got.shape == want.shape
    assert got["metric"].to_list() == want["metric"].to_list()
    assert got["t"].to_list() == want["t"].to_list()
    diff = [(m, t, a, b) for m, t, a, b in zip(got["metric"], got["t"], got["value"],
                                                 want["value"], strict=True)
            if not (a == b or (a != a and b != b))]
    assert not diff, f"{len(diff)} values differ, first: {diff[:5]}"
