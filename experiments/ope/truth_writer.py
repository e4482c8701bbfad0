"""The ground truth beside an impression log: what only a simulator can give an OPE study.

With ``log.impressions=true`` a run also writes ``truth/`` into its folder:

* ``relevance.npy``: ``(n_users, n_items)`` float32 click probability once examined of
  every item for every user (``(1, n_items)`` when the world is global: everyone
  agrees), the world's relevance at the end of the run;
* ``arrival_time.npy``: ``(n_items,)`` day each item arrived (item ids are in order of
  arrival, so the candidates of a session are the ids that arrived by the end of its
  tick, when it was served);
* ``true_value.npy``: ``(n_items,)`` the world's population-level value per item;
* ``user_features.npy`` / ``item_features.npy`` when the world has them (OPE contexts);
* ``truth.json``: shapes, bytes, the click model's examination curve (``null`` when
  examination depends on clicks, as in the cascade), whether the truth is
  *stationary*, and the logging policy's true value ``logging_true_value`` (the mean
  exact expected clicks of the logged slates, over ``logged_sessions``).

With the click model of the run's config this gives the exact expected clicks of any
slate for any logged session (``experiments/ope/truth_reader.py``). The relevance is exact for
every logged session only when it did not move during the run: ``stationary`` is
checked by drawing the world afresh from the run's seed and comparing the relevance of
the initial items with the final one (drift, social influence and data shift move it).
The matrix is filled in chunks of users (memory: one chunk) and bounded by
``log.truth_max_mb`` (default 1,024 MB; 4 bytes per user and item): above it the matrix
is not written and ``truth.json`` says why.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from loopsim.simulator.loop.seeding import Streams
from loopsim.simulator.loop.simulation import Simulation

#: Folder of the truth inside the run folder.
TRUTH_DIR = "truth"
#: Users per chunk when the relevance matrix is filled.
_USER_CHUNK = 4096


def write_truth(sim: Simulation, out_dir: str | Path, max_mb: float, fresh_world: Any) -> dict:
    """Write ``truth/`` for a finished run and return the content of ``truth.json``.

    Args:
        sim: The simulation after :meth:`Simulation.run` (its world at the end).
        out_dir: The run folder.
        max_mb: Bound on ``relevance.npy`` in MB; above it the matrix is not written.
        fresh_world: A new, unreset instance of the run's world (the stationarity check).
    """
    world = sim.world
    folder = Path(out_dir) / TRUTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    n_items = int(sim.state.catalogue.n_total)
    items = np.arange(n_items, dtype=np.int64)
    rows = 1 if world.is_global else int(world.n_users)
    nbytes = 4 * rows * n_items
    meta: dict[str, Any] = {
        "n_users": int(world.n_users), "n_items": n_items, "slate_size": sim.config.slate_size,
        "is_global": bool(world.is_global), "relevance_shape": [rows, n_items],
        "relevance_bytes": nbytes, "max_mb": max_mb,
        "item_lifetime": world.item_lifetime,
        "examination": _examination(sim),
        "stationary": _stationary(sim, fresh_world),
    }
    _save(folder / "arrival_time.npy", sim.state.catalogue.arrival_times())
    _save(folder / "true_value.npy", np.asarray(world.true_value(items), dtype=np.float64))
    for name, values in _features(world, items).items():
        _save(folder / f"{name}.npy", values)
        meta[f"{name}_shape"] = list(values.shape)
    if nbytes > max_mb * 1e6:
        meta["relevance"] = None
        meta["reason"] = (f"relevance of {rows:,} users x {n_items:,} items is "
                          f"{nbytes / 1e6:,.0f} MB > log.truth_max_mb={max_mb:g}")
    else:
        _write_relevance(folder / "relevance.npy", world, rows, items)
        meta["relevance"] = "relevance.npy"
        if meta["stationary"] and sim.impression_log is not None:
            meta["logging_true_value"], meta["logged_sessions"] = _logging_value(
                sim, np.load(folder / "relevance.npy"))
    _save_json(folder / "truth.json", meta)
    return meta


def _write_relevance(path: Path, world: Any, rows: int, items: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(rows, items.size))
    for start in range(0, rows, _USER_CHUNK):
        users = np.arange(start, min(rows, start + _USER_CHUNK), dtype=np.int64)
        out[start:start + users.size] = world.relevance(users, items)
    out.flush()
    del out
    os.replace(tmp, path)


def _logging_value(sim: Simulation, relevance: np.ndarray) -> tuple[float, int]:
    """Mean exact expected clicks of the logged slates (the logging policy's true value)."""
    import polars as pl

    k, total, n = sim.config.slate_size, 0.0, 0
    carry = np.zeros((0, 2), dtype=np.int64)
    for path in sim.impression_log.files:  # type: ignore[union-attr]
        frame = pl.read_parquet(path, columns=["user", "item", "rank"]).filter(
            pl.col("rank") >= 1)
        rows = np.concatenate([carry, frame.select("user", "item").to_numpy()])
        cut = rows.shape[0] // k * k
        carry = rows[cut:]
        users, slates = rows[:cut:k, 0], rows[:cut, 1].reshape(-1, k)
        rel = relevance[np.zeros_like(users) if relevance.shape[0] == 1 else users][
            np.arange(users.size)[:, None], slates]
        total += float(np.asarray(sim.click_model.expected_clicks(rel.astype(np.float64))).sum())
        n += users.size
    return (total / n if n else float("nan")), n


def _stationary(sim: Simulation, fresh: Any) -> bool:
    """Whether the relevance of the initial items is what the world started with."""
    streams = Streams.from_seed(sim.seed, sim.world.seed)
    fresh.reset(streams.world)
    items = np.arange(int(fresh.n_initial_items), dtype=np.int64)
    users = np.arange(1 if fresh.is_global else int(fresh.n_users), dtype=np.int64)
    for start in range(0, users.size, _USER_CHUNK):
        chunk = users[start:start + _USER_CHUNK]
        if not np.array_equal(np.asarray(fresh.relevance(chunk, items)),
                              np.asarray(sim.world.relevance(chunk, items))):
            return False
    return True


def _examination(sim: Simulation) -> list[float] | None:
    curve = getattr(sim.click_model, "examination", None)
    e = curve(sim.config.slate_size) if curve is not None else None
    return None if e is None else [float(x) for x in e]


def _features(world: Any, items: np.ndarray) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    prefs = getattr(world, "preferences", None)
    if isinstance(prefs, np.ndarray) and prefs.ndim == 2:
        out["user_features"] = np.asarray(prefs, dtype=np.float32)
    features = getattr(world, "item_features", None)
    if callable(features):
        out["item_features"] = np.asarray(features(items), dtype=np.float32)
    return out


def _save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".{path.stem}.tmp.npy")
    np.save(tmp, array)
    os.replace(tmp, path)


def _save_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


__all__ = ["TRUTH_DIR", "write_truth"]
