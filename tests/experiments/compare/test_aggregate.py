"""Aggregation over seeds: intervals, unpredictability U, Lorenz and value-exposure curves."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest
from loopsim.experiments.compare import aggregate as agg
from scipy import stats


@pytest.mark.parametrize("df", [1, 2, 4, 9, 29, 30, 31, 45, 100, 1000])
def test_t_quantile_matches_scipy(df):
    assert agg.t_quantile_975(df) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-12)


def test_t_quantile_without_degrees_of_freedom_is_nan():
    assert math.isnan(agg.t_quantile_975(0))


def test_mean_ci_is_the_student_t_interval():
    x = np.array([0.2, 0.5, 0.3, 0.9, 0.4])
    frame = pl.DataFrame({"g": ["a"] * 5 + ["b"], "value": [*x, 7.0]})
    out = agg.mean_ci(frame, ["g"])
    a = out.filter(pl.col("g") == "a").row(0, named=True)
    half = stats.t.ppf(0.975, 4) * x.std(ddof=1) / math.sqrt(5)
    assert a["mean"] == pytest.approx(x.mean())
    assert a["ci95"] == pytest.approx(half, rel=1e-4)
    assert a["n"] == 5
    b = out.filter(pl.col("g") == "b").row(0, named=True)
    assert b["mean"] == 7.0 and b["ci95"] is None and b["n"] == 1


def test_mean_ci_ignores_nan_values():
    frame = pl.DataFrame({"g": ["a", "a", "a"], "value": [1.0, float("nan"), 3.0]})
    row = agg.mean_ci(frame, ["g"]).row(0, named=True)
    assert row["mean"] == 2.0 and row["n"] == 2


def test_unpredictability_of_identical_runs_is_zero():
    shares = np.tile(np.array([[0.5], [0.3], [0.2]]), (1, 4))
    assert agg.unpredictability(shares) == 0.0


def test_unpredictability_of_two_opposite_winners():
    # item 0 takes all in run 1, item 1 in run 2: |1-0| for both items, 0 for the third.
    shares = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    assert agg.unpredictability(shares) == pytest.approx(2 / 3)


def test_unpredictability_matches_the_pairwise_definition():
    rng = np.random.default_rng(3)
    m = rng.dirichlet(np.ones(6), size=5).T  # 6 items x 5 runs
    pairs = list(itertools.combinations(range(5), 2))
    u_i = [np.mean([abs(m[i, j] - m[i, k]) for j, k in pairs]) for i in range(6)]
    assert agg.unpredictability(m) == pytest.approx(np.mean(u_i))


def test_unpredictability_needs_two_runs():
    assert math.isnan(agg.unpredictability(np.array([[1.0], [0.0]])))


def _items(run: str, group: str, world_seed: int | None, clicks, exposure=None):
    n = len(clicks)
    return pl.DataFrame({
        "run": run, "group": group, "world_seed": world_seed, "item": np.arange(n),
        "true_value": np.arange(n, dtype=float), "clicks": clicks,
        "exposure": exposure if exposure is not None else clicks, "available": True,
    }, schema_overrides={"world_seed": pl.Int64})


def test_group_unpredictability_uses_click_shares_and_needs_a_fixed_world():
    items = pl.concat([
        _items("a0", "a", 7, [10, 0, 0]), _items("a1", "a", 7, [0, 5, 5]),
        _items("b0", "b", None, [1, 1, 1]), _items("b1", "b", None, [1, 1, 1]),
        _items("c0", "c", 7, [1, 1, 1]),
    ])
    out = {r["group"]: r for r in agg.group_unpredictability(items).iter_rows(named=True)}
    assert out["a"]["unpredictability"] == pytest.approx((1.0 + 0.5 + 0.5) / 3)
    # total variation between (1, 0, 0) and (0, .5, .5) is 1; n U / 2 = 3 * (2/3) / 2
    assert out["a"]["unpredictability_tv"] == pytest.approx(1.0)
    assert out["b"]["unpredictability_tv"] is None
    assert out["b"]["unpredictability"] is None and "world.seed" in out["b"]["u_note"]
    assert out["c"]["unpredictability"] is None and "2 runs" in out["c"]["u_note"]


def test_lorenz_of_equal_exposure_is_the_diagonal_and_of_one_item_is_flat():
    items = pl.concat([_items("e", "equal", 0, [5, 5, 5, 5]),
                       _items("o", "one", 0, [0, 0, 0, 8])])
    lz = agg.lorenz_by_group(items)
    eq = lz.filter(pl.col("group") == "equal")
    assert np.allclose(eq["mean"].to_numpy(), eq["item_share"].to_numpy())
    one = lz.filter(pl.col("group") == "one")
    below = one.filter(pl.col("item_share") <= 0.75)["mean"].to_numpy()
    assert np.allclose(below, 0.0) and one["mean"].to_numpy()[-1] == 1.0


def test_value_exposure_puts_each_items_share_in_its_true_value_bin():
    # 4 items ranked by true value 0..3, 2 bins: items 0-1 in bin 1, items 2-3 in bin 2.
    items = _items("r", "g", 0, [0, 0, 0, 0], exposure=[1, 1, 2, 6])
    ve = agg.value_exposure_by_group(items, bins=2).sort("bin")
    assert ve["mean"].to_list() == pytest.approx([0.2, 0.8])


def _runs(rows: list[tuple[str, int, int | None]], status: str = "completed") -> pl.DataFrame:
    return pl.DataFrame([(g, s, w, status) for g, s, w in rows],
                        schema={"group": pl.Utf8, "seed": pl.Int64, "world_seed": pl.Int64,
                                "status": pl.Utf8}, orient="row")


def test_replicate_unit_names_what_the_runs_of_a_group_vary():
    # world.seed unset: every seed draws its own world
    assert agg.replicate_unit(_runs([("a", 0, None), ("a", 1, None)])) == "seeds × worlds"
    # world.seed fixed: the seeds replay one world
    assert agg.replicate_unit(_runs([("a", 0, 7), ("a", 1, 7), ("b", 0, 7)])) == (
        "seeds, one world")
    # only the world varies
    assert agg.replicate_unit(_runs([("a", 0, 1), ("a", 0, 2)])) == "worlds"
    # one run per group: nothing varies
    assert agg.replicate_unit(_runs([("a", 0, None), ("b", 0, None)])) == "seeds, one world"
    # failed runs do not count
    assert agg.replicate_unit(_runs([("a", 0, None)], status="failed")) == "seeds"
