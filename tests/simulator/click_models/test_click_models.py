"""Click models: exact expectations against their definitions and against sampling."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import CascadeModel, ConfigError, PositionBasedModel
from loopsim.simulator.params.component_schema import check_arguments


def test_pbm_examination_and_expected_clicks() -> None:
    m = PositionBasedModel(eta=1.0)
    np.testing.assert_allclose(m.examination(3), [1, 1 / 2, 1 / 3])
    rel = np.array([[0.6, 0.3, 0.9]])
    np.testing.assert_allclose(m.expected_clicks(rel), [0.6 + 0.15 + 0.3])


def test_pbm_explicit_curve_overrides_eta_and_must_cover_the_slate() -> None:
    m = PositionBasedModel(examination=[0.9, 0.5])
    np.testing.assert_allclose(m.examination(2), [0.9, 0.5])
    with pytest.raises(ConfigError, match="has 2 values but the slate has 3"):
        m.examination(3)


def test_pbm_best_expected_clicks_matches_relevance_to_examination() -> None:
    m = PositionBasedModel(examination=[0.2, 0.9])  # non-monotone curve
    assert m.best_expected_clicks(np.array([[0.8, 0.1]]))[0] == pytest.approx(0.8 * 0.9 + 0.1 * 0.2)


def test_pbm_sampled_click_rate_matches_expectation() -> None:
    m = PositionBasedModel(eta=0.7)
    rel = np.broadcast_to(np.array([0.5, 0.4, 0.3, 0.2]), (200_000, 4))
    clicks, rewards = m.sample(rel, np.random.default_rng(0))
    np.testing.assert_allclose(clicks.mean(axis=0), rel[0] * m.examination(4), atol=4e-3)
    np.testing.assert_array_equal(rewards, clicks.astype(np.float32))


def test_cascade_expected_clicks_by_hand() -> None:
    rel = np.array([[0.5, 0.4, 0.2]])
    # classic cascade: P(reach 2) = 0.5, P(reach 3) = 0.5 * 0.6
    assert CascadeModel(0.0).expected_clicks(rel)[0] == pytest.approx(0.5 + 0.5 * 0.4 + 0.3 * 0.2)
    # with continuation c: P(reach r+1) = P(reach r) (1 - rel_r (1 - c))
    c = 0.5
    reach2, reach3 = 1 - 0.5 * c, (1 - 0.5 * c) * (1 - 0.4 * c)
    expected = 0.5 + reach2 * 0.4 + reach3 * 0.2
    assert CascadeModel(c).expected_clicks(rel)[0] == pytest.approx(expected)


@pytest.mark.parametrize("c", [0.0, 0.3, 1.0])
def test_cascade_sampling_matches_expectation(c: float) -> None:
    m = CascadeModel(c)
    rel = np.broadcast_to(np.array([0.3, 0.6, 0.2, 0.5]), (200_000, 4))
    clicks, _ = m.sample(rel, np.random.default_rng(1))
    assert clicks.sum(axis=1).mean() == pytest.approx(m.expected_clicks(rel[:1])[0], abs=0.01)
    if c == 0.0:
        assert clicks.sum(axis=1).max() == 1


def test_cascade_value_is_order_free() -> None:
    m = CascadeModel(0.2)
    a = m.expected_clicks(np.array([[0.9, 0.1, 0.5]]))
    b = m.expected_clicks(np.array([[0.1, 0.5, 0.9]]))
    np.testing.assert_allclose(a, b)


def test_cascade_bad_continuation_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"continue_after_click == 2"):
        check_arguments(CascadeModel, {"continue_after_click": 2}, "click_model.")
