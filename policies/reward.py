"""Greedy by cumulative reward: MusicLab's "ranked by downloads" list."""

from __future__ import annotations

from loopsim.policies.base import ComposedPolicy
from loopsim.policies.estimators.rewards import RewardCount
from loopsim.policies.selectors import Greedy


class RewardPopularity(ComposedPolicy):
    """Greedy by cumulative reward (downloads), ties broken at random.

    With a trial-offer click model the reward is the download, so this is the single
    column ranked by download counts of Salganik et al.'s Experiment 2.
    """

    def __init__(self) -> None:
        super().__init__(RewardCount(), Greedy())


__all__ = ["RewardPopularity"]
