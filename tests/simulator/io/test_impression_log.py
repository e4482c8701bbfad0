"""The streamed Parquet impression log: exact chunks, every row once, bounded buffer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.contract.batches import Feedback, Slates
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.io.impression_log import ImpressionLog

from tests.builtins import make_policy


def _batch(start: int, sessions: int, k: int = 3) -> Feedback:
    items = np.arange(start, start + sessions * k).reshape(sessions, k)
    clicks = np.zeros((sessions, k), dtype=bool)
    clicks[:, 0] = True
    return Feedback.from_slates(np.full(sessions, 0.5), np.arange(sessions), Slates(items),
                                clicks, clicks.astype(np.float32))


def test_chunks_hold_exactly_chunk_rows_and_every_row_once(tmp_path: Path) -> None:
    log = ImpressionLog(tmp_path / "impressions", chunk_rows=7)
    for start in range(0, 60, 15):  # 4 batches of 5 sessions x 3 ranks = 60 rows
        log.append(_batch(start, 5))
        assert log._buffered < 7 + 15  # never more than a chunk plus one batch waits
    log.close()
    sizes = [pl.read_parquet(f).height for f in log.files]
    assert sizes == [7] * 8 + [4]
    assert [f.name for f in log.files][:2] == ["part-00000.parquet", "part-00001.parquet"]
    frame = pl.read_parquet(tmp_path / "impressions" / "*.parquet")
    np.testing.assert_array_equal(frame["item"].to_numpy(), np.arange(60))
    assert frame["rank"].to_list()[:4] == [1, 2, 3, 1]
    assert frame.schema["rank"] == pl.Int16 and frame.schema["click"] == pl.Boolean
    assert log.rows_written == 60


def test_close_without_rows_writes_nothing(tmp_path: Path) -> None:
    log = ImpressionLog(tmp_path / "impressions", chunk_rows=10)
    log.append(Feedback.empty())
    log.close()
    assert log.files == [] and not (tmp_path / "impressions").exists()


def test_bad_chunk_rows_is_a_config_error(tmp_path: Path) -> None:
    log = ImpressionLog(tmp_path, chunk_rows=0)
    with pytest.raises(ConfigError, match="log.chunk_rows"):
        log.append(_batch(0, 2))


def test_engine_streams_every_impression(tmp_path: Path) -> None:
    world = SyntheticWorld(n_users=200, n_items=50, item_arrival_rate=2.0, organic=0.0)
    log = ImpressionLog(tmp_path / "impressions", chunk_rows=1000)
    sim = Simulation(world, PositionBasedModel(), make_policy("popularity"),
                     SimulationConfig(horizon=5.0, progress=False), seed=1, impression_log=log)
    result = sim.run()
    frame = pl.read_parquet(tmp_path / "impressions" / "*.parquet")
    assert frame.height == result.summary["impressions"] == log.rows_written
    assert result.summary["impression_log"] == {"files": len(log.files), "rows": frame.height}
    exposure = np.bincount(frame["item"].to_numpy(), minlength=world.n_items)
    np.testing.assert_array_equal(exposure, result.items["exposure"].to_numpy())
    clicks = np.bincount(frame.filter(pl.col("click"))["item"].to_numpy(),
                         minlength=world.n_items)
    np.testing.assert_array_equal(clicks, result.items["clicks"].to_numpy())
