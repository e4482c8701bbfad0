"""Paired differences from a reference policy, by seed, with Holm's correction."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from loopsim.experiments.compare.cli import compare
from loopsim.experiments.compare.paired import holm, paired_differences, paired_t, resolve_reference
from loopsim.experiments.compare.terminal import terminal_table
from scipy import stats

from tests.experiments.compare.test_compare import make_run


def test_paired_t_matches_scipy():
    d = np.array([0.3, 0.1, 0.25, 0.4, 0.05])
    mean, half, p = paired_t(d)
    assert mean == pytest.approx(d.mean())
    assert half == pytest.approx(stats.t.ppf(0.975, 4) * d.std(ddof=1) / math.sqrt(5))
    assert p == pytest.approx(stats.ttest_1samp(d, 0.0).pvalue, rel=1e-9)


def test_one_pair_has_no_interval_and_no_test():
    assert paired_t(np.array([0.2])) == (pytest.approx(0.2), None, None)


def test_holm_matches_its_step_down_definition():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4*0.005, 3*0.01, 2*0.03, 1*0.04, running max
    expected = {3: 0.02, 0: 0.03, 2: 0.06, 1: 0.06}
    out = holm(p)
    for i, v in expected.items():
        assert out[i] == pytest.approx(v)
    assert holm([0.5, None, 0.9]) == [pytest.approx(1.0), None, pytest.approx(1.0)]


def test_reference_is_the_group_or_the_one_group_of_that_policy():
    policies = {"ctr estimator=x": "ctr", "random": "random"}
    assert resolve_reference(["ctr estimator=x", "random"], policies, "ctr") == "ctr estimator=x"
    assert resolve_reference(["random"], {"random": "random"}, "ctr") is None
    assert resolve_reference(["a", "b"], {"a": "ctr", "b": "ctr"}, "ctr") is None


def _finals(rows):
    return pl.DataFrame(rows, schema={"run": pl.Utf8, "group": pl.Utf8, "seed": pl.Int64,
                                      "metric": pl.Utf8, "value": pl.Float64}, orient="row")


def test_pairs_are_formed_by_seed_and_common_noise_cancels():
    # world noise w_s shared by both groups at seed s: huge between seeds, zero within.
    w = [0.0, 5.0, -3.0, 9.0]
    rows, runs = [], []
    for s, noise in enumerate(w):
        for g, shift in (("ctr", 0.0), ("good", -0.1), ("same", 0.0)):
            jitter = 0.001 * (s % 2) if g == "same" else 0.0
            rows.append((f"{g}{s}", g, s, "regret_avg", noise + shift + jitter))
            runs.append((f"{g}{s}", 0))
    runs_t = pl.DataFrame(runs, schema={"run": pl.Utf8, "world_seed": pl.Int64}, orient="row")
    d = paired_differences(_finals(rows), runs_t, "ctr", ["regret_avg"])
    good = d.filter(pl.col("group") == "good").row(0, named=True)
    same = d.filter(pl.col("group") == "same").row(0, named=True)
    assert good["n_pairs"] == 4 and good["diff"] == pytest.approx(-0.1)
    assert good["diff_ci95"] == pytest.approx(0.0, abs=1e-12) and good["significant"]
    assert same["significant"] is False and same["p_holm"] > 0.05


def test_a_seed_missing_in_the_reference_is_not_paired():
    rows = [("a0", "ctr", 0, "m", 1.0), ("a1", "ctr", 1, "m", 2.0),
            ("b0", "x", 0, "m", 1.5), ("b1", "x", 1, "m", 2.7), ("b2", "x", 2, "m", 99.0)]
    runs = pl.DataFrame({"run": [r[0] for r in rows], "world_seed": [None] * 5},
                        schema={"run": pl.Utf8, "world_seed": pl.Int64})
    row = paired_differences(_finals(rows), runs, "ctr", ["m"]).row(0, named=True)
    assert row["n_pairs"] == 2 and row["diff"] == pytest.approx(0.6)


def test_holm_makes_a_borderline_difference_not_significant_among_many():
    rng = np.random.default_rng(0)
    rows, runs = [], []
    base = rng.normal(size=6)
    for s in range(6):
        rows.append((f"r{s}", "ctr", s, "m", base[s]))
    # one clear effect and nine nulls; the clear one survives Holm, the nulls do not.
    for k in range(10):
        eff = 1.0 if k == 0 else 0.0
        for s in range(6):
            rows.append((f"g{k}_{s}", f"g{k}", s, "m", base[s] + eff + 0.05 * rng.normal()))
    runs = pl.DataFrame({"run": [r[0] for r in rows]}).with_columns(
        pl.lit(None, pl.Int64).alias("world_seed"))
    d = paired_differences(_finals(rows), runs, "ctr", ["m"])
    sig = dict(zip(d["group"], d["significant"], strict=True))
    assert sig["g0"] is True
    assert sum(sig.values()) <= 2  # family-wise 5%: at most a rare false mark
    raw = d.filter(pl.col("p_value") < 0.05).height
    assert d.filter(pl.col("significant")).height <= raw


@pytest.fixture
def paired_sweep(tmp_path: Path) -> Path:
    d = tmp_path / "s"
    i = 0
    for seed, noise in enumerate((0.0, 0.3, -0.2)):
        for policy, shift in (("ctr", 0.0), ("thompson", -0.2), ("epsilon_greedy", 0.01)):
            jitter = 0.02 * (seed - 1) if policy == "epsilon_greedy" else 0.0
            make_run(d / str(i), policy, seed, regret=(0.5, 0.5 + noise + shift + jitter),
                     gini=(0.5, 0.6 + noise + shift))
            i += 1
    return d


def test_compare_reports_paired_differences_and_marks(paired_sweep: Path):
    result = compare([paired_sweep], plots=False)
    assert result.reference == "ctr"
    d = result.differences.filter(pl.col("metric") == "regret_window")
    by = {r["group"]: r for r in d.iter_rows(named=True)}
    assert by["thompson"]["diff"] == pytest.approx(-0.2) and by["thompson"]["significant"]
    assert by["epsilon_greedy"]["significant"] is False
    s = {r["group"]: r for r in result.summary.iter_rows(named=True)}
    assert s["thompson"]["regret_window_significant"] is True
    assert s["ctr"]["regret_window_diff"] is None
    md = (paired_sweep / "summary.md").read_text()
    assert "## Differences from ctr, paired by seed" in md and "Holm" in md
    assert "| thompson | -0.200 ± 0.000 *" in md
    assert (paired_sweep / "differences.csv").is_file()


def test_terminal_table_is_sorted_fits_100_columns_and_marks_significance(paired_sweep: Path):
    result = compare([paired_sweep], plots=False, sort="regret_window")
    text = result.table()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    body = [line for line in lines if line.split(" ")[0] in ("ctr", "thompson",
                                                             "epsilon_greedy")]
    assert [b.split()[0] for b in body] == ["thompson", "ctr", "epsilon_greedy"]
    assert "*" in body[0] and "(reference)" in body[1] and "*" not in body[2]
    narrow = terminal_table(result.summary, result.differences, "ctr", "regret_window",
                            width=60)
    assert max(len(line) for line in narrow.splitlines()) <= 60


def test_one_seed_says_so_and_tests_nothing(tmp_path: Path):
    make_run(tmp_path / "s" / "0", "ctr", 0)
    make_run(tmp_path / "s" / "1", "thompson", 0, regret=(0.2, 0.05))
    result = compare([tmp_path / "s"], plots=False)
    assert result.differences["significant"].null_count() == result.differences.height
    md = (tmp_path / "s" / "summary.md").read_text()
    assert "one seed per group" in md.lower() and "no interval and no test" in md
    assert "one seed" in result.table()


def test_another_reference_can_be_chosen(paired_sweep: Path):
    result = compare([paired_sweep], plots=False, reference="thompson")
    assert result.reference == "thompson"
    assert set(result.differences["group"]) == {"ctr", "epsilon_greedy"}
    none = compare([paired_sweep], plots=False, reference="nope")
    assert none.reference is None and none.differences.height == 0
