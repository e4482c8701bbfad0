"""Targets of OPE: a policy config trained on the log, or a frozen model; their slates.

A target ranks every logged session over the candidates that session had (the items
that had arrived when it was served: the end of its tick), with its own random stream
from the run's seed (:data:`TARGET_STREAM`), and is refused when its world differs from
the logged run's or when it needs items the log never had as candidates.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from hydra import compose, initialize_config_dir
from loopsim.experiments.ope.log import RunLog, Sessions
from loopsim.experiments.ope.truth_reader import Truth, check_same_world, read_truth_meta
from loopsim.policies.selectors.ties import top_k_random_ties
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.contract.policy import RankingPolicy
from loopsim.simulator.errors import DataError, LoopsimError
from loopsim.simulator.loop.slate_checks import validate_slates
from omegaconf import DictConfig, OmegaConf

#: Spawn key of the target's random stream (ties, sampling) under the run's seed.
TARGET_STREAM = 101
#: Sessions per ``rank`` call (bounds a personalized target's score block).
RANK_BATCH = 16_384


@dataclass
class Target:
    """A target policy and whether it learns from the log before being frozen.

    Attributes:
        name: Its label in reports.
        policy: The policy.
        trains: Whether it is trained on the log's first part (a policy config).
    """

    name: str
    policy: RankingPolicy
    trains: bool


class FrozenScores:
    """A frozen global model: greedy top-k of fixed item scores (ties at random)."""

    def __init__(self, scores: np.ndarray) -> None:
        self.scores = scores

    def rank(self, request: SlateRequest) -> Slates:
        """The same top-k slate for the batch, by score."""
        idx = top_k_random_ties(self.scores[request.candidates], request.k, request.rng)
        row = request.candidates[idx]
        return Slates(np.broadcast_to(row, (request.batch_size, row.size)))

    def update(self, feedback: Feedback) -> None:
        """Frozen: learns nothing."""


def policy_target(log: RunLog, name: str, overrides: list[str] | tuple[str, ...] = ()) -> Target:
    """A target from a policy config (``conf/policy/<name>.yaml``) and its overrides.

    Overrides of ``policy.*`` configure it; any other override (``world.n_items=50``) is
    applied to the logged run's config and refused if it changes the world.
    """
    policy_ov = [o for o in overrides if o.startswith(("policy.", "+policy.", "~policy."))]
    other = [o for o in overrides if o not in policy_ov]
    try:
        cfg = compose_config([f"policy={name}", *policy_ov])
    except Exception as exc:
        raise DataError(f"target policy={name} {' '.join(policy_ov)}: {exc}") from exc
    if other:
        world = OmegaConf.create(log.config)
        for override in other:
            key, _, value = override.partition("=")
            OmegaConf.update(world, key.lstrip("+"), _parse(value), force_add=True)
        check_same_world(log, OmegaConf.to_container(world, resolve=True),
                         f"target override(s) {' '.join(other)}")
    from loopsim.experiments.cli.config_checks import check_components
    from loopsim.experiments.cli.runner import build

    check_components(cfg.policy, "policy.")  # ranges and types, as `loopsim` checks them
    policy = build(cfg.policy)
    label = " ".join([name, *policy_ov])
    return Target(label, policy, trains=True)


def compose_config(overrides: list[str]) -> DictConfig:
    """Compose ``conf/config.yaml`` with overrides, also from inside a running Hydra app.

    Hydra's global state is set aside during the composition and restored after it (the
    offline_vs_online callback composes targets at the end of a multirun).
    """
    from hydra.core.global_hydra import GlobalHydra
    from hydra.initialize import get_gh_backup, restore_gh_from_backup
    from loopsim.experiments.cli.run import CONF_DIR

    backup = get_gh_backup()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
            return compose("config", overrides=overrides)
    finally:
        restore_gh_from_backup(backup)


def _parse(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def model_target(log: RunLog, path: str | Path, column: str = "score") -> Target:
    """A frozen global model: a Parquet file of ``item`` and ``column`` (scores).

    ``path`` may also be another run folder: its ``items.parquet`` with ``policy_score``
    (the final beliefs of its policy), refused when that run's world is not the log's.
    """
    path = Path(path)
    if path.is_dir():
        try:
            other = json.loads((path / "summary.json").read_text())
        except (OSError, UnicodeDecodeError, ValueError):
            other = None
        if not isinstance(other, dict):
            raise DataError(f"{path / 'summary.json'}: not found or not a JSON object: a "
                            "model folder must be a loopsim run folder.")
        check_same_world(log, other.get("config", {}), str(path / "summary.json"))
        path, column = path / "items.parquet", "policy_score"
    try:
        frame = pl.read_parquet(path, columns=["item", column])
    except Exception as exc:
        raise DataError(f"{path}: fields `item` and `{column}` not readable ({exc}).") from exc
    for name, ok in (("item", frame.schema["item"].is_integer()),
                     (column, frame.schema[column].is_numeric())):
        if not ok or frame[name].null_count():
            raise DataError(f"{path}: field `{name}` has dtype {frame.schema[name]} with "
                            f"{frame[name].null_count()} null(s): expected "
                            f"{'integer item ids' if name == 'item' else 'numeric scores'} "
                            "without nulls; write the column as such.")
    if frame["item"].is_duplicated().any():
        twice = int(frame.filter(frame["item"].is_duplicated())["item"][0])
        raise DataError(f"{path}: field `item`: item {twice} is scored more than once: give "
                        "one score per item.")
    truth_items = _n_items(log)
    items = frame["item"].to_numpy().astype(np.int64)
    outside = items[(items < 0) | (items >= truth_items)]
    if outside.size:
        raise DataError(f"{path}: field `item`: the model scores {outside.size} items "
                        f"({outside[:5].tolist()}...) that were never candidates of the log "
                        f"(ids 0..{truth_items - 1}): it belongs to another world.")
    scores = np.full(truth_items, np.nan)
    scores[items] = frame[column].to_numpy().astype(np.float64)
    missing = np.flatnonzero(~np.isfinite(scores))
    if missing.size:
        raise DataError(f"{path}: field `{column}`: no finite score for {missing.size} of the "
                        f"log's candidate items ({missing[:5].tolist()}...): the target cannot "
                        "rank the logged sessions; score every item of the run.")
    return Target(f"model {path}", FrozenScores(scores), trains=False)


def _n_items(log: RunLog) -> int:
    meta = log.run_dir / "truth" / "truth.json"
    if meta.is_file():
        return int(read_truth_meta(meta.parent)["n_items"])
    return int(pl.read_parquet(log.run_dir / "items.parquet", columns=["item"]).height)


def target_rng(log: RunLog) -> np.random.Generator:
    """The target's random stream: spawn key :data:`TARGET_STREAM` of the run's seed."""
    seed = int(log.config.get("seed", 0))
    return np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(seed, spawn_key=(TARGET_STREAM,))))


def as_feedback(block: Sessions) -> Feedback:
    """Logged sessions as the policy contract's feedback rows."""
    s, k = block.item.shape
    return Feedback(t=np.repeat(block.t, k), user=np.repeat(block.user, k),
                    item=block.item.reshape(-1),
                    rank=np.tile(np.arange(1, k + 1, dtype=np.int16), s),
                    click=block.click.reshape(-1).astype(bool),
                    reward=block.reward.reshape(-1).astype(np.float32),
                    propensity=block.propensity.reshape(-1).astype(np.float32))


class SlateMaker:
    """Asks a target for the slate of every logged session, over that session's candidates."""

    def __init__(self, target: Target, truth: Truth, k: int, rng: np.random.Generator) -> None:
        self.target, self.truth, self.k, self.rng = target, truth, k, rng
        self._candidates: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, block: Sessions) -> np.ndarray:
        """``(S, k)`` the target's slates for the sessions of ``block``."""
        n_avail = self.truth.n_available(block.t)
        out = np.empty((len(block), self.k), dtype=np.int64)
        order = np.argsort(n_avail, kind="stable")
        bounds = np.flatnonzero(np.diff(n_avail[order])) + 1
        for group in np.split(order, bounds):
            if group.size == 0:
                continue
            candidates, available = self._catalogue(int(n_avail[group[0]]))
            for start in range(0, group.size, RANK_BATCH):
                idx = group[start:start + RANK_BATCH]
                out[idx] = self._rank(block, idx, candidates, available)
        return out

    def _rank(self, block: Sessions, idx: np.ndarray, candidates: np.ndarray,
              available: np.ndarray) -> np.ndarray:
        request = SlateRequest(float(block.t[idx].max()), block.user[idx], candidates, self.k,
                               self.rng)
        try:
            slates = validate_slates(self.target.policy.rank(request), request, available,
                                     self.target.name)
        except LoopsimError as exc:
            raise DataError(f"target {self.target.name}: field `items`: {exc} (the target "
                            "needs items outside the logged candidates, or broke the policy "
                            "contract).") from exc
        return np.asarray(slates.items)

    def _catalogue(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if n not in self._candidates:
            cand = np.arange(n, dtype=np.int64)
            cand.flags.writeable = False
            mask = np.zeros(self.truth.n_items, dtype=bool)
            mask[:n] = True
            self._candidates[n] = (cand, mask)
        return self._candidates[n]


def describe(overrides: list[str]) -> str:
    """Overrides as one shell-quoted string (for labels)."""
    return " ".join(shlex.quote(o) for o in overrides)


__all__ = ["FrozenScores", "SlateMaker", "TARGET_STREAM", "Target", "as_feedback",
           "model_target", "policy_target", "target_rng"]
