"""The ground truth of a logged run read back: exact expected clicks of any slate.

Reads ``<run>/truth/`` (written beside the impression log, see
:mod:`loopsim.experiments.ope.truth_writer`) and the run's click model from its config. The
relevance matrix is read whole: its size is bounded by ``log.truth_max_mb``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hydra.utils import instantiate
from loopsim.experiments.ope.log import RunLog
from loopsim.experiments.ope.truth_writer import TRUTH_DIR
from loopsim.simulator.errors import DataError


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
        self.meta: dict[str, Any] = json.loads(meta_path.read_text())
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
        self.relevance_matrix = np.load(folder / "relevance.npy")
        self._flat = self.relevance_matrix.reshape(-1)
        self.arrival_time = np.load(folder / "arrival_time.npy")
        self._true_value = np.load(folder / "true_value.npy")
        self.is_global = bool(self.meta["is_global"])
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


__all__ = ["Truth", "check_same_world", "logging_value"]
