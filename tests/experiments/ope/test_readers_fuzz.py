"""Malformed logs and truths fed to ``loopsim-ope`` and ``loopsim-export`` (hypothesis).

Every mutation below makes the run folder invalid: a bad value in one row of one chunk,
a wrong dtype, a null, a dropped column, duplicated impressions or a duplicated chunk,
a truncated or emptied file, a damaged ``truth/``, a bad ``summary.json`` field. Both
commands must refuse it: a non-zero exit, one line on stderr naming the file, nothing
on stdout (no number), and no traceback (an exception other than a loopsim error
escaping ``main`` fails the test).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopsim.experiments.ope.cli import main as ope_main
from loopsim.experiments.ope.export import main as export_main

#: Values no logged row may hold, per column (``k`` = slate size 4, horizon 4 days).
BAD_VALUES: dict[str, list] = {
    "t": [float("nan"), float("inf"), -float("inf"), -1.0, 4.5, 1e9],
    "user": [-1, 200, 10**9],
    "item": [-1, 10**6],
    "rank": [-1, 5, 100],
    "click": [2, 5, -1],
    "reward": [float("nan"), float("inf"), -1.0, -1e-3],
    "propensity": [float("nan"), 0.0, -0.5, 1.5, float("inf")],
}
#: Casts to a dtype no reader accepts for that column.
BAD_DTYPES = {"t": pl.Utf8, "user": pl.Float64, "item": pl.Utf8, "rank": pl.Float32,
              "click": pl.Float64, "reward": pl.Utf8, "propensity": pl.Utf8}

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _chunks(run: Path) -> list[Path]:
    return sorted((run / "impressions").glob("part-*.parquet"))


def _set_value(column: str, value: object, row: int) -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        chunk = _chunks(run)[0]
        frame = pl.read_parquet(chunk)
        i = row % frame.height
        wide = {"click": pl.Int64, "reward": pl.Float64, "propensity": pl.Float64,
                "t": pl.Float64}  # a dtype the readers accept, wide enough for the value
        if column in wide:
            frame = frame.with_columns(pl.col(column).cast(wide[column]))
        values = frame[column].to_list()
        values[i] = value
        frame.with_columns(pl.Series(column, values, dtype=frame.schema[column],
                                     strict=False)).write_parquet(chunk)
    return mutate


def _reward_without_click(row: int) -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        chunk = _chunks(run)[0]
        frame = pl.read_parquet(chunk).with_row_index("i")
        unclicked = frame.filter(~pl.col("click").cast(pl.Boolean))["i"].to_list()
        i = unclicked[row % len(unclicked)]
        frame.with_columns(pl.when(pl.col("i") == i).then(0.5).otherwise(pl.col("reward"))
                           .cast(frame.schema["reward"]).alias("reward")).drop("i") \
            .write_parquet(chunk)
    return mutate


def _cast(column: str) -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        chunk = _chunks(run)[-1]
        frame = pl.read_parquet(chunk)
        frame.with_columns(pl.col(column).cast(BAD_DTYPES[column])).write_parquet(chunk)
    return mutate


def _null(column: str, row: int) -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        chunk = _chunks(run)[0]
        frame = pl.read_parquet(chunk).with_row_index("i")
        i = row % frame.height
        frame.with_columns(pl.when(pl.col("i") == i).then(None).otherwise(pl.col(column))
                           .alias(column)).drop("i").write_parquet(chunk)
    return mutate


def _drop(column: str) -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        chunk = _chunks(run)[1]
        pl.read_parquet(chunk).drop(column).write_parquet(chunk)
    return mutate


def _duplicate_rows(start: int, length: int) -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        chunk = _chunks(run)[0]
        frame = pl.read_parquet(chunk)
        pl.concat([frame, frame.slice(start % frame.height, length)]).write_parquet(chunk)
    return mutate


def _duplicate_chunk(which: int) -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        chunks = _chunks(run)
        source = chunks[which % len(chunks)]
        shutil.copy(source, source.parent / f"part-{len(chunks):05d}.parquet")
    return mutate


def _duplicate_whole_log() -> Callable[[Path], None]:
    """Every chunk copied after the log (sessions stay aligned: only the key check sees it)."""
    def mutate(run: Path) -> None:
        chunks = _chunks(run)
        whole = pl.concat([pl.read_parquet(c) for c in chunks])
        for c in chunks:
            c.unlink()
        pl.concat([whole, whole]).write_parquet(run / "impressions" / "part-00000.parquet")
    return mutate


def _truncate(fraction: float) -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        chunk = _chunks(run)[0]
        data = chunk.read_bytes()
        chunk.write_bytes(data[: int(len(data) * fraction)])
    return mutate


def _empty_log() -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        for chunk in _chunks(run):
            pl.read_parquet(chunk).head(0).write_parquet(chunk)
    return mutate


def _truth_array(name: str, how: str) -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        path = run / "truth" / name
        array = np.load(path)
        if how == "nan":
            array = np.full_like(array, np.nan, dtype=np.float64)
        elif how == "shape":
            array = array[..., :-1]
        elif how == "range":
            array = array.astype(np.float64) * -3 - 1
        if how == "truncate":
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
        else:
            np.save(path, array)
    return mutate


def _truth_json(field: str, value: object) -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        path = run / "truth" / "truth.json"
        if field == "":
            path.write_text(str(value))
            return
        meta = json.loads(path.read_text())
        meta[field] = value
        path.write_text(json.dumps(meta))
    return mutate


def _summary(field: str, value: object) -> Callable[[Path], None]:
    def mutate(run: Path) -> None:
        path = run / "summary.json"
        summary = json.loads(path.read_text())
        summary["config"][field] = value
        path.write_text(json.dumps(summary))
    return mutate


COLUMNS = sorted(BAD_VALUES)
rows = st.integers(0, 10_000)
mutations = st.one_of(
    st.sampled_from(COLUMNS).flatmap(
        lambda c: st.builds(_set_value, st.just(c), st.sampled_from(BAD_VALUES[c]), rows)),
    st.builds(_reward_without_click, rows),
    st.builds(_cast, st.sampled_from(COLUMNS)),
    st.builds(_null, st.sampled_from(COLUMNS), rows),
    st.builds(_drop, st.sampled_from(COLUMNS)),
    st.builds(_duplicate_rows, rows, st.integers(1, 40)),
    st.builds(_duplicate_chunk, st.integers(0, 10)),
    st.just(_duplicate_whole_log()),
    st.builds(_truncate, st.floats(0.0, 0.95)),
    st.just(_empty_log()),
    st.builds(_truth_array, st.sampled_from(["relevance.npy", "true_value.npy",
                                             "arrival_time.npy"]),
              st.sampled_from(["nan", "shape", "truncate", "range"])),
    st.tuples(st.sampled_from(["", "n_items", "n_users", "examination", "is_global"]),
              st.sampled_from(["{", "[1, 2]", None, "x", -3, [float("nan")], 2.5]))
    # `examination: null` is what a click model without a position curve writes: valid
    .filter(lambda change: change != ("examination", None))
    .map(lambda change: _truth_json(*change)),
    st.builds(_summary, st.sampled_from(["slate_size", "horizon"]),
              st.sampled_from([0, -1, "four", None, float("nan"), 2.5, True])),
)


def _scores(run: Path, folder: Path) -> Path:
    n = pl.read_parquet(run / "items.parquet").height
    path = folder / "scores.parquet"
    pl.DataFrame({"item": np.arange(n), "score": np.linspace(1, 0, n)}).write_parquet(path)
    return path


def _refused(code: int, out: str, err: str) -> None:
    assert code != 0, f"exit 0 on a malformed run: {out!r}"
    assert out == "", f"numbers printed from a malformed run: {out!r}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err


def _mutated_copy(eps_run: Path, folder: Path, mutate: Callable[[Path], None]) -> Path:
    run = folder / "run"
    shutil.copytree(eps_run, run)
    mutate(run)
    return run


def test_the_unmutated_run_is_accepted(eps_run: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The fuzz can fail: the same commands on the intact copy exit 0 with numbers."""
    run = _mutated_copy(eps_run, tmp_path, lambda run: None)
    assert ope_main([str(run), "--model", str(_scores(run, tmp_path))]) == 0
    assert export_main([str(run), "--out", str(tmp_path / "log.npz")]) == 0
    assert "ips" in capsys.readouterr().out


@SETTINGS
@given(mutate=mutations)
def test_malformed_runs_are_refused_by_ope(eps_run: Path, mutate: Callable[[Path], None],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scores = _scores(eps_run, folder)
        run = _mutated_copy(eps_run, folder, mutate)
        capsys.readouterr()
        code = ope_main([str(run), "--model", str(scores)])
        _refused(code, *capsys.readouterr())


@SETTINGS
@given(mutate=mutations)
def test_malformed_runs_are_refused_by_export(eps_run: Path, mutate: Callable[[Path], None],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run = _mutated_copy(eps_run, folder, mutate)
        capsys.readouterr()
        code = export_main([str(run), "--out", str(folder / "log.npz")])
        _refused(code, *capsys.readouterr())
        assert not (folder / "log.npz").exists()


@pytest.mark.parametrize("until", ["nan", "inf", "-1", "1e9", "4"])
def test_train_until_outside_the_log_is_refused(eps_run: Path, until: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """``--train-until nan|1e9``: refused, naming the flag and the log's days."""
    code = ope_main([str(eps_run), "--policy", "ctr", "--train-until", until])
    out, err = capsys.readouterr()
    _refused(code, out, err)
    assert "--train-until" in err and "0 <= day < 4" in err


def test_a_split_after_the_last_session_is_refused(eps_run: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A day inside the horizon but after every logged session leaves nothing to evaluate."""
    last = pl.scan_parquet(eps_run / "impressions" / "*.parquet").select(
        pl.col("t").max()).collect().item()
    code = ope_main([str(eps_run), "--policy", "ctr", "--train-until", f"{last + 1e-6!r}"])
    out, err = capsys.readouterr()
    _refused(code, out, err)
    assert "no logged session" in err


@pytest.mark.parametrize("frame", [
    pl.DataFrame({"item": ["0", "1"], "score": [1.0, 0.5]}),
    pl.DataFrame({"item": [0, 1], "score": ["high", "low"]}),
    pl.DataFrame({"item": [0, None], "score": [1.0, 0.5]}),
    pl.DataFrame({"item": [0, 0], "score": [1.0, 0.5]}),
    pl.DataFrame({"item": [0, 10**6], "score": [1.0, 0.5]}),
    pl.DataFrame({"item": [0, 1], "score": [1.0, float("nan")]}),
], ids=["text ids", "text scores", "null id", "item twice", "foreign item", "nan score"])
def test_malformed_model_scores_are_refused(eps_run: Path, tmp_path: Path, frame: pl.DataFrame,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """``--model scores.parquet``: a frozen model's scores file is a reader too."""
    path = tmp_path / "scores.parquet"
    frame.write_parquet(path)
    code = ope_main([str(eps_run), "--model", str(path)])
    out, err = capsys.readouterr()
    _refused(code, out, err)
    assert "scores.parquet" in err
