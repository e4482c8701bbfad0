"""Market shares and Salganik et al.'s unpredictability, on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator.metrics.markets import market_shares, unpredictability


def test_market_shares_rows_sum_to_one() -> None:
    np.testing.assert_allclose(market_shares(np.array([[1, 3], [0, 0]])), [[0.25, 0.75], [0, 0]])


def test_unpredictability_definition() -> None:
    assert unpredictability(np.array([[0.5, 0.5], [0.5, 0.5]])) == 0.0
    assert unpredictability(np.array([[1.0, 0.0], [0.0, 1.0]])) == 1.0
    shares = np.array([[0.6, 0.4], [0.5, 0.5], [0.2, 0.8]])
    # item 0: pairs |0.1|, |0.4|, |0.3| -> mean 0.8/3; item 1 the same
    assert unpredictability(shares) == pytest.approx(0.8 / 3)


def test_unpredictability_needs_two_runs() -> None:
    with pytest.raises(ValueError, match="at least 2 runs"):
        unpredictability(np.array([[1.0, 0.0]]))
