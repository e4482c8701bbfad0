"""Built-in ranking policies: an estimator under a selector, composed by Hydra.

Every built-in policy is a config (``conf/policy/<name>.yaml``) that builds a
:class:`ComposedPolicy` from an estimator (:mod:`loopsim.policies.estimators`) and a
selector (:mod:`loopsim.policies.selectors`), each named by its ``_target_``. In Python,
compose them directly: ``ComposedPolicy(BetaCTR(), EpsilonGreedySelector(0.1))``.
"""

from loopsim.policies.builtin import Random
from loopsim.policies.composed import ComposedPolicy
from loopsim.simulator.contract.estimator import Estimator, HasPosterior
from loopsim.simulator.contract.selector import ChecksEstimator, Selector

__all__ = ["ChecksEstimator", "ComposedPolicy", "Estimator", "HasPosterior", "Random", "Selector"]
