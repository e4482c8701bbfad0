"""pytest helpers to check a ranking policy in one line of a test suite.

Either one test per policy::

    from loopsim.simulator.checker.testing import assert_policy_ok

    def test_my_policy():
        assert_policy_ok(MyPolicy())

or one test per check and policy (as scikit-learn's ``parametrize_with_checks``)::

    from loopsim.simulator.checker.testing import parametrize_with_checks

    @parametrize_with_checks([MyPolicy(), MyPolicy(epsilon=0.5)])
    def test_my_policy(policy, check):
        check(policy)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from loopsim.simulator.checker import CHECKS, check_policy
from loopsim.simulator.contract.policy import RankingPolicy

__all__ = ["assert_policy_ok", "parametrize_with_checks"]


def assert_policy_ok(policy: RankingPolicy, name: str | None = None) -> None:
    """Run :func:`~loopsim.simulator.check_policy`; a broken property fails with its message.

    Args:
        policy: An instance of the policy under test (copied, never modified).
        name: The policy's name in messages (default: its class name).

    Raises:
        PolicyContractError: naming the failed check, what was found, what was expected
            and the likely fix.
    """
    check_policy(policy, name)


def parametrize_with_checks(policies: Iterable[RankingPolicy]) -> Callable[[Any], Any]:
    """A ``pytest.mark.parametrize`` over every (policy, check) pair.

    The decorated test receives ``policy`` and ``check`` and calls ``check(policy)``;
    test ids read ``<PolicyClass>-<check name>``.

    Args:
        policies: Instances of the policies under test.
    """
    import pytest  # only needed inside a test session

    cases = [(policy, check) for policy in policies for check in CHECKS]
    ids = [f"{type(policy).__name__}-{check.__name__}" for policy, check in cases]
    return pytest.mark.parametrize(("policy", "check"), cases, ids=ids)
