"""The obp round trip: a target's action distribution in the export, plain scalars, and
loopsim-ope's IPS, SNIPS and DR against a reference written from their definitions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from loopsim.experiments.ope.dm import PositionBasedDM
from loopsim.experiments.ope.evaluate import evaluate
from loopsim.experiments.ope.export import main as export_main
from loopsim.experiments.ope.log import open_run
from loopsim.experiments.ope.obp_target import dense_action_dist, load_bandit_feedback
from loopsim.experiments.ope.target import policy_target
from loopsim.simulator.errors import DataError


@pytest.fixture(scope="module")
def exported(eps_run: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("obp") / "log.npz"
    assert export_main([str(eps_run), "--out", str(out), "--target", "ctr"]) == 0
    return load_bandit_feedback(out)


def test_scalars_are_plain_ints_and_the_target_is_sparse(exported: dict):
    for name in ("n_rounds", "n_actions", "len_list"):
        assert type(exported[name]) is int
    k, n = exported["len_list"], exported["n_rounds"]
    slate = exported["target_slate"]
    assert slate.shape == (n // k, k)
    late = exported["evaluated"]
    assert (slate[~late] == -1).all() and (slate[late] >= 0).all()
    for row in slate[late]:
        assert len(set(row)) == k
    match = (slate.reshape(-1) == exported["action"]) & np.repeat(late, k)
    assert np.array_equal(exported["evaluation_policy_pscore_item_position"], match)


def test_the_dense_layout_is_obps_and_bounded(exported: dict):
    k = exported["len_list"]
    slate, pscore = exported["target_slate"][-3:], exported["target_pscore"][-3:]
    dist = dense_action_dist(slate, pscore, exported["n_actions"])
    assert dist.shape == (3 * k, exported["n_actions"], k)
    np.testing.assert_allclose(dist.sum(axis=1), 1.0)  # a distribution per round and position
    for r in range(3 * k):
        for p in range(k):
            assert dist[r, slate[r // k, p], p] == 1.0
    with pytest.raises(DataError, match="GB"):
        dense_action_dist(exported["target_slate"], exported["target_pscore"], 10**9)


def reference(bf: dict, q_logged: np.ndarray, q_target: np.ndarray) -> dict[str, float]:
    """IPS, SNIPS (per position, and pooled as obp does) and DR from their definitions,
    on the evaluated rounds of the export only."""
    k = bf["len_list"]
    rows = np.repeat(bf["evaluated"], k)
    c = bf["reward"][rows].reshape(-1, k)
    w = (bf["evaluation_policy_pscore_item_position"][rows] / bf["pscore"][rows]).reshape(-1, k)
    n = c.shape[0]
    per_position = sum((c[:, j] * w[:, j]).sum() / w[:, j].sum() for j in range(k)
                       if w[:, j].sum() > 0)
    pooled = (c * w).sum() / w.mean() / n  # obp: reward * iw / iw.mean(), summed per slate
    return {"ips": float((c * w).sum() / n), "snips": float(per_position),
            "snips_pooled": float(pooled),
            "dr": float((q_target.sum() + (w * (c - q_logged)).sum()) / n)}


def test_loopsim_ope_matches_the_reference_on_the_export(eps_run: Path, exported: dict):
    log = open_run(eps_run)
    report = evaluate(eps_run, policy_target(log, "ctr"))
    k = exported["len_list"]
    rows = np.repeat(exported["evaluated"], k)
    logged = exported["action"][rows].reshape(-1, k)
    target = exported["target_slate"][exported["evaluated"]]
    dm = PositionBasedDM(k)
    dm.add(logged, exported["reward"][rows].reshape(-1, k).astype(bool))
    dm.fit()
    ref = reference(exported, dm.predict(logged), dm.predict(target))
    assert report.n_sessions == logged.shape[0]
    for name in ("ips", "snips", "dr"):
        assert report.estimates[name].value == pytest.approx(ref[name], rel=1e-9), name
    # obp pools the positions: another number, and the docs say so
    assert ref["snips_pooled"] != pytest.approx(ref["snips"], rel=1e-3)
