"""check_policy catches a policy that reseeds numpy's global generator, and leaves the
caller's global states as they were; a user's policy with its own unseeded generator is
warned about in the run's summary."""

from __future__ import annotations

import random

import numpy as np
import pytest
from loopsim.experiments.cli.runner import determinism_warnings
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import ClickCount
from loopsim.policies.selectors import Greedy
from loopsim.simulator.checker import check_policy
from loopsim.simulator.errors import PolicyContractError
from omegaconf import OmegaConf


class Reseeds(ComposedPolicy):
    """Reseeds the global generator to the same value every call."""

    def __init__(self) -> None:
        super().__init__(ClickCount(), Greedy())

    def rank(self, request):
        np.random.seed(0)  # noqa: NPY002 - the fault under test
        return super().rank(request)


class OwnGenerator(ComposedPolicy):
    """Shuffles its slates with its own unseeded generator."""

    def __init__(self) -> None:
        super().__init__(ClickCount(), Greedy())

    def rank(self, request):
        slates = super().rank(request)
        order = np.random.default_rng().permutation(slates.items.shape[1])
        return type(slates)(slates.items[:, order], None)


def test_a_policy_reseeding_the_global_generator_is_caught() -> None:
    with pytest.raises(PolicyContractError, match="reseeds the global generator"):
        check_policy(Reseeds())


def test_the_callers_global_states_are_restored() -> None:
    np.random.seed(123)  # noqa: NPY002
    random.seed(7)
    want_np, want_py = np.random.get_state()[1].copy(), random.getstate()  # noqa: NPY002
    with pytest.raises(PolicyContractError):
        check_policy(Reseeds())
    np.testing.assert_array_equal(np.random.get_state()[1], want_np)  # noqa: NPY002
    assert random.getstate() == want_py


def test_an_own_unseeded_generator_is_warned_about_and_builtins_are_not_probed() -> None:
    node = OmegaConf.create({"_target_": f"{__name__}.OwnGenerator"})
    (warning,) = determinism_warnings(node, "own")
    assert "check_deterministic_given_rng failed for own" in warning
    assert warning.endswith("Its reruns at the same seed may differ.")
    builtin = OmegaConf.create({"_target_": "loopsim.policies.ComposedPolicy",
                                "estimator": {"_target_": "loopsim.policies.estimators.ClickCount"},
                                "selector": {"_target_": "loopsim.policies.selectors.Greedy"}})
    assert determinism_warnings(builtin, "popularity") == []
