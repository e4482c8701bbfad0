"""The self-defeating report: paired differences per pair, one table per sweep folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from loopsim.experiments.reproduce.self_defeating import METRICS, by_day, paired, report


def _run(folder: Path, policy: str, seed: int, value: float) -> None:
    rows = [{"policy": policy, "seed": seed, "slice": "all", "t": t, "metric": m,
             "value": value + (0.0 if t > 5 else 100.0)}  # early days are ignored
            for t in (2.0, 6.0, 8.0) for m in METRICS]
    (folder / f"{policy}_{seed}").mkdir(parents=True)
    pl.DataFrame(rows).write_parquet(folder / f"{policy}_{seed}" / "metrics.parquet")


def test_paired_is_the_mean_difference_with_a_student_t_interval() -> None:
    mean, half, worse, n = paired(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 5.0]))
    assert abs(mean - 1.0) < 1e-12 and n == 3 and worse == 2
    assert abs(half - 4.302652729911275 * 1.0 / np.sqrt(3)) < 1e-9  # t(0.975, 2) * sd / sqrt(n)


def test_two_sweeps_with_the_same_pair_are_reported_apart(tmp_path: Path) -> None:
    for folder, shift in (("sd", 1.0), ("sdc", -1.0)):
        for seed in range(3):
            _run(tmp_path / folder, "wu_loss_old", seed, 0.5)
            _run(tmp_path / folder, "wu_loss_improved", seed, 0.5 + shift * (1 + seed))
    text = report([tmp_path / "sd", tmp_path / "sdc"])
    first, second = text.split("`sdc`:")
    assert "| wu_loss | regret_window | 0.500 | 2.500 | +2.000 ± 2.484 | 3/3 |" in first
    assert "| wu_loss | regret_window | 0.500 | -1.500 | -2.000 ± 2.484 | 0/3 |" in second


def test_by_day_pairs_the_two_upstreams_per_day_on_each_systems_rows(tmp_path: Path) -> None:
    rows = []
    for seed in range(3):
        for t in (1.0, 2.0):  # day 1: the improvement's upstream better by 0.01 + seed/100
            gap = (0.01 + seed / 100) * (1 if t == 1.0 else -1)
            rows += [{"policy": "wu_x_old", "seed": seed, "slice": "all", "t": t,
                      "metric": "upstream_mse_window", "value": 0.2},
                     {"policy": "wu_x_old", "seed": seed, "slice": "all", "t": t,
                      "metric": "shadow_mse_window", "value": 0.2 - gap},
                     {"policy": "wu_x_improved", "seed": seed, "slice": "all", "t": t,
                      "metric": "upstream_mse_window", "value": 0.3},
                     {"policy": "wu_x_improved", "seed": seed, "slice": "all", "t": t,
                      "metric": "shadow_mse_window", "value": 0.3 + gap}]
    for policy in ("wu_x_old", "wu_x_improved"):
        for seed in range(3):
            (tmp_path / f"{policy}_{seed}").mkdir()
            pl.DataFrame([r for r in rows if r["policy"] == policy and r["seed"] == seed]
                         ).write_parquet(tmp_path / f"{policy}_{seed}" / "metrics.parquet")
    text = by_day([tmp_path])
    half = 4.302652729911275 * 0.01 / np.sqrt(3)
    better, worse = f"-0.0200 ± {half:.4f} (0/3 worse)", f"+0.0200 ± {half:.4f} (3/3 worse)"
    assert f"| wu_x | 1 | {better} | {better} |" in text
    assert f"| wu_x | 2 | {worse} | {worse} |" in text


def test_exploration_rows_are_paired_on_each_system_when_the_runs_have_them(
        tmp_path: Path) -> None:
    """With ``upstream_mse_explore_window`` and ``shadow_mse_explore_window`` the table
    adds the improved upstream's MSE minus the old one's on each system's exploration
    rows; without them (``explore = 0``) it has no such line."""
    for seed in range(3):
        _run(tmp_path / "plain", "wu_x_old", seed, 0.5)
        _run(tmp_path / "plain", "wu_x_improved", seed, 0.5)
    assert "exploration" not in report([tmp_path / "plain"])
    for seed in range(3):
        for policy, up, sh in (("wu_x_old", 0.20, 0.19 - seed / 100),
                               ("wu_x_improved", 0.18 - seed / 100, 0.20)):
            rows = [{"policy": policy, "seed": seed, "slice": "all", "t": t, "metric": m,
                     "value": v} for t in (6.0, 8.0)
                    for m, v in (*((m, 0.5) for m in METRICS),
                                 ("upstream_mse_explore_window", up),
                                 ("shadow_mse_explore_window", sh))]
            (tmp_path / "ex" / f"{policy}_{seed}").mkdir(parents=True)
            pl.DataFrame(rows).write_parquet(tmp_path / "ex" / f"{policy}_{seed}"
                                             / "metrics.parquet")
    text = report([tmp_path / "ex"])
    half = 4.302652729911275 * 0.01 / np.sqrt(3)
    assert (f"| wu_x | upstream MSE on the old system's exploration rows | 0.2000 | 0.1800 | "
            f"-0.0200 ± {half:.4f} | 0/3 |") in text
    assert (f"| wu_x | upstream MSE on the improved system's exploration rows | 0.2000 | "
            f"0.1700 | -0.0300 ± {half:.4f} | 0/3 |") in text
    assert (f"| wu_x | upstream MSE on the exploration rows, each deployed | 0.2000 | "
            f"0.1700 | -0.0300 ± {half:.4f} | 0/3 |") in text
