"""A logged run read back for OPE: its config, its Parquet chunks, session by session.

Every refusal names the file, the field and the cause: a run folder without
``summary.json`` or ``impressions/``, a ``summary.json`` whose ``slate_size`` or
``horizon`` is not a valid value, a chunk that is not readable Parquet (corrupt or
truncated), a chunk without a required column, any row refused by the feedback checks
(:func:`~loopsim.simulator.io.feedback_checks.check_feedback_frame`: dtypes, nulls, times
outside ``[0, horizon]``, ids beyond the world's, ranks beyond the slate, clicks not 0/1,
negative rewards, propensities NaN or outside (0, 1], repeated impressions), a session
logged twice across chunks (a duplicated chunk), a log without recommended impressions,
and propensities that are all 1 (a deterministic logger gives no support to any other
slate).
Rows of another traffic source (a ``source`` column other than ``recommended``, or rank
0: organic impressions) are left out: OPE uses only the slates a policy chose.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from loopsim.simulator.errors import DataError
from loopsim.simulator.io.feedback_checks import (
    NO_BOUNDS,
    Bounds,
    check_feedback_frame,
    session_keys,
)

#: Columns OPE reads from every chunk.
COLUMNS = ("t", "user", "item", "rank", "click", "reward", "propensity")
#: Logging policies whose propensities are exact: what to use instead of a refused log.
EXACT_LOGGERS = ("epsilon_greedy", "softmax", "rand_topn", "rand_pair", "random")
#: Selectors (``policy.selector._target_`` class names) that may log placeholder propensities (1)
#: for sampled slates: refused when every row they served (after ``startup_days``) has 1.
UNKNOWN_PROPENSITY = ("ThompsonSelector",)
_FIX = (f"log with a policy that records exact propensities ({', '.join(EXACT_LOGGERS)}), "
        "e.g. `loopsim policy=epsilon_greedy policy.selector.epsilon=0.1 log.impressions=true`")


@dataclass(frozen=True)
class Sessions:
    """A block of ``S`` whole logged sessions of ``k`` ranks (arrays ``(S, k)`` or ``(S,)``)."""

    t: np.ndarray
    user: np.ndarray
    item: np.ndarray
    click: np.ndarray
    reward: np.ndarray
    propensity: np.ndarray

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def take(self, mask: np.ndarray) -> Sessions:
        """The sessions where ``mask`` holds (``self`` when it holds everywhere)."""
        if mask.all():
            return self
        return Sessions(*(getattr(self, f)[mask] for f in
                          ("t", "user", "item", "click", "reward", "propensity")))


@dataclass(frozen=True)
class RunLog:
    """A run folder with its impression log.

    Attributes:
        run_dir: The run folder.
        files: The log's Parquet chunks, in order.
        config: The run's resolved config (``summary.json``'s ``config``).
        k: Slate size.
    """

    run_dir: Path
    files: tuple[Path, ...]
    config: dict[str, Any]
    k: int
    label: str = ""
    propensity_kind: str = ""
    bounds: Bounds = NO_BOUNDS

    @property
    def policy_target(self) -> str:
        """The class name of the logging policy's selector (``policy.selector._target_``'s
        last part), or of the policy itself when it is not composed (``policy._target_``)."""
        return str(self._target_node().get("_target_", "?")).rsplit(".", 1)[-1]

    @property
    def policy_target_key(self) -> str:
        """The config key :attr:`policy_target` was read from."""
        return "policy.selector._target_" if "selector" in self.config.get("policy", {}) \
            else "policy._target_"

    def _target_node(self) -> dict[str, Any]:
        policy = self.config.get("policy", {})
        selector = policy.get("selector")
        return selector if isinstance(selector, dict) else policy

    @property
    def policy_name(self) -> str:
        """The logging policy's label in the run's outputs."""
        return self.label or str(self.config.get("label") or self.policy_target)


def open_run(run_dir: str | Path) -> RunLog:
    """Open a run folder written with ``log.impressions=true``; refuses what is missing."""
    run = Path(run_dir)
    summary_path = run / "summary.json"
    if not summary_path.is_file():
        raise DataError(f"{summary_path}: not found: {run} is not a loopsim run folder "
                        "(run `loopsim ... log.impressions=true` to make one).")
    try:
        summary = json.loads(summary_path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{summary_path}: not valid JSON ({exc}).") from exc
    config = summary.get("config")
    if not isinstance(config, dict):
        raise DataError(f"{summary_path}: field `config` missing: the run's config is needed.")
    files = tuple(sorted((run / "impressions").glob("part-*.parquet")))
    if not files:
        raise DataError(f"{run / 'impressions'}: no part-*.parquet chunks: the run has no "
                        "impression log; rerun it with `log.impressions=true`.")
    k = _config_number(summary_path, config, "slate_size", integer=True)
    horizon = _config_number(summary_path, config, "horizon", integer=False)
    world = _truth_sizes(run)
    bounds = Bounds(slate_size=int(k), t_low=0.0, t_high=horizon,
                    n_users=world.get("n_users"), n_items=world.get("n_items"),
                    t_fix=f"a run of horizon {horizon:g} logs times in [0, {horizon:g}]: the "
                          "chunk belongs to another run or was edited")
    return RunLog(run, files, config, int(k), str(summary.get("policy", "")),
                  str(summary.get("propensity_kind") or _inferred_kind(config)), bounds)


def _inferred_kind(config: dict[str, Any]) -> str:
    """A run written before ``propensity_kind`` was recorded: Thompson sampling logged
    Monte-Carlo marginals unless told otherwise; other built-ins are exact."""
    selector = config.get("policy", {}).get("selector")
    if isinstance(selector, dict) and str(selector.get("_target_", "")).endswith(
            "ThompsonSelector") and selector.get("propensities", "monte_carlo") != "exact":
        return f"approximate (Monte Carlo, M={selector.get('propensity_draws', '?')})"
    return "unknown"


def check_provenance(log: RunLog) -> None:
    """Refuse a log whose propensities are declared approximate (``summary.json``'s
    ``propensity_kind``, from the policy's :class:`DeclaresPropensities` hook)."""
    if not log.propensity_kind.startswith("approximate"):
        return
    node = log._target_node()
    fix = ("rerun it with `policy.selector.propensities=exact`"
           if str(node.get("_target_", "")).endswith("ThompsonSelector") else _FIX)
    raise DataError(
        f"{log.run_dir / 'summary.json'}: field `propensity_kind` = {log.propensity_kind!r} "
        f"for selector {node.get('_target_', '?')} ({log.policy_name}): its logged "
        "propensities are approximate beyond the tolerance IPS needs (a Monte-Carlo "
        "marginal cannot go below 1/(M+1), so rare placements get too small weights); "
        f"{fix}.")


def _config_number(path: Path, config: dict[str, Any], key: str, integer: bool) -> float:
    """``config[key]`` as a positive finite number (an integer when asked), or a DataError."""
    value = config.get(key)
    ok = (isinstance(value, int) if integer else isinstance(value, int | float)) \
        and not isinstance(value, bool) and np.isfinite(value) and value > 0
    if not ok:
        raise DataError(f"{path}: field `config.{key}` is {value!r}: expected a positive "
                        f"{'integer' if integer else 'number'}; the summary is damaged, rerun "
                        "the run.")
    return float(value)


def _truth_sizes(run: Path) -> dict[str, int]:
    """The world's user and item counts from ``truth/truth.json`` (empty when absent or
    unreadable: the truth reader refuses a damaged file itself)."""
    try:
        meta = json.loads((run / "truth" / "truth.json").read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(meta, dict):
        return {}
    return {key: meta[key] for key in ("n_users", "n_items")
            if isinstance(meta.get(key), int) and not isinstance(meta[key], bool)
            and meta[key] > 0}


def read_chunk(path: Path, columns: tuple[str, ...] = COLUMNS,
               bounds: Bounds = NO_BOUNDS) -> pl.DataFrame:
    """One chunk's recommended rows; refuses unreadable chunks, missing columns and any
    row the feedback checks refuse (within ``bounds``)."""
    try:
        schema = pl.read_parquet_schema(path)
        missing = [c for c in columns if c not in schema]
        if missing:
            what = ("no propensities: it cannot be reweighted; " + _FIX
                    if "propensity" in missing else "the log was not written by loopsim")
            raise DataError(f"{path}: field(s) {missing} missing: {what}.")
        extra = [c for c in ("source",) if c in schema]
        frame = pl.read_parquet(path, columns=[*columns, *extra])
    except DataError:
        raise
    except Exception as exc:  # polars raises several kinds for a damaged file
        raise DataError(f"{path}: not readable as Parquet ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else ''}): the chunk is corrupt "
                        "or truncated; rerun the run to rewrite it.") from exc
    check_feedback_frame(frame, str(path), bounds, columns)
    keep = pl.col("rank") >= 1
    if "source" in frame.columns:  # Feedback.source: 0 recommended, 1 organic (rank 0)
        recommended = (pl.col("source") == 0 if frame.schema["source"].is_integer()
                       else pl.col("source").cast(pl.Utf8) == "recommended")
        keep = keep & recommended
    return frame.filter(keep).select(columns)


def check_propensities(log: RunLog, refuse_approximate: bool = True) -> dict[str, float]:
    """Refuse approximate, unknown, invalid or all-1 propensities; returns their count
    and minimum.

    Args:
        log: The opened run.
        refuse_approximate: Refuse a log declared approximate (:func:`check_provenance`);
            ``loopsim-export`` passes ``False`` and records the kind in its sidecar.
    """
    if refuse_approximate:
        check_provenance(log)
    placeholder = log.policy_target in UNKNOWN_PROPENSITY
    startup = float(log.config.get("startup_days", 0.0))
    served_by_policy_below_one = 0
    n, below_one, low = 0, 0, 1.0
    for path in log.files:
        frame = read_chunk(path, ("t", "rank", "propensity"), log.bounds)
        p = frame["propensity"].to_numpy()
        if placeholder:
            after = frame["t"].to_numpy() >= startup
            served_by_policy_below_one += int(np.count_nonzero(p[after] < 1))
        bad = ~((p > 0) & (p <= 1))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            cause = "unknown (NaN)" if np.isnan(p[first]) else "outside (0, 1]"
            raise DataError(f"{path}: field `propensity` is {cause} at row {first} "
                            f"({int(bad.sum()):,} rows): IPS needs known propensities; {_FIX}.")
        n += p.size
        below_one += int(np.count_nonzero(p < 1))
        low = min(low, float(p.min())) if p.size else low
    if placeholder and served_by_policy_below_one == 0:
        raise DataError(f"{log.run_dir / 'summary.json'}: field `{log.policy_target_key}` = "
                        f"{log._target_node()['_target_']}: this selector logged placeholder "
                        "propensities (1) for the slates it sampled, its marginals are "
                        f"unknown; {_FIX}.")
    if n and below_one == 0:
        raise DataError(f"{log.run_dir / 'impressions'}: field `propensity` is 1 on all {n:,} "
                        f"rows: the logging policy ({log.policy_name}) is deterministic, so no "
                        f"other slate has support; {_FIX}.")
    return {"rows": n, "randomized_rows": below_one, "min_propensity": low}


def iter_sessions(log: RunLog) -> Iterator[Sessions]:
    """The log's whole sessions, chunk by chunk (a session cut by a chunk end is carried)."""
    k = log.k
    carry: pl.DataFrame | None = None
    keys: list[np.ndarray] = []
    for path in log.files:
        frame = read_chunk(path, COLUMNS, log.bounds)
        if carry is not None:
            frame = pl.concat([carry, frame], how="vertical_relaxed")
        cut = frame.height // k * k  # a carried tail starts a session: blocks stay aligned
        whole, carry = frame.slice(0, cut), frame.slice(cut)
        if whole.height:
            block = _sessions(whole, k, path)
            keys.append(session_keys(block.t, block.user))
            yield block
    if carry is not None and carry.height:
        raise DataError(f"{log.files[-1]}: field `rank`: the last {carry.height} rows do not "
                        f"make a whole session of {k} ranks: the log is truncated.")
    _refuse_repeated_sessions(log, keys)


def _refuse_repeated_sessions(log: RunLog, keys: list[np.ndarray]) -> None:
    """No recommended session at all, or one logged twice (a chunk copied): refused."""
    if not keys:
        raise DataError(f"{log.run_dir / 'impressions'}: no recommended impression in "
                        f"{len(log.files)} chunk(s): nothing to estimate from; rerun the run "
                        "with `log.impressions=true` and a policy that serves slates.")
    every = np.concatenate(keys)
    unique, counts = np.unique(every, return_counts=True)
    if unique.size < every.size:
        first = unique[counts > 1][0]
        raise DataError(f"{log.run_dir / 'impressions'}: the session of user {first['user']} "
                        f"at t={first['t']!r} is logged {counts[counts > 1][0]} times "
                        f"({every.size - unique.size:,} repeated sessions across the chunks): "
                        "a chunk was duplicated or copied in from another log; remove the "
                        "copies.")


def _sessions(frame: pl.DataFrame, k: int, path: Path) -> Sessions:
    rank = frame["rank"].to_numpy().reshape(-1, k)
    wrong = np.flatnonzero(np.any(rank != np.arange(1, k + 1), axis=1))
    if wrong.size:
        row = int(wrong[0]) * k
        raise DataError(f"{path}: field `rank`: rows {row}..{row + k - 1} are not one session "
                        f"with ranks 1..{k} in order ({rank[wrong[0]].tolist()}): the chunk "
                        "is damaged or was not written by loopsim.")
    col = {c: frame[c].to_numpy() for c in ("t", "user", "item", "click", "reward", "propensity")}
    return Sessions(t=col["t"][::k], user=col["user"][::k].astype(np.int64),
                    item=col["item"].astype(np.int64).reshape(-1, k),
                    click=col["click"].reshape(-1, k), reward=col["reward"].reshape(-1, k),
                    propensity=col["propensity"].astype(np.float64).reshape(-1, k))


__all__ = ["COLUMNS", "EXACT_LOGGERS", "RunLog", "Sessions", "check_propensities",
           "check_provenance",
           "iter_sessions", "open_run", "read_chunk"]


#: Selectors that shuffle a set uniformly: the slate probability follows from the marginals.
UNIFORM_SHUFFLES = ("Random", "RandTopN")


def cascade_propensities(log: RunLog, propensity: np.ndarray) -> np.ndarray | None:
    """``(S, k)`` logging probability of each logged slate's top ``j`` prefix, ``j = 1..k``.

    Computable for uniform shuffles (``random``, ``rand_topn``, and the uniform start-up
    slates of ``startup_days``): the ``j``-th shuffled rank of a uniform draw among ``m``
    items (marginal ``1/m``) has conditional probability ``1 / (m - j + 1)``; ranks with
    propensity 1 (RandTop-N's greedy tail) add a factor 1. The last column is the whole
    slate's probability (obp's ``pscore``, slate variant). ``None`` for other loggers.
    """
    if log.policy_target not in UNIFORM_SHUFFLES:
        return None
    random_rank = propensity < 1
    m = np.rint(1.0 / propensity)
    before = np.cumsum(random_rank, axis=1) - random_rank
    factor = np.where(random_rank, 1.0 / np.maximum(m - before, 1.0), 1.0)
    return np.cumprod(factor, axis=1)
