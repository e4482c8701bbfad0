"""Reading MovieLens-style ratings files, with errors that name the file, line and reason.

Two formats:

* ``csv``: comma-separated with the header ``userId,movieId,rating,timestamp``
  (MovieLens ``ratings.csv``: ml-latest, ml-25m, ...);
* ``tsv``: tab-separated ``user item rating timestamp`` without header (ml-100k
  ``u.data``).

Every rating must lie on the declared rating scale (``scale``, default MovieLens'
0.5..5 stars, :data:`MOVIELENS_SCALE`; the ratings world's ``rating_min`` and
``rating_max``): one row of -1000 or 1e308 would otherwise rescale the whole world
(the world's relevance is rescaled from the file's rating range), so it is refused with
the file, its line, the value and the fix (correct the row, or declare the file's scale).

Blank lines are skipped and a UTF-8 byte-order mark is accepted. A malformed file
raises :class:`~loopsim.simulator.errors.DataError` with the file, the 1-based line number and
the reason. So does a file whose ratings cannot calibrate a world: all ratings equal (no
variance: every relevance would be 0; :func:`check_variance`, called by the ratings
world), or a (user, item) pair rated twice, unless
``duplicates`` says how to combine them (``mean``, ``last`` in file order, ``sum``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from loopsim.simulator.errors import ConfigError, DataError

#: The header of MovieLens' ``ratings.csv``.
CSV_HEADER = ("userId", "movieId", "rating", "timestamp")
FORMATS = ("auto", "csv", "tsv")
#: How repeated (user, item) rows are combined (``None``: refused).
DUPLICATES = ("mean", "last", "sum")
_COLUMNS = ("user", "item", "rating", "timestamp")
#: The rating scale of MovieLens files (ml-latest: 0.5..5 in half stars; ml-100k: 1..5).
MOVIELENS_SCALE = (0.5, 5.0)


@dataclass(frozen=True)
class Ratings:
    """Ratings as columns, in file order.

    Attributes:
        user: ``(N,)`` int64 user ids as in the file.
        item: ``(N,)`` int64 item ids as in the file.
        rating: ``(N,)`` float64 ratings.
        timestamp: ``(N,)`` int64 timestamps.
    """

    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray
    timestamp: np.ndarray

    def __len__(self) -> int:
        return int(self.rating.shape[0])


def read_ratings(path: str | Path, format: str = "auto", duplicates: str | None = None,
                 scale: tuple[float, float] = MOVIELENS_SCALE) -> Ratings:
    """Read a ratings file.

    Args:
        path: The file.
        format: ``"csv"``, ``"tsv"`` or ``"auto"`` (``csv`` when the first line holds a
            comma, else ``tsv``).
        duplicates: How rows repeating a (user, item) pair are combined: ``"mean"``,
            ``"last"`` (in file order) or ``"sum"`` of the ratings, the latest
            timestamp; ``None`` refuses such a file.
        scale: ``(lowest, highest)`` rating allowed; a rating outside is refused.

    Returns:
        The ratings.

    Raises:
        DataError: The file is missing, empty or malformed (file, line and reason).
        ConfigError: ``format`` or ``duplicates`` is not one of the allowed values.
    """
    p = Path(path)
    if format not in FORMATS:
        raise ConfigError(f"`world.format == {format!r}`: must be one of {list(FORMATS)}.")
    if duplicates is not None and duplicates not in DUPLICATES:
        raise ConfigError(f"`world.duplicates == {duplicates!r}`: must be null or one of "
                          f"{list(DUPLICATES)}.")
    if not p.is_file():
        raise DataError(f"{p}: no such ratings file (set `world.path` to a ratings file).")
    with p.open("r", encoding="utf-8-sig", errors="replace") as f:
        first = f.readline()
    if not first.strip():
        raise DataError(f"{p}, line 1: the file is empty or starts with a blank line; "
                        "expected ratings.")
    if format == "auto":
        format = "csv" if "," in first else "tsv"
    sep, header = ("," if format == "csv" else "\t"), format == "csv"
    if header:
        got = tuple(x.strip() for x in first.rstrip("\r\n").split(","))
        if got != CSV_HEADER:
            raise DataError(f"{p}, line 1: expected the header {','.join(CSV_HEADER)!r}, "
                            f"got {first.rstrip()!r}.")
    ratings = _read_fast(p, sep, header)
    if ratings is None:
        _raise_first_error(p, sep, header)
        raise DataError(f"{p}: the file holds no ratings (only a header or blank lines).")
    if len(ratings) == 0:
        raise DataError(f"{p}: the file holds no ratings.")
    low, high = scale
    outside = (ratings.rating < low) | (ratings.rating > high)
    if outside.any():
        _raise_outside_scale(p, sep, header, scale, int(outside.sum()))
    return _combine_duplicates(p, ratings, duplicates)


def _raise_outside_scale(path: Path, sep: str, header: bool, scale: tuple[float, float],
                         n: int) -> None:
    """Raise a DataError at the first line whose rating is off the scale."""
    low, high = scale
    with path.open("r", encoding="utf-8-sig", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            fields = line.rstrip("\r\n").split(sep)
            if (header and number == 1) or len(fields) != 4:
                continue
            rating = float(fields[2])
            if not low <= rating <= high:
                raise DataError(
                    f"{path}, line {number}: rating {fields[2].strip()!r} is outside the "
                    f"rating scale [{low:g}, {high:g}] ({n:,} rating(s) outside): correct the "
                    "row, or declare the file's scale with world.rating_min and "
                    "world.rating_max.")
    raise DataError(f"{path}: {n:,} rating(s) outside the rating scale [{low:g}, {high:g}].")


def check_variance(path: str | Path, ratings: Ratings) -> None:
    """Raise :class:`DataError` when every rating is equal (nothing to calibrate from)."""
    low, high = float(ratings.rating.min()), float(ratings.rating.max())
    if low == high:
        raise DataError(
            f"{path}: all {len(ratings)} ratings equal {low:g}: with no variance every "
            "relevance would be 0 and no session would click. Use a file whose ratings differ."
        )


def _combine_duplicates(path: Path, r: Ratings, how: str | None) -> Ratings:
    """Ratings with one row per (user, item): refused, or combined ``how``."""
    df = pl.DataFrame({"user": r.user, "item": r.item, "rating": r.rating,
                       "timestamp": r.timestamp}).with_row_index("row")
    counts = df.group_by("user", "item").agg(pl.len().alias("n"), pl.col("row").head(2))
    repeated = counts.filter(pl.col("n") > 1).sort(pl.col("row").list.first())
    if repeated.height == 0:
        return r
    if how is None:
        first = repeated.row(0, named=True)
        rows = " and ".join(str(i + 1) for i in first["row"])
        raise DataError(
            f"{path}: {repeated.height} (user, item) pairs are rated more than once, first "
            f"user {first['user']}, item {first['item']} ({first['n']} times, data rows "
            f"{rows}). Remove the repeats or set world.duplicates=mean|last|sum."
        )
    value = {"mean": pl.col("rating").mean(), "last": pl.col("rating").last(),
             "sum": pl.col("rating").sum()}[how]
    out = (df.group_by("user", "item", maintain_order=True)
           .agg(value.alias("rating"), pl.col("timestamp").max(), pl.col("row").first())
           .sort("row"))
    return Ratings(out["user"].to_numpy(), out["item"].to_numpy(),
                   out["rating"].to_numpy().astype(np.float64), out["timestamp"].to_numpy())


def _read_fast(path: Path, sep: str, header: bool) -> Ratings | None:
    """Read with polars; ``None`` when anything is off (then the slow scan explains)."""
    try:
        df = pl.read_csv(
            path, separator=sep, has_header=False, skip_rows=1 if header else 0,
            new_columns=list(_COLUMNS), schema_overrides=dict.fromkeys(_COLUMNS, pl.Utf8),
            infer_schema=False, truncate_ragged_lines=False, comment_prefix=None,
        )
        if df.width != 4:
            return None
        df = df.filter(~pl.all_horizontal(pl.all().is_null()))  # blank lines
        out = df.select(
            pl.col("user").str.strip_chars().cast(pl.Int64, strict=False),
            pl.col("item").str.strip_chars().cast(pl.Int64, strict=False),
            pl.col("rating").str.strip_chars().cast(pl.Float64, strict=False),
            pl.col("timestamp").str.strip_chars().cast(pl.Int64, strict=False),
        )
    except Exception:  # noqa: BLE001 - any parse failure falls back to the explaining scan
        return None
    if out.null_count().sum_horizontal().item() > 0:
        return None
    rating = out["rating"].to_numpy()
    if not np.all(np.isfinite(rating)):
        return None
    return Ratings(out["user"].to_numpy(), out["item"].to_numpy(), rating,
                   out["timestamp"].to_numpy())


def _raise_first_error(path: Path, sep: str, header: bool) -> None:
    """Scan the file line by line and raise a DataError at the first malformed line."""
    name = "comma" if sep == "," else "tab"
    with path.open("r", encoding="utf-8-sig", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if header and number == 1:
                continue
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            fields = text.split(sep)
            if len(fields) != 4:
                raise DataError(
                    f"{path}, line {number}: expected 4 {name}-separated fields "
                    f"(user, item, rating, timestamp), got {len(fields)}: {text!r}."
                )
            for column, value, kind in zip(_COLUMNS, fields, (int, int, float, int), strict=True):
                reason = _bad_value(value.strip(), kind)
                if reason:
                    raise DataError(f"{path}, line {number}: {column} {reason}: {text!r}.")


def _bad_value(value: str, kind: type) -> str | None:
    try:
        v = kind(value)
    except ValueError:
        return f"{value!r} is not {'an integer' if kind is int else 'a number'}"
    if kind is float and not math.isfinite(v):
        return f"{value!r} is not a finite number"
    return None


__all__ = ["CSV_HEADER", "DUPLICATES", "MOVIELENS_SCALE", "Ratings", "check_variance",
           "read_ratings"]
