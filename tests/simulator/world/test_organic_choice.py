"""Organic picks on personal worlds: the rejection sampler draws the exact distribution."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import SyntheticWorld
from loopsim.simulator.errors import ContractError
from loopsim.simulator.world.organic_choice import rejection_picks, row_picks
from scipy.stats import chi2


def _personal(n_items: int, seed: int = 0) -> SyntheticWorld:
    world = SyntheticWorld(n_users=3, n_items=n_items, personalization=0.9)
    world.reset(np.random.default_rng(seed))
    return world


def _chi2_pvalue(picks: np.ndarray, probs: np.ndarray) -> float:
    """Pearson's chi-square p-value of the picks against the probabilities."""
    counts = np.bincount(picks, minlength=probs.size)
    expected = probs * picks.size
    stat = float(((counts - expected) ** 2 / expected).sum())
    return float(chi2.sf(stat, probs.size - 1))


def _target(world: SyntheticWorld, user: int, cand: np.ndarray, sharpness: float) -> np.ndarray:
    w = world.relevance(np.array([user]), cand)[0] ** sharpness
    return w / w.sum()


@pytest.mark.parametrize("sharpness", [1.0, 3.0])
def test_rejection_picks_follow_relevance(sharpness: float) -> None:
    world, cand = _personal(200), np.arange(200)
    users = np.repeat(np.arange(3), 30_000)
    picks = rejection_picks(world, users, cand, np.random.default_rng(1), sharpness)
    for u in range(3):
        assert _chi2_pvalue(picks[users == u], _target(world, u, cand, sharpness)) > 1e-4
    # The test has the power to see a wrong sampler: another user's distribution fails it.
    assert _chi2_pvalue(picks[users == 0], _target(world, 1, cand, sharpness)) < 1e-4


class _Faint:
    """A personal world whose relevances are tiny: most picks reach the row fallback."""

    is_global = False

    def __init__(self, rel: np.ndarray) -> None:
        self.rel = rel

    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self.rel[users][:, items]

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        return self.rel[users[:, None], slates]


def test_the_row_fallback_keeps_the_distribution_exact() -> None:
    rng = np.random.default_rng(3)
    rel = 1e-3 * rng.random((2, 300))
    world, cand = _Faint(rel), np.arange(300)
    users = np.repeat(np.arange(2), 40_000)
    picks = rejection_picks(world, users, cand, np.random.default_rng(4))
    for u in range(2):
        assert _chi2_pvalue(picks[users == u], rel[u] / rel[u].sum()) > 1e-4
    rows = row_picks(world, users, cand, np.random.default_rng(4))
    assert _chi2_pvalue(rows[users == 1], rel[1] / rel[1].sum()) > 1e-4


def test_a_relevance_above_one_breaks_the_contract() -> None:
    world = _Faint(np.full((1, 100), 1.5))
    with pytest.raises(ContractError, match=r"relevance \*\* sharpness == 1.5 > 1.*_Faint"):
        rejection_picks(world, np.zeros(5, dtype=np.int64), np.arange(100),
                        np.random.default_rng(0))
