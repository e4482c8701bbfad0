"""One validation layer for files of logged feedback: bad rows are refused before any number.

Every reader of ``Feedback``-shaped files (the history of ``cold_start=history``, the
impression log read by ``loopsim-ope`` and ``loopsim-export``) passes each frame it reads
through :func:`check_feedback_frame`. It refuses, with a
:class:`~loopsim.simulator.errors.DataError` naming the file, the field, the first bad row,
its value and the fix:

* a column of the wrong dtype (text where numbers belong, floats where ids belong) and
  null values;
* times that are NaN or infinite, or outside the range the caller allows (a log's
  ``[0, horizon]``);
* negative user or item ids, or ids beyond the world's users and items when known;
* ranks beyond the slate (``1..k`` for recommended rows; organic rows have rank 0);
* clicks other than 0 and 1;
* rewards that are NaN, infinite, negative, or non-zero on a row without a click (the
  contract: a reward follows a click);
* propensities that are NaN or outside (0, 1];
* ``source`` values other than 0 / ``recommended`` and 1 / ``organic``;
* repeated impressions (the same time, user, rank and source twice: a duplicated chunk
  or a file concatenated twice).

An empty frame is the caller's to refuse (an empty history, an empty log), since only it
knows whether that is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
from loopsim.simulator.errors import DataError

#: The columns of a feedback file (``source`` optional).
FEEDBACK_FILE_COLUMNS = ("t", "user", "item", "rank", "click", "reward", "propensity")

_NUMBER, _INTEGER, _CLICK, _SOURCE = "a number", "an integer", "0/1 or boolean", "0/1 or text"


@dataclass(frozen=True)
class Bounds:
    """What the caller knows about the rows' range (``None``: not checked).

    Attributes:
        slate_size: Largest rank of a recommended row.
        t_low: Earliest allowed time (days).
        t_high: Latest allowed time (days).
        n_users: User ids must be below this.
        n_items: Item ids must be below this.
        t_fix: The fix suggested for a time outside ``[t_low, t_high]``.
    """

    slate_size: int | None = None
    t_low: float | None = None
    t_high: float | None = None
    n_users: int | None = None
    n_items: int | None = None
    t_fix: str = "the rows do not belong to this log"


#: No bounds: only the checks that need no knowledge of the run.
NO_BOUNDS = Bounds()


def _kind_ok(dtype: pl.DataType, kind: str) -> bool:
    if kind == _NUMBER:
        return dtype.is_numeric()
    if kind == _INTEGER:
        return dtype.is_integer()
    if kind == _CLICK:
        return dtype == pl.Boolean or dtype.is_integer()
    return dtype.is_integer() or dtype in (pl.Utf8, pl.Categorical) or isinstance(
        dtype, pl.Enum)


_KINDS = {"t": _NUMBER, "user": _INTEGER, "item": _INTEGER, "rank": _INTEGER,
          "click": _CLICK, "reward": _NUMBER, "propensity": _NUMBER, "source": _SOURCE}


def _refuse(where: str, field: str, values: np.ndarray, bad: np.ndarray, what: str,
            fix: str) -> None:
    """Raise the one-line DataError for the first row where ``bad`` holds."""
    rows = np.flatnonzero(bad)
    if rows.size == 0:
        return
    first = int(rows[0])
    value = values[first]
    shown = repr(value.item() if hasattr(value, "item") else value)
    raise DataError(f"{where}: field `{field}` is {shown} at row {first} ({rows.size:,} "
                    f"row(s)): {what}; {fix}.")


def check_feedback_frame(frame: pl.DataFrame, where: str, bounds: Bounds = NO_BOUNDS,
                         columns: tuple[str, ...] = FEEDBACK_FILE_COLUMNS) -> None:
    """Refuse a frame of feedback rows with a wrong dtype, a null or an impossible value.

    Args:
        frame: The rows, as read (``columns`` present; ``source`` optional).
        where: The file (or file and context) named in errors.
        bounds: The ranges the caller knows.
        columns: The columns to check (a subset when a reader reads only some).

    Raises:
        DataError: Naming ``where``, the field, the first bad row, its value and the fix.
    """
    present = [c for c in (*columns, "source") if c in frame.columns]
    for name in present:
        dtype, kind = frame.schema[name], _KINDS[name]
        if not _kind_ok(dtype, kind):
            raise DataError(f"{where}: field `{name}` has dtype {dtype}, expected {kind}: the "
                            "file was not written by loopsim or was edited; write the column "
                            f"as {kind} (see the Feedback columns in docs/cold_start.md).")
        nulls = frame[name].is_null().to_numpy()
        if nulls.any():
            _refuse(where, name, np.full(nulls.size, None, dtype=object), nulls,
                    "missing values", "fill or drop those rows")
    col = {name: frame[name].to_numpy() for name in present}
    source = _source(col.get("source"), where)
    for name in present:
        if name in _CHECKS:
            _CHECKS[name](col, source, bounds, where)
    _refuse_duplicates(frame, col, source, where)


def _source(values: np.ndarray | None, where: str) -> np.ndarray | None:
    """``source`` as 0 (recommended) / 1 (organic); refuses other values."""
    if values is None:
        return None
    if values.dtype.kind in "iu":
        _refuse(where, "source", values, (values != 0) & (values != 1),
                "expected 0 (recommended) or 1 (organic)", "fix or drop those rows")
        return values.astype(np.int8)
    text = values.astype(str)
    _refuse(where, "source", values, (text != "recommended") & (text != "organic"),
            "expected `recommended` or `organic`", "fix or drop those rows")
    return (text == "organic").astype(np.int8)


def _check_t(col: dict[str, np.ndarray], source: np.ndarray | None, b: Bounds,
             where: str) -> None:
    t = col["t"].astype(np.float64)
    _refuse(where, "t", col["t"], ~np.isfinite(t), "times must be finite days",
            "fix or drop those rows")
    low = -np.inf if b.t_low is None else b.t_low
    high = np.inf if b.t_high is None else b.t_high
    _refuse(where, "t", col["t"], (t < low) | (t > high),
            f"times must lie in [{low:g}, {high:g}] days", b.t_fix)


def _check_ids(name: str, limit: int | None) -> Callable[..., None]:
    def check(col: dict[str, np.ndarray], source: np.ndarray | None, b: Bounds,
              where: str) -> None:
        v = col[name]
        _refuse(where, name, v, v < 0, f"{name} ids are >= 0", "fix or drop those rows")
        n = getattr(b, limit) if limit else None
        if n is not None:
            _refuse(where, name, v, v >= n, f"the world has {name} ids 0..{n - 1}",
                    "give a file logged in this world (same world settings and seed)")
    return check


def _check_rank(col: dict[str, np.ndarray], source: np.ndarray | None, b: Bounds,
                where: str) -> None:
    rank = col["rank"]
    organic = (rank == 0) if source is None else source == 1
    _refuse(where, "rank", rank, organic & (rank != 0), "organic rows have rank 0",
            "fix or drop those rows")
    high = b.slate_size if b.slate_size is not None else np.iinfo(np.int64).max
    _refuse(where, "rank", rank, ~organic & ((rank < 1) | (rank > high)),
            f"recommended rows have ranks 1..{high}" if b.slate_size is not None
            else "recommended rows have ranks >= 1",
            "give a log made with this slate size (slate_size) or drop those rows")


def _check_click(col: dict[str, np.ndarray], source: np.ndarray | None, b: Bounds,
                 where: str) -> None:
    c = col["click"]
    if c.dtype != np.bool_:
        _refuse(where, "click", c, (c != 0) & (c != 1), "clicks are 0 or 1",
                "fix or drop those rows")


def _check_reward(col: dict[str, np.ndarray], source: np.ndarray | None, b: Bounds,
                  where: str) -> None:
    r = col["reward"].astype(np.float64)
    _refuse(where, "reward", col["reward"], ~np.isfinite(r), "rewards must be finite",
            "fix or drop those rows")
    _refuse(where, "reward", col["reward"], r < 0, "rewards are conversions or utilities, "
            ">= 0", "fix or drop those rows")
    if "click" in col:
        unclicked = col["click"].astype(np.float64) == 0
        _refuse(where, "reward", col["reward"], unclicked & (r != 0),
                "a reward follows a click: it is 0 on a row without one",
                "fix or drop those rows")


def _check_propensity(col: dict[str, np.ndarray], source: np.ndarray | None, b: Bounds,
                      where: str) -> None:
    p = col["propensity"].astype(np.float64)
    _refuse(where, "propensity", col["propensity"], np.isnan(p), "unknown (NaN)",
            "log with a policy that records exact propensities")
    _refuse(where, "propensity", col["propensity"], ~((p > 0) & (p <= 1)),
            "propensities are probabilities in (0, 1]", "fix or drop those rows")


_CHECKS: dict[str, Callable[..., None]] = {
    "t": _check_t, "user": _check_ids("user", "n_users"),
    "item": _check_ids("item", "n_items"), "rank": _check_rank, "click": _check_click,
    "reward": _check_reward, "propensity": _check_propensity,
}


def _refuse_duplicates(frame: pl.DataFrame, col: dict[str, np.ndarray],
                       source: np.ndarray | None, where: str) -> None:
    key = [c for c in ("t", "user", "rank") if c in col]
    if len(key) < 3:
        return
    keys = frame.select(key).with_columns(
        pl.Series("source", np.zeros(frame.height, np.int8) if source is None else source))
    repeated = keys.is_duplicated().to_numpy()
    if repeated.any():
        first = int(np.flatnonzero(repeated)[0])
        row = keys.row(first)
        raise DataError(
            f"{where}: row {first} (t={row[0]!r}, user={row[1]}, rank={row[2]}) is repeated "
            f"({int(repeated.sum()):,} rows are copies): an impression is logged once, so "
            "the file holds a duplicated chunk or was concatenated twice; remove the copies.")


def session_keys(t: np.ndarray, user: np.ndarray) -> np.ndarray:
    """A ``(S,)`` structured key of sessions (time, user) for duplicate checks across files."""
    out = np.empty(t.shape[0], dtype=[("t", np.float64), ("user", np.int64)])
    out["t"], out["user"] = t, user
    return out


__all__ = ["FEEDBACK_FILE_COLUMNS", "NO_BOUNDS", "Bounds", "check_feedback_frame", "session_keys"]
