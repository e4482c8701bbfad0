"""``loopsim-export``: a logged run in Open Bandit Pipeline's layout, or as Parquet.

```
loopsim-export RUN_DIR --format obp --out log.npz       # arrays + log.json (metadata)
loopsim-export RUN_DIR --format parquet --out log.parquet
```

The run must have been made with ``log.impressions=true``. One row per recommended
impression (organic rows are left out), in the log's order. Logs whose propensities are
unknown or all 1 are refused (no estimator can reweight them); see ``docs/ope.md``
for every field and which propensity each estimator needs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from loopsim.experiments.ope.log import (
    RunLog,
    cascade_propensities,
    check_propensities,
    iter_sessions,
    open_run,
)
from loopsim.experiments.ope.truth_reader import load_truth, read_truth_meta
from loopsim.experiments.ope.truth_writer import TRUTH_DIR
from loopsim.simulator.errors import DataError, LoopsimError
from loopsim.simulator.io.results import atomic_text, atomic_write
from loopsim.simulator.io.safe_paths import check_output_target

#: What each field of the obp layout holds (written into the JSON sidecar).
FIELDS = {
    "n_rounds": "number of rows: one per recommended impression (session x rank)",
    "n_actions": "number of item ids of the run (items are actions)",
    "len_list": "slate size k",
    "action": "(n_rounds,) item id shown",
    "position": "(n_rounds,) 0-based rank (loopsim's rank - 1)",
    "reward": "(n_rounds,) click (0/1)",
    "pscore": "(n_rounds,) marginal item-position propensity P(item at this rank): "
              "for slot-level IPS, SNIPS, DR (obp SlateIndependentIPS, pscore_item_position)",
    "slate_id": "(n_rounds,) session index (0-based, in log order)",
    "pscore_item_position": "(n_rounds,) = pscore (obp's slate-variant name)",
    "pscore_cascade": "(n_rounds,) probability of the logged slate's prefix down to this rank "
                      "(obp SlateRewardInteractionIPS); only for uniform-shuffle loggers",
    "pscore_slate": "(n_rounds,) probability of the whole logged slate, repeated on its rows "
                    "(obp SlateStandardIPS's pscore); only for uniform-shuffle loggers",
    "user": "(n_rounds,) user id",
    "t": "(n_rounds,) session time in days",
    "conversion": "(n_rounds,) loopsim's reward (conversion; equals the click without one)",
    "context": "(n_rounds, d) the user's latent features, when the world has them",
    "action_context": "(n_actions, d) the items' latent features, when the world has them",
    "expected_reward_factual": "(n_rounds,) exact click probability e(rank) * relevance "
                               "under the run's click model, when examination does not "
                               "depend on clicks",
}
# The target policy's side (``--target``, :mod:`.obp_target`; obp format only).
FIELDS.update({
    "target_slate": "(n_sessions, len_list) the target's slate of each session (-1: a session "
                    "before train_until, which trained the target); 16 bytes per round with "
                    "target_pscore",
    "target_pscore": "(n_sessions, len_list) the target's probability of each slate entry",
    "evaluated": "(n_sessions,) the session is evaluated (t >= train_until)",
    "evaluation_policy_pscore_item_position": "(n_rounds,) the target's probability of the "
                                              "logged item at the logged position (obp slate "
                                              "estimators)",
})

#: loopsim's names of the same columns in ``--format parquet``.
PARQUET_NAMES = {"action": "item", "position": "position", "reward": "click",
                 "pscore": "propensity", "slate_id": "session",
                 "pscore_cascade": "propensity_cascade", "pscore_slate": "propensity_slate",
                 "user": "user", "t": "t", "conversion": "reward",
                 "expected_reward_factual": "expected_click"}


def export_arrays(log: RunLog) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The log as obp's arrays, and the metadata of the sidecar."""
    stats = check_propensities(log, refuse_approximate=False)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in (
        "action", "reward", "pscore", "pscore_cascade", "user", "t", "conversion")}
    for block in iter_sessions(log):
        s, k = block.item.shape
        parts["action"].append(block.item.reshape(-1))
        parts["reward"].append(block.click.reshape(-1).astype(np.float64))
        parts["pscore"].append(block.propensity.reshape(-1))
        cascade = cascade_propensities(log, block.propensity)
        if cascade is not None:
            parts["pscore_cascade"].append(cascade.reshape(-1))
        parts["user"].append(np.repeat(block.user, k))
        parts["t"].append(np.repeat(block.t, k))
        parts["conversion"].append(block.reward.reshape(-1).astype(np.float64))
    out = {name: np.concatenate(v) for name, v in parts.items() if v}
    n, k = out["action"].size, log.k
    out["position"] = np.tile(np.arange(k, dtype=np.int64), n // k)
    out["slate_id"] = np.repeat(np.arange(n // k, dtype=np.int64), k)
    out["pscore_item_position"] = out["pscore"]
    if "pscore_cascade" in out:
        out["pscore_slate"] = np.repeat(out["pscore_cascade"].reshape(-1, k)[:, -1], k)
    meta = _truth_fields(log, out)
    n_actions = int(meta.pop("n_items", int(out["action"].max()) + 1))
    meta.update(n_rounds=n, n_actions=n_actions, len_list=k, source_run=str(log.run_dir),
                logging_policy=log.policy_name, logging_target=log.policy_target,
                propensities=stats, propensity_kind=log.propensity_kind,
                fields={f: FIELDS[f] for f in FIELDS
                        if f in out or f in ("n_rounds", "n_actions", "len_list")})
    return out, meta


def _truth_fields(log: RunLog, out: dict[str, np.ndarray]) -> dict[str, Any]:
    folder = log.run_dir / TRUTH_DIR
    if not (folder / "truth.json").is_file():
        return {"truth": None}
    truth = read_truth_meta(folder)
    arrays = load_truth(folder, truth)
    n_items = int(truth["n_items"])
    meta: dict[str, Any] = {"truth": str(folder), "n_items": n_items,
                            "truth_relevance_bytes": truth.get("relevance_bytes"),
                            "truth_stationary": truth["stationary"]}
    if "user_features" in arrays:
        out["context"] = arrays["user_features"][out["user"]]
    if "item_features" in arrays:
        out["action_context"] = arrays["item_features"]
    exam = truth.get("examination")
    if "relevance" in arrays and truth["stationary"] and exam is not None:
        rel = arrays["relevance"]
        if len(exam) < log.k:
            raise DataError(f"{folder / 'truth.json'}: field `examination` has {len(exam)} "
                            f"ranks, the log's slates {log.k}; rerun the run.")
        rows = np.zeros_like(out["user"]) if truth["is_global"] else out["user"]
        factual = np.asarray(rel[rows, out["action"]], dtype=np.float64) * np.asarray(exam)[
            out["position"]]
        out["expected_reward_factual"] = factual
        meta["logging_true_value"] = float(factual.sum() / (out["action"].size // log.k))
    return meta


def write(arrays: dict[str, np.ndarray], meta: dict[str, Any], fmt: str, out: Path,
          replace: bool = True) -> Path:
    """Write the arrays (``.npz`` or Parquet) and the JSON sidecar atomically.

    Raises:
        UnsafePathError: ``out`` or its sidecar is a folder, a symbolic link or a special
            file (device, fifo), or exists while ``replace`` is false.
    """
    sidecar = out.with_suffix(".json")
    for path in (out, sidecar):
        check_output_target(path, replace=replace)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "obp":
        def save(tmp: str) -> None:
            with open(tmp, "wb") as fh:
                np.savez(fh, n_rounds=meta["n_rounds"], n_actions=meta["n_actions"],
                         len_list=meta["len_list"], **arrays)
        atomic_write(out, save)
    else:
        cols = {PARQUET_NAMES[k]: v for k, v in arrays.items() if k in PARQUET_NAMES}
        cols["rank"] = (arrays["position"] + 1).astype(np.int16)
        frame = pl.DataFrame(cols)
        atomic_write(out, lambda tmp: frame.write_parquet(tmp, compression="zstd"))
        meta = dict(meta, columns={PARQUET_NAMES.get(k, k): v for k, v in meta["fields"].items()})
    atomic_text(sidecar, json.dumps(dict(meta, format=fmt, file=str(out)), indent=2))
    return sidecar


def main(argv: list[str] | None = None) -> int:
    """The ``loopsim-export`` command."""
    parser = argparse.ArgumentParser(prog="loopsim-export", description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path, help="a run folder made with log.impressions=true")
    parser.add_argument("--format", choices=("obp", "parquet"), default="obp")
    parser.add_argument("--out", type=Path, required=True, help="the .npz or .parquet to write")
    _target_arguments(parser)
    parser.add_argument("--force", action="store_true",
                        help="replace an existing --out file (and its .json sidecar)")
    args = parser.parse_args(argv)
    try:
        for path in (args.out, args.out.with_suffix(".json")):  # before the work
            check_output_target(path, replace=args.force)
        arrays, meta = export_arrays(open_run(args.run_dir))
        _add_target(args, arrays, meta)
        sidecar = write(arrays, meta, args.format, args.out, replace=args.force)
    except LoopsimError as exc:
        print(f"loopsim-export: {exc}", file=sys.stderr)
        return 2
    print(f"{meta['n_rounds']:,} impressions ({meta['n_rounds'] // meta['len_list']:,} "
          f"sessions, {meta['n_actions']:,} actions) -> {args.out} + {sidecar}")
    return 0


def _target_arguments(parser: argparse.ArgumentParser) -> None:
    """``--target`` / ``--target-model``: also write a target's action distribution."""
    group = parser.add_argument_group("target policy (obp round trip, docs/obp.md)")
    group.add_argument("--target", help="a loopsim-ope target: a policy config name")
    group.add_argument("--target-model", type=Path,
                       help="or a frozen scores file (a run folder or a Parquet file)")
    group.add_argument("--score-column", default="score")
    group.add_argument("--train-until", type=float, default=None,
                       help="sessions before this day train the target (default as loopsim-ope)")


def _add_target(args: argparse.Namespace, arrays: dict[str, np.ndarray],
                meta: dict[str, Any]) -> None:
    """Add the target's sparse action distribution (:mod:`.obp_target`) when asked."""
    if args.target is None and args.target_model is None:
        return
    from loopsim.experiments.ope.obp_target import target_arrays
    from loopsim.experiments.ope.target import model_target, policy_target
    from loopsim.simulator.errors import ConfigError

    if args.format != "obp":
        raise ConfigError("--target is written in the obp format only (--format obp).")
    log = open_run(args.run_dir)
    target = (policy_target(log, args.target) if args.target is not None
              else model_target(log, args.target_model, args.score_column))
    extra = target_arrays(args.run_dir, target, args.train_until)
    meta["target"] = target.name
    meta["train_until"] = extra.pop("train_until")
    arrays.update(extra)
    meta["fields"].update({f: FIELDS[f] for f in extra})


if __name__ == "__main__":
    raise SystemExit(main())
