"""The mitigation policies, each a selector over any registered estimator (flat parameters).

Every class takes ``estimator`` (a name from :mod:`loopsim.policies.registry`), its selector's
own parameters, and any estimator parameters as keywords (``prior_mean``,
``prior_strength``, ``propensity``, ``examination_eta``, ``n_factors``, ...).
"""

from __future__ import annotations

from typing import Any

from loopsim.policies.composed import NamedEstimatorPolicy
from loopsim.policies.selectors.bandits import ThompsonSelector, UCBSelector
from loopsim.policies.selectors.epsilon_greedy import EpsilonGreedySelector
from loopsim.policies.selectors.greedy import Greedy
from loopsim.policies.selectors.rand_topn import RandPairSelector, RandTopNSelector
from loopsim.policies.selectors.softmax import SoftmaxSelector


class GreedyBy(NamedEstimatorPolicy):
    """Greedy by any registered estimator (e.g. ``GreedyBy("coec")``).

    Args:
        estimator: Registered estimator name.
        **estimator_params: Estimator parameters.
    """

    def __init__(self, estimator: str = "ctr", **estimator_params: Any) -> None:
        super().__init__(estimator, Greedy(), estimator_params)


class EpsilonGreedy(NamedEstimatorPolicy):
    """Each slot explores a uniform unused candidate with probability ``epsilon``.

    Args:
        estimator: Registered estimator name whose greedy ranking is exploited.
        epsilon: Exploration probability per slot, in [0, 1] (0: greedy, 1: random).
        **estimator_params: Estimator parameters.
    """

    def __init__(self, estimator: str = "ctr", epsilon: float = 0.1,
                 **estimator_params: Any) -> None:
        super().__init__(estimator, EpsilonGreedySelector(epsilon), estimator_params)


class MF(NamedEstimatorPolicy):
    """Greedy per user by implicit-feedback matrix factorization (ALS) on the click log.

    Args:
        estimator: Registered estimator name (default ``"mf"``).
        **estimator_params: ``n_factors``, ``regularization``, ``alpha``, ``iterations``,
            ``init_scale``, ``init_seed`` (see :class:`~policies.estimators.ImplicitMF`).
    """

    def __init__(self, estimator: str = "mf", **estimator_params: Any) -> None:
        super().__init__(estimator, Greedy(), estimator_params)


class PAL(NamedEstimatorPolicy):
    """Greedy by a logistic item + rank model served at a default rank (Guo et al. 2019).

    Args:
        estimator: Registered estimator name (default ``"pal"``).
        **estimator_params: ``prior_mean``, ``prior_strength``, ``default_rank``,
            ``newton_steps``.
    """

    def __init__(self, estimator: str = "pal", **estimator_params: Any) -> None:
        super().__init__(estimator, Greedy(), estimator_params)


class COEC(NamedEstimatorPolicy):
    """Greedy by clicks over expected examinations (position-debiased CTR).

    Args:
        estimator: Registered estimator name (default ``"coec"``).
        **estimator_params: ``prior_mean``, ``prior_strength``, ``propensity``
            (known|estimated), ``examination_eta``, ``examination``.
    """

    def __init__(self, estimator: str = "coec", **estimator_params: Any) -> None:
        super().__init__(estimator, Greedy(), estimator_params)


class IPS(NamedEstimatorPolicy):
    """Greedy by inverse-propensity-weighted CTR (clicks / e(rank), position-debiased).

    Args:
        estimator: Registered estimator name (default ``"ips"``).
        **estimator_params: As :class:`COEC`.
    """

    def __init__(self, estimator: str = "ips", **estimator_params: Any) -> None:
        super().__init__(estimator, Greedy(), estimator_params)


class RandTopN(NamedEstimatorPolicy):
    """The estimator's top ``n`` shuffled uniformly for every session (RandTop-N).

    Args:
        estimator: Registered estimator name.
        n: Size of the shuffled head.
        **estimator_params: Estimator parameters.
    """

    def __init__(self, estimator: str = "ctr", n: int = 20, **estimator_params: Any) -> None:
        super().__init__(estimator, RandTopNSelector(n), estimator_params)


class RandPair(NamedEstimatorPolicy):
    """The estimator's top item swapped with a uniformly chosen rank (RandPair).

    Args:
        estimator: Registered estimator name.
        **estimator_params: Estimator parameters.
    """

    def __init__(self, estimator: str = "ctr", **estimator_params: Any) -> None:
        super().__init__(estimator, RandPairSelector(), estimator_params)


class Softmax(NamedEstimatorPolicy):
    """Plackett-Luce sampling with weights ``exp(score / temperature)``.

    Args:
        estimator: Registered estimator name.
        temperature: > 0, in score units.
        **estimator_params: Estimator parameters.
    """

    def __init__(self, estimator: str = "ctr", temperature: float = 0.05,
                 **estimator_params: Any) -> None:
        super().__init__(estimator, SoftmaxSelector(temperature), estimator_params)


class Thompson(NamedEstimatorPolicy):
    """Per-session Thompson sampling from Beta posteriors (position-aware with ``coec``).

    Args:
        estimator: ``coec`` (examination-weighted evidence), ``ips`` or ``ctr``.
        propensity_draws: Posterior slates per model version for the Monte-Carlo
            marginal propensities (see :class:`~policies.selectors.ThompsonSelector`).
        **estimator_params: Estimator parameters.
    """

    def __init__(self, estimator: str = "coec", propensity_draws: int = 200,
                 **estimator_params: Any) -> None:
        super().__init__(estimator, ThompsonSelector(propensity_draws), estimator_params)


class UCB(NamedEstimatorPolicy):
    """Greedy by an upper confidence bound on the posterior CTR (UCB1).

    Args:
        estimator: ``coec`` (examination-weighted evidence), ``ips`` or ``ctr``.
        exploration: Weight of the confidence term (>= 0).
        **estimator_params: Estimator parameters.
    """

    def __init__(self, estimator: str = "coec", exploration: float = 1.0,
                 **estimator_params: Any) -> None:
        super().__init__(estimator, UCBSelector(exploration), estimator_params)


__all__ = ["COEC", "IPS", "MF", "PAL", "UCB", "EpsilonGreedy", "GreedyBy", "RandPair",
           "RandTopN", "Softmax", "Thompson"]
