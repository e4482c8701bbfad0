"""loopsim-export: the obp layout, the Parquet twin, and refused logs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from loopsim.experiments.ope.export import main
from loopsim.experiments.ope.log import iter_sessions, open_run


def test_obp_layout(random_run: Path, tmp_path: Path) -> None:
    assert main([str(random_run), "--format", "obp", "--out", str(tmp_path / "log.npz")]) == 0
    data = np.load(tmp_path / "log.npz")
    meta = json.loads((tmp_path / "log.json").read_text())
    rows = pl.concat([pl.read_parquet(f) for f in open_run(random_run).files])
    rows = rows.filter(pl.col("source") == 0)  # organic rows (rank 0) are not exported
    n = rows.height
    assert int(data["n_rounds"]) == meta["n_rounds"] == n and int(data["len_list"]) == 4
    assert int(data["n_actions"]) == meta["n_actions"]
    assert np.array_equal(data["action"], rows["item"].to_numpy())
    assert np.array_equal(data["position"], rows["rank"].to_numpy() - 1)
    assert np.array_equal(data["reward"], rows["click"].to_numpy().astype(float))
    assert np.allclose(data["pscore"], rows["propensity"].to_numpy())
    assert np.array_equal(data["slate_id"], np.repeat(np.arange(n // 4), 4))
    m = np.rint(1 / data["pscore"][:4])  # uniform over m candidates: prefix probabilities
    assert data["pscore_cascade"][:4] == pytest.approx(np.cumprod(1 / (m - np.arange(4))))
    assert data["pscore_slate"][0] == pytest.approx(data["pscore_cascade"][3])
    assert data["context"].shape == (n, 8) and data["action_context"].shape[1] == 8
    assert set(meta["fields"]) >= {"action", "position", "reward", "pscore", "context"}
    truth = np.mean([np.sum(data["expected_reward_factual"][i:i + 4]) for i in range(0, n, 4)])
    assert meta["logging_true_value"] == pytest.approx(truth)


def test_parquet_twin_uses_loopsim_names(eps_run: Path, tmp_path: Path) -> None:
    assert main([str(eps_run), "--format", "parquet", "--out", str(tmp_path / "log.parquet")]) == 0
    frame = pl.read_parquet(tmp_path / "log.parquet")
    assert {"t", "user", "item", "rank", "position", "click", "reward", "propensity",
            "session", "expected_click"} <= set(frame.columns)
    assert "propensity_slate" not in frame.columns  # epsilon-greedy: not computable
    assert frame.height == 4 * sum(len(b) for b in iter_sessions(open_run(eps_run)))


def test_deterministic_log_is_refused(greedy_run: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(greedy_run), "--out", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err
    assert "field `propensity` is 1 on all" in err and "epsilon_greedy" in err
    assert not (tmp_path / "x.npz").exists()
