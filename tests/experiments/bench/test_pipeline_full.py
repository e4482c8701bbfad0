"""The pipeline_full scenario's overrides compose and run at a toy size."""

from __future__ import annotations

import pytest
from loopsim.experiments.bench import pipeline_full
from loopsim.experiments.bench.timed_run import build, run_timed
from loopsim.policies.pipeline import faiss_available


def test_the_scenario_is_the_issues_size() -> None:
    o = pipeline_full.overrides()
    assert "world.n_users=1000000" in o and "world.n_items=100000" in o and "horizon=7" in o
    assert "policy.retrieval.estimator.dtype=float32" in o


@pytest.mark.skipif(not faiss_available(), reason="faiss is not installed (the retrieval extra)")
def test_its_overrides_run_at_a_toy_size() -> None:
    sim = build(pipeline_full.overrides(days=1.5, users=300, items=3000), "pipeline_full")
    out = run_timed(sim)
    assert out["status"] == "completed", out["error"]
    estimator = sim.policy.retrieval.estimator
    assert estimator._users.dtype.name == "float32"
