"""OPE on logged runs: the truth beside the log, the evaluation, and refused inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from loopsim.experiments.ope.evaluate import evaluate
from loopsim.experiments.ope.log import check_propensities, iter_sessions, open_run
from loopsim.experiments.ope.target import model_target, policy_target
from loopsim.experiments.ope.truth_reader import Truth, logging_value
from loopsim.simulator.errors import DataError

from tests.experiments.ope.conftest import logged_run


def test_truth_is_written_beside_the_log(eps_run: Path) -> None:
    meta = json.loads((eps_run / "truth" / "truth.json").read_text())
    rel = np.load(eps_run / "truth" / "relevance.npy")
    assert meta["stationary"] is True and meta["relevance"] == "relevance.npy"
    assert rel.shape == (200, meta["n_items"]) and rel.nbytes == meta["relevance_bytes"]
    assert meta["examination"] == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4])


def test_logging_value_is_the_mean_of_exact_expected_clicks(eps_run: Path) -> None:
    log = open_run(eps_run)
    truth = Truth(log)
    rel = np.load(eps_run / "truth" / "relevance.npy")
    total, n = 0.0, 0
    for block in iter_sessions(log):
        total += float((rel[block.user[:, None], block.item] @ [1, 1 / 2, 1 / 3, 1 / 4]).sum())
        n += len(block)
    assert logging_value(log, truth) == pytest.approx((total / n, n))


def test_sessions_cut_by_chunk_ends_are_whole(eps_run: Path) -> None:
    log = open_run(eps_run)
    rows = sum(pl.read_parquet(f).filter(pl.col("source") == 0).height for f in log.files)
    assert len(log.files) > 1 and rows % 1003 != 0  # organic rows (rank 0) left out
    assert sum(len(b) for b in iter_sessions(log)) * 4 == rows


def test_oracle_target_value_is_its_best_slate(eps_run: Path) -> None:
    report = evaluate(eps_run, policy_target(open_run(eps_run), "oracle"), train_until=2.0)
    assert report.true_value > report.logging_value
    assert set(report.estimates) == {"ips", "snips", "dm", "dr"}
    for est in report.estimates.values():
        assert est.low <= est.value <= est.high and est.n == report.n_sessions


def test_slate_ips_on_a_uniform_log(random_run: Path) -> None:
    report = evaluate(random_run, policy_target(open_run(random_run), "ctr"), train_until=2.0)
    assert "slate_ips" in report.estimates


def test_frozen_model_from_another_run_of_the_same_world(eps_run: Path,
                                                         tmp_path: Path) -> None:
    other = logged_run(tmp_path / "ucb", ["policy=ucb"])
    report = evaluate(eps_run, model_target(open_run(eps_run), other))
    assert report.train_until == 0.0 and report.n_sessions > 0


# -- refused inputs --------------------------------------------------------------------
def test_log_without_propensities_is_refused(eps_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(eps_run, run)
    chunk = run / "impressions" / "part-00000.parquet"
    pl.read_parquet(chunk).drop("propensity").write_parquet(chunk)
    with pytest.raises(DataError, match=r"part-00000.parquet: field\(s\) \['propensity'\] "
                                         r"missing: no propensities.*epsilon_greedy"):
        evaluate(run, policy_target(open_run(run), "ctr"))


def test_unknown_propensities_are_refused(eps_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(eps_run, run)
    chunk = run / "impressions" / "part-00001.parquet"
    frame = pl.read_parquet(chunk)
    frame.with_columns(pl.when(pl.col("rank") == 2).then(float("nan"))
                       .otherwise(pl.col("propensity")).alias("propensity")).write_parquet(chunk)
    with pytest.raises(DataError, match=r"part-00001.parquet: field `propensity` is nan "
                                        r"at row \d+ .*unknown \(NaN\)"):
        evaluate(run, policy_target(open_run(run), "ctr"))


def test_deterministic_log_is_refused_with_loggers_to_use(greedy_run: Path) -> None:
    with pytest.raises(DataError, match=r"`propensity` is 1 on all .* deterministic.*"
                                        r"epsilon_greedy, softmax, rand_topn"):
        evaluate(greedy_run, policy_target(open_run(greedy_run), "ctr"))


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_corrupt_or_truncated_chunk_is_refused(eps_run: Path, tmp_path: Path,
                                               damage: str) -> None:
    run = tmp_path / "run"
    shutil.copytree(eps_run, run)
    chunk = run / "impressions" / "part-00001.parquet"
    data = chunk.read_bytes()
    chunk.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"x" * len(data))
    with pytest.raises(DataError, match=r"part-00001.parquet: not readable as Parquet.*"
                                        r"corrupt or truncated"):
        evaluate(run, policy_target(open_run(run), "ctr"))


def test_log_cut_inside_a_session_is_refused(eps_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(eps_run, run)
    last = sorted((run / "impressions").glob("*.parquet"))[-1]
    frame = pl.read_parquet(last)
    frame.head(frame.height - 1).write_parquet(last)
    with pytest.raises(DataError, match=r"field `rank`.*truncated|field `rank`.*not one session"):
        list(iter_sessions(open_run(run)))


def test_mismatched_worlds_are_refused(eps_run: Path, tmp_path: Path) -> None:
    log = open_run(eps_run)
    with pytest.raises(DataError, match=r"field `world.n_items` is 50 but the logged run"):
        policy_target(log, "ctr", ["world.n_items=50"])
    other = logged_run(tmp_path / "other", ["policy=ucb", "world.personalization=0.5"])
    with pytest.raises(DataError, match=r"summary.json: field `world.personalization` is 0.5"):
        model_target(log, other)


def test_target_needing_items_outside_the_candidates_is_refused(eps_run: Path,
                                                                tmp_path: Path) -> None:
    log = open_run(eps_run)
    n = json.loads((eps_run / "truth" / "truth.json").read_text())["n_items"]
    bigger = tmp_path / "scores.parquet"
    pl.DataFrame({"item": np.arange(n + 5), "score": np.arange(n + 5.0)}).write_parquet(bigger)
    with pytest.raises(DataError, match=r"scores.parquet: field `item`: the model scores 5 "
                                        r"items .* never candidates"):
        model_target(log, bigger)
    partial = tmp_path / "partial.parquet"
    pl.DataFrame({"item": np.arange(n - 3), "score": np.ones(n - 3)}).write_parquet(partial)
    with pytest.raises(DataError, match=r"partial.parquet: field `score`: no finite score "
                                        r"for 3"):
        model_target(log, partial)


def test_thompson_monte_carlo_propensities_are_refused_naming_the_selector(
        tmp_path: Path) -> None:
    """Monte-Carlo marginals cannot go below 1/(M+1): the log says so and OPE refuses it."""
    run = logged_run(tmp_path / "ts", ["policy=thompson",
                                       "policy.selector.propensities=monte_carlo"])
    summary = json.loads((run / "summary.json").read_text())
    assert summary["propensity_kind"] == "approximate (Monte Carlo, M=200)"
    with pytest.raises(DataError, match=r"ThompsonSelector.*approximate.*"
                                        r"policy\.selector\.propensities=exact"):
        check_propensities(open_run(run))


def test_thompson_exact_propensities_give_ips_covering_a_uniform_target(
        tmp_path: Path) -> None:
    """A Thompson log (exact propensities by default): IPS of a uniform random target
    covers its online truth."""
    run = logged_run(tmp_path / "ts", ["policy=thompson", "horizon=8"])
    log = open_run(run)
    assert log.propensity_kind == "exact"
    stats = check_propensities(log)
    assert stats["randomized_rows"] == stats["rows"] > 0
    assert stats["min_propensity"] < 1 / 201  # below the old Monte-Carlo floor
    report = evaluate(run, policy_target(log, "random"), train_until=0.0)
    ips = report.estimates["ips"]
    assert ips.low <= report.true_value <= ips.high, (ips, report.true_value)


def test_a_policy_declaring_approximate_propensities_is_refused(eps_run: Path,
                                                                 tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(eps_run, copy)
    summary = json.loads((copy / "summary.json").read_text())
    assert summary["propensity_kind"] == "exact"  # epsilon-greedy declares exact marginals
    summary["propensity_kind"] = "approximate (my sampler)"
    (copy / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(DataError, match="approximate \\(my sampler\\)"):
        check_propensities(open_run(copy))


def test_truth_json_holds_the_logging_policys_true_value(eps_run: Path) -> None:
    meta = json.loads((eps_run / "truth" / "truth.json").read_text())
    log = open_run(eps_run)
    assert (meta["logging_true_value"], meta["logged_sessions"]) == pytest.approx(
        logging_value(log, Truth(log)))
