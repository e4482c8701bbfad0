"""Selectors: how slates are drawn from an estimator's scores."""

from loopsim.policies.selectors.bandits import ThompsonSelector, UCBSelector
from loopsim.policies.selectors.epsilon_greedy import EpsilonGreedySelector
from loopsim.policies.selectors.greedy import Greedy, personal_top_k
from loopsim.policies.selectors.rand_topn import RandPairSelector, RandTopNSelector
from loopsim.policies.selectors.softmax import SoftmaxSelector
from loopsim.policies.selectors.uniform import UniformRandom, uniform_slates

__all__ = [
    "EpsilonGreedySelector",
    "Greedy",
    "RandPairSelector",
    "RandTopNSelector",
    "SoftmaxSelector",
    "ThompsonSelector",
    "UCBSelector",
    "UniformRandom",
    "personal_top_k",
    "uniform_slates",
]
