"""Batched serving (tick > 0) and exact serving (tick = 0) agree statistically."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies import Random

from tests.builtins import make_policy
from tests.conftest import run_sim, tiny_world

METRICS = ("expected_clicks_window", "coverage_window", "gini_exposure", "ctr_window",
           "sessions_window")


def _finals(policy_cls: type, tick: float, seeds: range) -> dict[str, np.ndarray]:
    out: dict[str, list[float]] = {m: [] for m in METRICS}
    for seed in seeds:
        result = run_sim(policy_cls(), seed=seed, tick=tick, horizon=15.0,
                         world=tiny_world(n_users=150), retrain_interval=0.5)
        final = result.summary["final_metrics"]
        for m in METRICS:
            out[m].append(final[m])
    return {m: np.array(v) for m, v in out.items()}


@pytest.mark.parametrize("policy_cls", [Random, lambda: make_policy("ctr")])
def test_tick_zero_and_small_tick_agree(policy_cls: type) -> None:
    seeds = range(6)
    exact, batched = _finals(policy_cls, 0.0, seeds), _finals(policy_cls, 0.02, seeds)
    for m in METRICS:
        a, b = exact[m], batched[m]
        spread = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / len(seeds))
        # Welch-style: the means differ by less than 4 standard errors (+ a small floor).
        assert abs(a.mean() - b.mean()) < 4 * spread + 0.02, (m, a, b)
