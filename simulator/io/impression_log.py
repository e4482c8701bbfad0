"""The full impression log, streamed to Parquet in chunks of bounded size (opt-in).

With ``log.impressions=true`` every served impression is written, one row per
(session, rank), with the columns of :class:`~loopsim.simulator.Feedback`, into the run
folder as ``impressions/part-00000.parquet``, ``part-00001.parquet``... Rows are
buffered until ``chunk_rows`` are waiting, then written as one file of exactly
``chunk_rows`` rows (the last file holds the rest), so memory stays bounded by about one
chunk plus one served batch whatever the horizon. Read it back lazily with
``polars.scan_parquet(run_dir / "impressions" / "*.parquet")``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from loopsim.simulator.contract.batches import FEEDBACK_COLUMNS, Feedback
from loopsim.simulator.io.feedback_checks import NO_BOUNDS, Bounds, check_feedback_frame
from loopsim.simulator.io.results import atomic_write
from loopsim.simulator.params.checks import check_positive_int

#: Folder of the chunks inside the run folder.
IMPRESSIONS_DIR = "impressions"


class ImpressionLog:
    """Buffers served feedback and writes it to numbered Parquet chunks.

    Args:
        directory: Folder receiving the chunks (created on the first write).
        chunk_rows: Rows per written file, ``>= 1``.
        compression: Parquet codec (polars names: ``"zstd"``, ``"lz4"``, ``"snappy"``...).
    """

    def __init__(self, directory: str | Path, chunk_rows: int = 1_000_000,
                 compression: str = "zstd") -> None:
        self.directory = Path(directory)
        self.chunk_rows = chunk_rows
        self.compression = compression
        self._buffer: list[Feedback] = []
        self._buffered = 0
        self.rows_written = 0
        self.files: list[Path] = []

    def append(self, feedback: Feedback) -> None:
        """Add a served batch; writes every full chunk now waiting."""
        check_positive_int("log.chunk_rows", self.chunk_rows)
        if len(feedback) == 0:
            return
        self._buffer.append(feedback)
        self._buffered += len(feedback)
        if self._buffered >= self.chunk_rows:
            self._flush_full_chunks()

    def close(self) -> None:
        """Write the remaining buffered rows (if any) as the last chunk."""
        if self._buffered:
            self._write(Feedback.concat(self._buffer))
            self._buffer, self._buffered = [], 0

    def _flush_full_chunks(self) -> None:
        rows = Feedback.concat(self._buffer)
        n, size = len(rows), self.chunk_rows
        start = 0
        while n - start >= size:
            self._write(_slice(rows, start, start + size))
            start += size
        rest = _slice(rows, start, n)
        self._buffer = [rest] if len(rest) else []
        self._buffered = len(rest)

    def _write(self, rows: Feedback) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"part-{len(self.files):05d}.parquet"
        columns = {name: getattr(rows, name) for name in FEEDBACK_COLUMNS}
        columns.update({f"version_{stage}": v for stage, v in (rows.versions or {}).items()})
        frame = pl.DataFrame(columns)
        atomic_write(path, lambda p: frame.write_parquet(p, compression=self.compression))
        self.files.append(path)
        self.rows_written += len(rows)


def _slice(rows: Feedback, start: int, stop: int) -> Feedback:
    """Rows ``start:stop`` of a feedback batch, as copies (so the source can be freed)."""
    versions = None if rows.versions is None else {
        stage: np.array(v[start:stop]) for stage, v in rows.versions.items()}
    return Feedback(**{name: np.array(getattr(rows, name)[start:stop])
                       for name in FEEDBACK_COLUMNS}, versions=versions)


def read_feedback(path: str | Path, bounds: Bounds | None = None) -> Feedback:
    """A logged history as one :class:`Feedback`: a Parquet file, or a folder of them.

    The columns are those of ``Feedback`` (as this log writes them); ``source`` may be
    missing (all rows recommended). Used by ``cold_start=history``. Every row passes
    :func:`~loopsim.simulator.io.feedback_checks.check_feedback_frame` (dtypes, finite
    times, ids within the world, ranks within the slate, clicks 0/1, rewards >= 0 and
    only on clicks, propensities in (0, 1], no repeated impression); an empty history is
    refused.

    The history is the run's past: its times are shifted so that its newest row is at
    day 0, when it is handed to the policy (a run's ``impressions/`` from days 0..5
    becomes days -5..0; gaps between rows are kept). No row can lie in the run's future.

    Args:
        path: A Parquet file or a folder of them.
        bounds: The run's slate size and the world's users and items (checked when given).

    Raises:
        ConfigError: when the path holds no Parquet file.
        DataError: naming the file, the field, the row, the value and the fix, when a
            file is unreadable, lacks a column or holds a bad row.
    """
    from loopsim.simulator.errors import ConfigError, DataError

    where = Path(path)
    files = sorted(where.glob("*.parquet")) if where.is_dir() else [where]
    if not files or not files[0].is_file():
        raise ConfigError(
            f"`history_path == {str(path)!r}`: no Parquet file there. Give a file or a "
            "folder of feedback Parquet files (e.g. a run's impressions/)."
        )
    need = [name for name in FEEDBACK_COLUMNS if name != "source"]
    frames = []
    for f in files:
        frame = _read_history_file(f, need)
        check_feedback_frame(frame, f"history_path {f}", bounds or NO_BOUNDS)
        frames.append(frame)
    try:
        frame = pl.concat(frames, how="diagonal_relaxed")
    except Exception as exc:  # noqa: BLE001 - polars raises several kinds for mixed schemas
        raise DataError(f"history_path {where}: the files' columns do not agree ({exc}); "
                        "give files written by the same loopsim log.") from exc
    if frame.height == 0:
        raise DataError(f"history_path {where}: the history holds no rows; give a log with "
                        "impressions (`loopsim ... log.impressions=true`).")
    if len(frames) > 1:  # repeated impressions across files (a chunk copied twice)
        check_feedback_frame(frame, f"history_path {where} (all files)",
                             columns=("t", "user", "rank"))
    columns = {name: frame[name].to_numpy() for name in need}
    dtypes = {"t": np.float64, "user": np.int64, "item": np.int64, "rank": np.int16,
              "click": np.bool_, "reward": np.float32, "propensity": np.float32}
    columns = {name: np.ascontiguousarray(col, dtype=dtypes[name])
               for name, col in columns.items()}
    columns["t"] = columns["t"] - columns["t"].max()  # the newest row at day 0
    source = None
    if "source" in frame.columns:
        raw = frame["source"].to_numpy()
        source = np.ascontiguousarray(
            raw if raw.dtype.kind in "iu" else raw.astype(str) == "organic", dtype=np.int8)
    return Feedback(**columns, source=source)


def _read_history_file(path: Path, need: list[str]) -> pl.DataFrame:
    """One history file, readable and with the Feedback columns, or a DataError."""
    from loopsim.simulator.errors import DataError

    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - polars raises several kinds for a damaged file
        raise DataError(f"history_path {path}: not readable as Parquet ({type(exc).__name__}):"
                        " the file is corrupt, truncated or not Parquet; give a run's "
                        "impressions/ folder or a file with the Feedback columns.") from exc
    missing = [name for name in need if name not in frame.columns]
    if missing:
        raise DataError(
            f"history_path {path}: column(s) {missing} missing: a history needs the "
            f"Feedback columns {need} (source optional)."
        )
    return frame


__all__ = ["IMPRESSIONS_DIR", "ImpressionLog", "read_feedback"]
