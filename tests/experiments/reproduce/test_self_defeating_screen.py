"""The hypothesis pair's screen: both heads' MSE on the old system's rows, one small run."""

from __future__ import annotations

import math

from loopsim.experiments.reproduce.self_defeating_screen import screen

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
