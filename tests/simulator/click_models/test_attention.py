"""The rank-discounted best choice of Chaney et al. (2018)."""

from __future__ import annotations

import numpy as np
from loopsim.simulator.click_models import AttentionChoiceModel


def test_consumes_the_best_attention_times_utility() -> None:
    model = AttentionChoiceModel(exponent=1.0)
    relevance = np.array([[0.2, 0.3, 0.9], [0.5, 0.9, 0.1], [0.0, 0.0, 0.0]])
    # scores row 0: 0.2, 0.15, 0.3 -> rank 3; row 1: 0.5, 0.45, 0.033 -> rank 1; row 2: none
    clicks, rewards = model.sample(relevance, np.random.default_rng(0))
    np.testing.assert_array_equal(clicks, [[0, 0, 1], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(rewards, [[0, 0, 0.9], [0.5, 0, 0], [0, 0, 0]], rtol=1e-6)
    np.testing.assert_array_equal(model.expected_clicks(relevance), [1, 1, 0])


def test_exponent_zero_ignores_rank() -> None:
    clicks, _ = AttentionChoiceModel(0.0).sample(np.array([[0.2, 0.3, 0.25]]),
                                                 np.random.default_rng(0))
    np.testing.assert_array_equal(clicks, [[0, 1, 0]])


def test_the_choice_sees_the_relevance_and_the_reward_is_the_conversion() -> None:
    relevance = np.array([[0.2, 0.3, 0.9], [0.0, 0.0, 0.0]])
    conversion = np.array([[0.25, 0.35, 0.95], [1.0, 1.0, 1.0]])
    clicks, rewards = AttentionChoiceModel(1.0).sample_conversions(
        relevance, conversion, np.random.default_rng(0))
    np.testing.assert_array_equal(clicks, [[0, 0, 1], [0, 0, 0]])
    np.testing.assert_allclose(rewards, [[0, 0, 0.95], [0, 0, 0]], rtol=1e-6)
