"""Measures relative to the ideal recommender (Chaney et al. 2018)."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator.metrics.relative import (
    change_relative_to_ideal,
    utility_relative_to_ideal,
)


def test_change_is_the_difference_run_by_run() -> None:
    np.testing.assert_allclose(change_relative_to_ideal([[0.5, 0.2]], [[0.3, 0.4]]),
                               [[0.2, -0.2]])


def test_utility_relative_is_the_fraction_of_the_ideal() -> None:
    out = utility_relative_to_ideal([0.15, 0.2, 1.0], [0.2, 0.2, 0.0])
    np.testing.assert_allclose(out[:2], [-0.25, 0.0])
    assert np.isnan(out[2])


def test_runs_must_match() -> None:
    with pytest.raises(ValueError, match="run for run"):
        change_relative_to_ideal(np.zeros((2, 3)), np.zeros((3, 3)))
