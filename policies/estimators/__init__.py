"""Estimators: what a policy believes about items."""

from loopsim.policies.estimators.counts import BetaCTR, ClickCount, ItemCounters
from loopsim.policies.estimators.debiased import ClicksOverExpected, InversePropensityCTR
from loopsim.policies.estimators.examination import ExaminationCurve
from loopsim.policies.estimators.mf import ImplicitMF
from loopsim.policies.estimators.oracle import TrueRelevance, TrueValue
from loopsim.policies.estimators.pal import PositionAwareLogistic
from loopsim.policies.estimators.rewards import RewardCount

__all__ = [
    "BetaCTR",
    "ClickCount",
    "ClicksOverExpected",
    "ExaminationCurve",
    "ImplicitMF",
    "InversePropensityCTR",
    "ItemCounters",
    "PositionAwareLogistic",
    "RewardCount",
    "TrueRelevance",
    "TrueValue",
]
