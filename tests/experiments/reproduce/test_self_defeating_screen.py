"""The hypothesis pair's screen: both heads' MSE on the old system's rows, one small run."""

from __future__ import annotations

import math

import pytest
from loopsim.experiments.reproduce.self_defeating_screen import main, screen, screen_data

SMALL = ["world.n_users=120", "world.n_items=40", "horizon=4",
         "world.sessions_per_user_per_day=2"]


def test_the_screen_reports_both_heads_on_the_same_rows_and_their_difference() -> None:
    got = screen(0, SMALL, after=2.0)
    assert set(got) == {"upstream_mse_window", "shadow_mse_window", "regret_window",
                        "mlp_minus_dot"}
    assert all(math.isfinite(v) for v in got.values())
    assert 0.0 < got["upstream_mse_window"] < 1.0 and 0.0 < got["shadow_mse_window"] < 1.0
    assert math.isclose(got["mlp_minus_dot"],
                        got["shadow_mse_window"] - got["upstream_mse_window"], abs_tol=1e-15)
    assert got["upstream_mse_window"] != got["shadow_mse_window"]  # two heads, not one


def test_the_data_screen_pairs_each_upstream_difference_on_one_systems_rows() -> None:
    small = [*SMALL, "world.item_attributes=16"]
    got = screen_data(0, small, after=2.0, policies="wu_data_fixed")
    assert set(got) == {"mse_on_old_rows", "mse_on_improved_rows", "regret_old",
                        "regret_improved", "regret_improved_minus_old"}
    assert all(math.isfinite(v) for v in got.values())
    assert got["mse_on_old_rows"] != 0.0 and got["mse_on_improved_rows"] != 0.0
    assert math.isclose(got["regret_improved_minus_old"],
                        got["regret_improved"] - got["regret_old"], abs_tol=1e-15)
    assert got["regret_improved"] != got["regret_old"]  # two systems, not one


def test_policies_without_the_data_pair_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """``--policies`` names the data pair's policies: with the hypothesis pair it would be
    ignored, so it is refused with the fix."""
    with pytest.raises(SystemExit) as stop:
        main(["--policies", "wu_data_genre", "0"])
    assert stop.value.code == 2
    assert "add --pair data" in capsys.readouterr().err


def test_the_hypothesis_screen_of_both_systems_adds_the_exploration_rows() -> None:
    """``--pair hypothesis-both`` with ``policy.explore``: both heads on each system's
    exploration rows, next to the served rows."""
    got = screen_data(0, [*SMALL, "policy.explore=0.2"], after=2.0,
                      policies="wu_hypothesis", experiment="self_defeating_hypothesis")
    assert {"mse_explore_on_old_rows", "mse_explore_on_improved_rows",
            "mse_on_old_rows", "regret_improved_minus_old"} <= set(got)
    assert all(math.isfinite(v) for v in got.values())
    assert got["mse_explore_on_old_rows"] != got["mse_on_old_rows"]
    plain = screen_data(0, SMALL, after=2.0, policies="wu_hypothesis",
                        experiment="self_defeating_hypothesis")
    assert "mse_explore_on_old_rows" not in plain
