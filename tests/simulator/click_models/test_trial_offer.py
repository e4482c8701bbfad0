"""The trial-offer click model against its definition, on hand-made slates."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import ConfigError
from loopsim.simulator.click_models import TrialOfferModel, sample_feedback
from loopsim.simulator.params.component_schema import check_arguments


def _rows(row: list[float], n: int) -> np.ndarray:
    return np.tile(np.asarray(row, dtype=np.float64), (n, 1))


def test_choice_frequencies_follow_visibility_times_attractiveness() -> None:
    model = TrialOfferModel(visibility=[1.0, 0.5, 0.5], outside_weight=1.0)
    n = 200_000
    clicks, rewards = model.sample(_rows([1.0, 2.0, 0.0], n), np.random.default_rng(0))
    # weights v*w = [1, 1, 0], outside 1: P = [1/3, 1/3, 0], no listen 1/3
    np.testing.assert_allclose(clicks.mean(axis=0), [1 / 3, 1 / 3, 0.0], atol=0.005)
    assert clicks.sum(axis=1).max() == 1
    np.testing.assert_array_equal(rewards, clicks.astype(np.float32))


def test_conversion_gives_downloads_only_after_a_listen() -> None:
    model = TrialOfferModel(visibility_exponent=0.0, outside_weight=0.0)
    n = 200_000
    relevance = _rows([1.0, 1.0], n)
    conversion = _rows([0.2, 0.9], n)
    clicks, rewards = model.sample_conversions(relevance, conversion, np.random.default_rng(1))
    assert clicks.sum() == n  # no outside option: one listen per session
    assert np.all(rewards[~clicks] == 0)
    np.testing.assert_allclose(rewards.mean(axis=0), [0.5 * 0.2, 0.5 * 0.9], atol=0.005)


def test_expected_and_best_expected_clicks() -> None:
    model = TrialOfferModel(visibility=[1.0, 0.5], outside_weight=2.0)
    relevance = np.array([[1.0, 4.0], [4.0, 1.0]])
    # slate 1: 1*1 + 0.5*4 = 3 -> 3/5; slate 2: 4 + 0.5 = 4.5 -> 4.5/6.5
    np.testing.assert_allclose(model.expected_clicks(relevance), [3 / 5, 4.5 / 6.5])
    np.testing.assert_allclose(model.best_expected_clicks(np.array([[4.0, 1.0]])), [4.5 / 6.5])


def test_draws_two_uniforms_per_session_whatever_the_slates() -> None:
    model = TrialOfferModel()
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    model.sample(_rows([1.0, 0.0, 3.0], 7), a)
    model.sample(_rows([0.0, 0.0, 0.0], 7), b)
    assert a.random() == b.random()


def test_nothing_attractive_and_no_outside_option_gives_no_click() -> None:
    model = TrialOfferModel(outside_weight=0.0)
    clicks, _ = model.sample(np.zeros((4, 3)), np.random.default_rng(0))
    assert not clicks.any()
    np.testing.assert_array_equal(model.expected_clicks(np.zeros((1, 3))), [0.0])


def test_bad_parameters_name_the_field() -> None:
    with pytest.raises(ConfigError, match=r"click_model.outside_weight == -1`: must be >= 0"):
        check_arguments(TrialOfferModel, {"outside_weight": -1}, "click_model.")
    with pytest.raises(ConfigError, match="click_model.visibility` has 1 values"):
        TrialOfferModel(visibility=[1.0]).visibility(2)
    with pytest.raises(ConfigError, match=r"click_model.visibility\[1\] == -0.5`: must be >= 0"):
        check_arguments(TrialOfferModel, {"visibility": [1.0, -0.5]}, "click_model.")


class _World:
    def conversion_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        return np.zeros(slates.shape)


def test_sample_feedback_passes_the_world_conversion() -> None:
    slates = np.zeros((1000, 2), dtype=np.int64)
    convert = _World().conversion_of_slates
    clicks, rewards = sample_feedback(TrialOfferModel(outside_weight=0.0), convert,
                                      np.zeros(1000, dtype=np.int64), slates,
                                      np.ones((1000, 2)), np.random.default_rng(0))
    assert clicks.sum() == 1000 and rewards.sum() == 0
    # without the method, reward = click
    clicks, rewards = sample_feedback(TrialOfferModel(outside_weight=0.0), None,
                                      np.zeros(1000, dtype=np.int64), slates,
                                      np.ones((1000, 2)), np.random.default_rng(0))
    np.testing.assert_array_equal(rewards, clicks.astype(np.float32))
