"""The target policy's side of an Open Bandit Pipeline round trip (``docs/obp.md``).

``loopsim-export RUN --format obp --out log.npz --target coec`` adds to the log the
target's slates in a sparse form: for every evaluated session ``i`` the target's slate
``target_slate[i]`` (``(n_sessions, k)`` item ids, ``-1`` for sessions before
``train_until``, which trained the target) and the probability of each entry
``target_pscore`` (1 for a deterministic ranking). That is ``16 k`` bytes per session,
``16`` per exported round. From it:

* ``evaluation_policy_pscore_item_position`` (``(n_rounds,)``): the target's probability
  of the logged item at the logged position, what obp's slate estimators
  (``SlateIndependentIPS``, ``SelfNormalizedSlateIndependentIPS``) take;
* :func:`dense_action_dist`: obp's ``action_dist`` ``(n_rounds, n_actions, len_list)``
  for its standard estimators, ``8 n_rounds n_actions k`` bytes: only for small logs.

The target's slates are made exactly as ``loopsim-ope`` makes them (same training split,
same random stream), so obp run on the export and ``loopsim-ope`` run on the folder see
the same slates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from loopsim.experiments.ope.log import iter_sessions, open_run
from loopsim.experiments.ope.target import SlateMaker, Target, as_feedback, target_rng
from loopsim.experiments.ope.truth_reader import Truth
from loopsim.simulator.contract.policy import UsesGroundTruth, components
from loopsim.simulator.errors import DataError

__all__ = ["DENSE_LIMIT_BYTES", "dense_action_dist", "load_bandit_feedback", "target_arrays"]

#: :func:`dense_action_dist` refuses above this size unless told otherwise (1 GiB).
DENSE_LIMIT_BYTES = 1 << 30
#: Scalars of the obp layout, loaded back as plain ints.
SCALARS = ("n_rounds", "n_actions", "len_list")


def target_arrays(run_dir: str | Path, target: Target, train_until: float | None = None
                  ) -> dict[str, Any]:
    """The target's sparse action distribution on the log of ``run_dir``.

    Returns:
        ``target_slate`` ``(n_sessions, k)`` int64, ``target_pscore`` ``(n_sessions, k)``,
        ``evaluated`` ``(n_sessions,)`` bool, ``evaluation_policy_pscore_item_position``
        ``(n_rounds,)`` and the scalar ``train_until`` (a float).
    """
    log = open_run(run_dir)
    truth = Truth(log)
    if train_until is None:
        train_until = float(log.config["horizon"]) / 2 if target.trains else 0.0
    for part in components(target.policy):
        if isinstance(part, UsesGroundTruth):
            part.use_ground_truth(truth)
    if target.trains:
        for block in iter_sessions(log):
            early = block.t < train_until
            if early.any():
                target.policy.update(as_feedback(block.take(early)))
    make = SlateMaker(target, truth, log.k, target_rng(log))
    slates, matched, evaluated = [], [], []
    for block in iter_sessions(log):
        late = block.t >= train_until
        out = np.full(block.item.shape, -1, dtype=np.int64)
        if late.any():
            out[late] = make(block.take(late))
        slates.append(out)
        matched.append((out == block.item) & late[:, None])
        evaluated.append(late)
    slate = np.concatenate(slates)
    return {
        "target_slate": slate,
        "target_pscore": np.where(slate >= 0, 1.0, 0.0),
        "evaluated": np.concatenate(evaluated),
        "evaluation_policy_pscore_item_position":
            np.concatenate(matched).reshape(-1).astype(np.float64),
        "train_until": float(train_until),
    }


def dense_action_dist(target_slate: np.ndarray, target_pscore: np.ndarray, n_actions: int,
                      limit_bytes: int = DENSE_LIMIT_BYTES) -> np.ndarray:
    """obp's ``action_dist``: ``(n_rounds, n_actions, len_list)``, one row per exported round.

    Round ``r = i k + j`` (session ``i``, position ``j``) holds the target's distribution
    of its session: ``action_dist[r, target_slate[i, p], p] = target_pscore[i, p]`` for
    every position ``p``. Sessions not evaluated (``-1``) get all zeros; select
    ``evaluated`` rounds before giving it to obp.

    Raises:
        DataError: when the array would exceed ``limit_bytes`` (its size in the message).
    """
    s, k = target_slate.shape
    size = 8 * s * k * int(n_actions) * k
    if size > limit_bytes:
        raise DataError(f"a dense action_dist of {s * k:,} rounds x {n_actions:,} actions x "
                        f"{k} positions needs {size / 1e9:.1f} GB (limit "
                        f"{limit_bytes / 1e9:.1f} GB): use target_slate/target_pscore or "
                        "evaluation_policy_pscore_item_position, or pass limit_bytes.")
    dist = np.zeros((s, int(n_actions), k))
    rows, pos = np.nonzero(target_slate >= 0)
    dist[rows, target_slate[rows, pos], pos] = target_pscore[rows, pos]
    return np.repeat(dist, k, axis=0)


def load_bandit_feedback(path: str | Path) -> dict[str, Any]:
    """An exported ``.npz`` as obp's ``bandit_feedback`` dict, scalars as plain ints."""
    with np.load(path, allow_pickle=False) as data:
        out: dict[str, Any] = {name: data[name] for name in data.files}
    for name in SCALARS:
        if name in out:
            out[name] = int(out[name])
    if "train_until" in out:
        out["train_until"] = float(out["train_until"])
    return out
