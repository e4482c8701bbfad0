"""Built-in ranking policies, composed of an estimator and a selector."""

from loopsim.policies.base import ComposedPolicy, Estimator, Selector
from loopsim.policies.builtin import CTR, Oracle, Popularity, Random
from loopsim.policies.mitigations import (
    COEC,
    IPS,
    MF,
    PAL,
    UCB,
    EpsilonGreedy,
    GreedyBy,
    RandPair,
    RandTopN,
    Softmax,
    Thompson,
)
from loopsim.policies.reward import RewardPopularity

__all__ = [
    "COEC",
    "CTR",
    "IPS",
    "MF",
    "PAL",
    "UCB",
    "ComposedPolicy",
    "EpsilonGreedy",
    "Estimator",
    "GreedyBy",
    "Oracle",
    "Popularity",
    "RandPair",
    "RandTopN",
    "Random",
    "Selector",
    "Softmax",
    "Thompson",
]
__all__ += ["RewardPopularity"]
