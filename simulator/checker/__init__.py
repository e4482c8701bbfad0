"""Checkers a user runs on their own class: a policy, a world, a click model.

In the spirit of scikit-learn's ``check_estimator`` and gymnasium's ``check_env``: one
small ``check_*`` function per property of a contract (:mod:`loopsim.simulator.contract`),
each raising :class:`~loopsim.simulator.errors.ContractError` (for a policy, its
subclass :class:`~loopsim.simulator.errors.PolicyContractError`) that names the check,
the component, what was found and the likely fix. Each checker first verifies that the
constructor only stores its parameters (:mod:`.constructor`).

* :func:`check_policy` (:mod:`.checks`), and :mod:`.testing` for pytest;
* :func:`check_world` (:mod:`.world`);
* :func:`check_click_model` (:mod:`.click_model`).
"""

from loopsim.simulator.checker.checks import CHECKS, check_policy, policy_checks
from loopsim.simulator.checker.click_model import CLICK_MODEL_CHECKS, check_click_model
from loopsim.simulator.checker.constructor import check_constructor_only_stores
from loopsim.simulator.checker.world import WORLD_CHECKS, check_world

__all__ = ["CHECKS", "CLICK_MODEL_CHECKS", "WORLD_CHECKS", "check_click_model",
           "check_constructor_only_stores", "check_policy", "check_world", "policy_checks"]
