"""Malformed histories (``cold_start=history``) are refused before the policy sees a row.

A hypothesis strategy turns a valid logged history into an invalid one (one bad value,
a wrong dtype, a null, a dropped column, repeated impressions, an emptied or truncated
file, a copied file in the folder); :func:`read_feedback` must raise a
:class:`DataError` naming the file, and nothing else (no other exception, no Feedback).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import ClickCount
from loopsim.policies.selectors import Greedy
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.errors import DataError
from loopsim.simulator.io.feedback_checks import Bounds
from loopsim.simulator.io.impression_log import ImpressionLog, read_feedback

N_USERS, N_ITEMS, K = 100, 30, 5
BOUNDS = Bounds(slate_size=K, n_users=N_USERS, n_items=N_ITEMS)

BAD_VALUES: dict[str, list] = {
    "t": [float("nan"), float("inf"), -float("inf")],
    "user": [-1, N_USERS, 10**9],
    "item": [-1, N_ITEMS, 10**6],
    "rank": [-1, K + 1, 100],
    "click": [2, 5, -1],
    "reward": [float("nan"), float("inf"), -1.0, -0.25],
    "propensity": [float("nan"), 0.0, -0.5, 1.5, float("inf")],
    "source": [2, -1],
}
BAD_DTYPES = {"t": pl.Utf8, "user": pl.Float64, "item": pl.Utf8, "rank": pl.Float32,
              "click": pl.Float64, "reward": pl.Utf8, "propensity": pl.Utf8,
              "source": pl.Float64}
WIDE = {"click": pl.Int64, "reward": pl.Float64, "propensity": pl.Float64, "t": pl.Float64,
        "source": pl.Int64}


@cache
def history() -> pl.DataFrame:
    """A valid history: one day of a popularity run in a small open world."""
    folder = Path(tempfile.mkdtemp())
    log = ImpressionLog(folder / "impressions", chunk_rows=10**9)
    world = SyntheticWorld(n_users=N_USERS, n_items=N_ITEMS, item_arrival_rate=0.0)
    Simulation(world, PositionBasedModel(), ComposedPolicy(ClickCount(), Greedy()),
               SimulationConfig(horizon=1.0, slate_size=K, progress=False), seed=1,
               impression_log=log).run().raise_for_status()
    frame = pl.concat([pl.read_parquet(f) for f in log.files])
    shutil.rmtree(folder)
    return frame


Mutation = Callable[[pl.DataFrame], pl.DataFrame]


def set_value(column: str, value: object, row: int) -> Mutation:
    def mutate(frame: pl.DataFrame) -> pl.DataFrame:
        if column in WIDE:
            frame = frame.with_columns(pl.col(column).cast(WIDE[column]))
        values = frame[column].to_list()
        values[row % frame.height] = value
        return frame.with_columns(pl.Series(column, values, dtype=frame.schema[column]))
    return mutate


def reward_without_click(row: int) -> Mutation:
    def mutate(frame: pl.DataFrame) -> pl.DataFrame:
        unclicked = np.flatnonzero(~frame["click"].to_numpy())
        i = int(unclicked[row % unclicked.size])
        reward = frame["reward"].to_numpy().copy()
        reward[i] = 0.5
        return frame.with_columns(pl.Series("reward", reward))
    return mutate


def cast(column: str) -> Mutation:
    return lambda frame: frame.with_columns(pl.col(column).cast(BAD_DTYPES[column]))


def null(column: str, row: int) -> Mutation:
    def mutate(frame: pl.DataFrame) -> pl.DataFrame:
        i = row % frame.height
        return frame.with_row_index("i").with_columns(
            pl.when(pl.col("i") == i).then(None).otherwise(pl.col(column)).alias(column)
        ).drop("i")
    return mutate


def drop(column: str) -> Mutation:
    return lambda frame: frame.drop(column)


def repeat(start: int, length: int) -> Mutation:
    return lambda frame: pl.concat([frame, frame.slice(start % frame.height, length)])


def empty() -> Mutation:
    return lambda frame: frame.head(0)


COLUMNS = sorted(BAD_VALUES)
rows = st.integers(0, 100_000)
mutations = st.one_of(
    st.sampled_from(COLUMNS).flatmap(
        lambda c: st.builds(set_value, st.just(c), st.sampled_from(BAD_VALUES[c]), rows)),
    st.builds(reward_without_click, rows),
    st.builds(cast, st.sampled_from(COLUMNS)),
    st.builds(null, st.sampled_from(COLUMNS), rows),
    st.builds(drop, st.sampled_from([c for c in COLUMNS if c != "source"])),
    st.builds(repeat, rows, st.integers(1, 50)),
    st.just(empty()),
)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def test_the_unmutated_history_is_read() -> None:
    """The fuzz can fail: the intact history is read, re-based to end at day 0."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "h.parquet"
        history().write_parquet(path)
        got = read_feedback(path, BOUNDS)
    t = history()["t"].to_numpy()
    assert len(got) == history().height
    np.testing.assert_allclose(got.t, t - t.max())
    assert got.t.max() == 0.0


@SETTINGS
@given(mutate=mutations)
def test_malformed_history_is_refused(mutate: Mutation) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.parquet"
        mutate(history()).write_parquet(path)
        with pytest.raises(DataError, match=r"history_path .*history\.parquet"):
            read_feedback(path, BOUNDS)


@SETTINGS
@given(cut=st.floats(0.0, 0.95), junk=st.binary(max_size=64))
def test_truncated_or_foreign_files_are_refused(cut: float, junk: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.parquet"
        history().write_parquet(path)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * cut)] + junk)
        with pytest.raises(DataError, match="not readable as Parquet"):
            read_feedback(path, BOUNDS)


@settings(max_examples=20, deadline=None)
@given(start=rows, length=st.integers(1, 400))
def test_a_chunk_copied_into_the_folder_is_refused(start: int, length: int) -> None:
    """Repeated impressions across the files of a folder (a chunk copied twice)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        frame = history()
        frame.write_parquet(folder / "part-00000.parquet")
        frame.slice(start % frame.height, length).write_parquet(folder / "part-00001.parquet")
        with pytest.raises(DataError, match="is repeated"):
            read_feedback(folder, BOUNDS)


def test_loopsim_refuses_a_bad_history_in_one_line(tmp_path: Path) -> None:
    """The command: exit 2, one line on stderr naming the file and the value, no run."""
    path = tmp_path / "history.parquet"
    set_value("click", 5, 3)(history()).write_parquet(path)
    done = subprocess.run(
        [sys.executable, "-m", "loopsim.experiments.cli.run", "cold_start=history",
         f"history_path={path}", "horizon=1", "world.n_users=100", "world.n_items=30",
         "world.item_arrival_rate=0", f"slate_size={K}", "progress=false",
         f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "field `click` is 5 at row 3" in lines[0], done.stderr
    assert not (tmp_path / "run" / "metrics.parquet").exists()
