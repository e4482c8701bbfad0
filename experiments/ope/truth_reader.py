"""The ground truth of a logged run read back: exact expected clicks of any slate.

Reads ``<run>/truth/`` (written beside the impression log, see
:mod:`loopsim.experiments.ope.truth_writer`) and the run's click model from its config. The
relevance matrix is read whole: its size is bounded by ``log.truth_max_mb``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from hydra.utils import instantiate
from loopsim.experiments.ope.log import RunLog
from loopsim.experiments.ope.truth_writer import TRUTH_DIR
from loopsim.simulator.errors import DataError

#: Fields of ``truth.json`` and their kinds (``None`` allowed where the writer writes it).
_META = {"n_users": int, "n_items": int, "is_global": bool, "stationary": bool}
_FIX = "rerun the run with `log.impressions=true` to rewrite its truth/"


def read_truth_meta(folder: Path) -> dict[str, Any]:
    """``truth.json`` checked: a JSON object with ``n_users``, ``n_items`` (positive
    integers), ``is_global``, ``stationary`` (booleans) and a valid ``examination``."""
    path = folder / "truth.json"
    try:
        meta = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not readable JSON ({type(exc).__name__}): the file is "
                        f"truncated or damaged; {_FIX}.") from exc
    if not isinstance(meta, dict):
        raise DataError(f"{path}: expected a JSON object, got {type(meta).__name__}; {_FIX}.")
    for key, kind in _META.items():
        value = meta.get(key)
        wrong = not isinstance(value, kind) or (kind is int and (isinstance(value, bool)
                                                                 or value <= 0))
        if wrong:
            raise DataError(f"{path}: field `{key}` is {value!r}: expected "
                            f"{'a positive integer' if kind is int else 'true or false'}; "
                            f"{_FIX}.")
    exam = meta.get("examination")
    if exam is not None:
        e = np.asarray(exam, dtype=object)
        ok = (isinstance(exam, list) and all(isinstance(x, int | float)
                                             and not isinstance(x, bool) for x in exam)
              and e.size > 0 and np.all(np.isfinite(e.astype(float)))
              and np.all((e.astype(float) >= 0) & (e.astype(float) <= 1)))
        if not ok:
            raise DataError(f"{path}: field `examination` is {exam!r}: expected a list of "
                            f"probabilities in [0, 1] (or null); {_FIX}.")
    return meta


def load_truth_array(folder: Path, name: str, shape: tuple[int | None, ...],
                     low: float | None = None, high: float | None = None) -> np.ndarray:
    """``folder/name``: loaded without pickles, of ``shape`` (``None``: any length on that
    axis), finite and within ``[low, high]``; anything else is a DataError."""
    path = folder / name
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npy array ({type(exc).__name__}): the file "
                        f"is missing, truncated or damaged; {_FIX}.") from exc
    want = "x".join("?" if n is None else str(n) for n in shape)
    if array.ndim != len(shape) or any(n is not None and n != m
                                       for n, m in zip(shape, array.shape, strict=False)):
        raise DataError(f"{path}: shape {array.shape}, expected ({want}) from truth.json; "
                        f"the file belongs to another run; {_FIX}.")
    if array.dtype.kind not in "fiu":
        raise DataError(f"{path}: dtype {array.dtype}, expected numbers; {_FIX}.")
    values = np.asarray(array, dtype=np.float64)
    bad = ~np.isfinite(values)
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    if bad.any():
        at = np.unravel_index(int(np.flatnonzero(bad.reshape(-1))[0]), values.shape)
        span = f" in [{low:g}, {high if high is not None else np.inf:g}]" \
            if low is not None else ""
        raise DataError(f"{path}: value {float(values[at])!r} at {tuple(int(i) for i in at)} "
                        f"({int(bad.sum()):,} bad values): expected finite numbers{span}; "
                        f"{_FIX}.")
    return array


def load_truth(folder: Path, meta: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every array of ``truth/`` that ``meta`` (from :func:`read_truth_meta`) declares,
    checked: ``relevance`` (when written), ``arrival_time``, ``true_value`` and the
    features when present."""
    n_items, n_users = int(meta["n_items"]), int(meta["n_users"])
    out = {"arrival_time": load_truth_array(folder, "arrival_time.npy", (n_items,), 0.0),
           "true_value": load_truth_array(folder, "true_value.npy", (n_items,), 0.0, 1.0)}
    if np.any(np.diff(out["arrival_time"]) < 0):
        raise DataError(f"{folder / 'arrival_time.npy'}: arrival times decrease (item ids "
                        f"arrive in order); {_FIX}.")
    if meta.get("relevance") is not None:
        rows = 1 if meta["is_global"] else n_users
        out["relevance"] = load_truth_array(folder, "relevance.npy", (rows, n_items), 0.0, 1.0)
    for name, n in (("user_features", n_users), ("item_features", n_items)):
        if (folder / f"{name}.npy").is_file():
            out[name] = load_truth_array(folder, f"{name}.npy", (n, None))
    return out


class Truth:
    """A run's relevance, catalogue and click model: the exact value of slates.

    Also a read-only :class:`~loopsim.simulator.contract.policy.GroundTruth`, so an oracle
    target can be handed it.

    Args:
        log: The run (its folder holds ``truth/``).
    """

    def __init__(self, log: RunLog) -> None:
        folder = log.run_dir / TRUTH_DIR
        meta_path = folder / "truth.json"
        if not meta_path.is_file():
            raise DataError(f"{meta_path}: not found: the run has no ground truth; rerun it "
                            "with `log.impressions=true` (the truth is written beside the log).")
        self.meta: dict[str, Any] = read_truth_meta(folder)
        if not self.meta.get("stationary", False):
            raise DataError(f"{meta_path}: field `stationary` is false: the world's relevance "
                            "moved during the run (drift, social influence or data shift), so "
                            "the exact value of a slate on a logged session is not known; run "
                            "the log on a stationary world (e.g. world.drift=0).")
        if self.meta.get("item_lifetime") is not None:
            raise DataError(f"{meta_path}: field `item_lifetime` is "
                            f"{self.meta['item_lifetime']}: expired items are not recorded, so "
                            "the candidates of a logged session cannot be rebuilt; run the log "
                            "with world.item_lifetime=null.")
        if self.meta.get("relevance") is None:
            raise DataError(f"{meta_path}: field `relevance` is null: {self.meta.get('reason')}; "
                            "raise log.truth_max_mb or use a smaller or global world.")
        # Read whole (bounded by log.truth_max_mb): a flat take is ~10x faster than
        # fancy indexing of a memory map.
        self.is_global = bool(self.meta["is_global"])
        arrays = load_truth(folder, self.meta)
        self.relevance_matrix = arrays["relevance"]
        self._flat = self.relevance_matrix.reshape(-1)
        self.arrival_time = arrays["arrival_time"]
        self._true_value = arrays["true_value"]
        self.version = 0
        self.n_items = int(self.meta["n_items"])
        self.click_model = instantiate(log.config["click_model"], _convert_="all")
        self.folder = folder
        self.tick = float(log.config.get("tick", 0.0))
        self.horizon = float(log.config["horizon"])

    def serving_time(self, t: np.ndarray) -> np.ndarray:
        """The time each session at ``t`` was served: the end of its tick (the engine's grid).

        Sessions arriving in ``[(n-1) tick, n tick)`` are served at ``n tick`` (the horizon
        for the last batch), after the catalogue changes of that instant; ``tick = 0``
        serves each session at its own time.
        """
        t = np.asarray(t, dtype=np.float64)
        if self.tick <= 0:
            return t
        n = np.floor(t / self.tick) + 1
        n = np.where(n * self.tick <= t, n + 1, n)            # floor rounded down
        n = np.where((n - 1) * self.tick > t, n - 1, n)       # floor rounded up
        when = n * self.tick
        return np.where(when >= self.horizon - 1e-9, self.horizon, when)  # engine's _grid

    def n_available(self, t: np.ndarray) -> np.ndarray:
        """Number of item ids that were candidates of sessions at ``t`` (ids arrive in order)."""
        return np.searchsorted(self.arrival_time, self.serving_time(t), side="right")

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(S, k)`` relevance of ``slates[s, r]`` for ``users[s]``."""
        if self.is_global:
            return self._flat.take(slates).astype(np.float64)
        flat = users[:, None] * self.relevance_matrix.shape[1] + slates
        return self._flat.take(flat).astype(np.float64)

    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` relevance of items for users."""
        rows = np.zeros(len(users), dtype=np.int64) if self.is_global else np.asarray(users)
        return np.asarray(self.relevance_matrix[np.ix_(rows, np.asarray(items))],
                          dtype=np.float64)

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` the world's population-level value of items."""
        return self._true_value[items]

    def value(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(S,)`` exact expected clicks of each slate for its user, under the click model."""
        return np.asarray(self.click_model.expected_clicks(
            self.relevance_of_slates(users, slates)), dtype=np.float64)


def logging_value(log: RunLog, truth: Truth, since: float = 0.0) -> tuple[float, int]:
    """The logging policy's true value: mean exact expected clicks of its logged slates.

    Args:
        log: The run.
        truth: Its truth.
        since: Only sessions at ``t >= since``.

    Returns:
        ``(value, sessions)``.
    """
    from loopsim.experiments.ope.log import iter_sessions

    total, n = 0.0, 0
    for block in iter_sessions(log):
        keep = block.t >= since
        total += float(truth.value(block.user[keep], block.item[keep]).sum())
        n += int(keep.sum())
    return (total / n if n else float("nan")), n


def check_same_world(run: RunLog, other: dict[str, Any], what: str) -> None:
    """Refuse a target whose world, click model or slate size differ from the run's.

    The run's ``seed`` is compared too when ``world.seed`` is null (it then draws the world).
    """
    keys = ["world", "click_model", "slate_size"]
    if (run.config.get("world") or {}).get("seed") is None:
        keys.append("seed")  # the world is drawn from the run's seed
    for key in keys:
        mine, theirs = run.config.get(key), other.get(key)
        if isinstance(mine, dict) and isinstance(theirs, dict):
            for field in sorted(set(mine) | set(theirs)):
                if mine.get(field) != theirs.get(field):
                    raise DataError(
                        f"{what}: field `{key}.{field}` is {theirs.get(field)!r} but the logged "
                        f"run {run.run_dir} has {mine.get(field)!r}: the target must be "
                        "evaluated in the world that was logged.")
        elif mine != theirs:
            raise DataError(f"{what}: field `{key}` is {theirs!r} but the logged run "
                            f"{run.run_dir} has {mine!r}: the target must be evaluated in the "
                            "world that was logged.")


__all__ = ["Truth", "check_same_world", "load_truth", "load_truth_array", "logging_value",
           "read_truth_meta"]
