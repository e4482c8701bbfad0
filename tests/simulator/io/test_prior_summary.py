"""summary.json's ``prior`` block, on hand-made rows and items."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator.io.prior_summary import prior_summary
from loopsim.simulator.io.results import RunResult


def _rows(means: list[float]) -> list[tuple[float, str, float]]:
    rows = [(float(t), "policy_prior_mean", m) for t, m in enumerate(means)]
    return rows + [(float(len(means) - 1), "policy_prior_strength", 25.0),
                   (0.0, "gini_exposure", 0.5)]


def test_the_prior_is_set_beside_the_catalogue() -> None:
    items = {"true_value": np.array([0.1, 0.2, 0.3, 0.4, 0.9]),
             "available": np.array([True, True, True, True, False])}
    block = prior_summary(_rows([0.5, 0.35]), items)
    assert block is not None
    assert block["mean"] == pytest.approx(0.35) and block["mean_first"] == pytest.approx(0.5)
    assert block["strength"] == pytest.approx(25.0)
    assert block["catalogue_mean_true_value"] == pytest.approx(0.25)  # item 4 expired
    assert block["percentile"] == pytest.approx(0.75)  # 3 of the 4 available below 0.35


def test_no_block_without_a_prior() -> None:
    assert prior_summary([(0.0, "gini_exposure", 0.1)], {"true_value": np.ones(3)}) is None


def test_the_block_reaches_the_summary() -> None:
    items = {"item": np.arange(2), "true_value": np.array([0.2, 0.4]),
             "available": np.ones(2, bool)}
    result = RunResult.build(rows=_rows([0.3]), items=items, wall_time=1.0, impressions=1,
                             sessions=1, seed=0, policy_name="coec", error=None,
                             failed_at=None)
    assert result.summary["prior"]["mean"] == pytest.approx(0.3)
    assert result.summary["prior"]["percentile"] == pytest.approx(0.5)
    plain = RunResult.build(rows=[(0.0, "gini_exposure", 0.1)], items=items, wall_time=1.0,
                            impressions=1, sessions=1, seed=0, policy_name="ctr",
                            error=None, failed_at=None)
    assert "prior" not in plain.summary
