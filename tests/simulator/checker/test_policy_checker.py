"""check_policy on a deliberately broken policy: every failure message, one flaw at a time."""

from __future__ import annotations

import random
import threading

import numpy as np
import pytest
from loopsim.simulator import Feedback, PolicyContractError, SlateRequest, Slates, check_policy
from loopsim.simulator.checker import CHECKS, policy_checks
from loopsim.simulator.checker.checks import check_no_repeats
from loopsim.simulator.checker.testing import assert_policy_ok, parametrize_with_checks


class Broken:
    """A uniform-random policy that can be told to break one property of the contract."""

    def __init__(self, flaw: str | None = None) -> None:
        self.flaw = flaw
        self._seen = np.zeros(0, dtype=np.int64)
        if flaw == "state_in_init":
            self.cache: dict[int, float] = {}  # the flaw under test: public derived state

    def rank(self, request: SlateRequest) -> object:
        flaw, b, k = self.flaw, request.batch_size, request.k
        n = request.candidates.size
        if flaw == "global_numpy":
            np.random.random()  # noqa: NPY002 (the flaw under test)
        if flaw == "global_random":
            random.random()
        rng = np.random.default_rng() if flaw == "unseeded" else request.rng
        idx = np.argsort(rng.random((b, n)), axis=1)[:, :k]
        items = request.candidates[idx]
        if flaw == "list":
            return items.tolist()
        if flaw == "float_items":
            items = items.astype(float)
        if flaw == "flat":
            items = items[:, 0]
        if flaw == "indices":
            items = idx
        if flaw == "repeats":
            items[:, -1] = items[:, 0]
        if flaw == "stale_ids" and self._seen.size:
            items = np.broadcast_to(self._seen[:k], (b, k))
        if flaw == "rank_raises" and k > 1:
            raise KeyError("boom")
        if flaw == "propensity_zero":
            return Slates(items, np.zeros((b, k)))
        if flaw == "propensity_shape":
            return Slates(items, np.full(k, 0.5))
        return Slates(items, np.full((b, k), 1.0 / n))

    def update(self, feedback: Feedback) -> None:
        if self.flaw == "empty_update":
            feedback.item.max()  # fails on an empty batch
        if len(feedback) and not self._seen.size:
            self._seen = np.unique(feedback.item)

    def item_scores(self, items: np.ndarray) -> np.ndarray:
        if self.flaw == "scores_shape":
            return np.zeros(items.size + 3)
        return np.zeros(items.size)


class NoUpdate:
    def rank(self, request: SlateRequest) -> Slates:
        return Slates(np.broadcast_to(request.candidates[: request.k], (request.batch_size,
                                                                          request.k)))


class Uncopyable(Broken):
    def __init__(self, flaw: str | None = None) -> None:
        super().__init__(flaw)
        self._lock = threading.Lock()


FLAWS = [
    ("state_in_init", "check_constructors_only_store",
     r"the constructor of Broken sets `cache`, which is not a parameter \(parameters: flaw\)"
     r"\. A constructor only stores its parameters.*`self\._cache = None`"),
    ("list", "check_slate_shape_and_dtype", r"rank\(\) returned list; expected simulator\.Slates"),
    ("float_items", "check_slate_shape_and_dtype", r"dtype float64; expected an integer"),
    ("flat", "check_slate_shape_and_dtype", r"shape \(1,\); expected \(B, k\) = \(1, 1\)"),
    ("indices", "check_ids_among_candidates",
     r"is not among the 15 available candidates\..*indices into request\.candidates"),
    ("repeats", "check_no_repeats", r"appears more than once\. Sample without replacement"),
    ("propensity_zero", "check_propensities", r"propensity 0\.0 at rank 1;.*\(0, 1\]"),
    ("propensity_shape", "check_propensities",
     r"propensities is \(5,\); expected None \(deterministic\) or a float array of shape"),
    ("rank_raises", "check_slate_shape_and_dtype",
     r"Broken\.rank\(\) raised KeyError: 'boom' \(request: t=1\.0, B=7 users, k=3, 15 "
     r"candidates.*Expected it to return simulator\.Slates"),
    ("empty_update", "check_update_accepts_empty_feedback",
     r"Broken\.update\(\) raised ValueError: .*\(feedback batch of 0 rows\)\. Expected it to "
     r"accept any feedback batch, including an empty one"),
    ("stale_ids", "check_update_then_rank",
     r"after the catalogue changed \(ids \[1, 3, 5\] removed, \[30, 31, 32, 33\] added\):"
     r".*ranks ids it cached earlier"),
    ("scores_shape", "check_item_scores",
     r"returned ndarray of shape \(18,\).*expected a float array of shape \(15,\)"),
    ("unseeded", "check_deterministic_given_rng",
     r"given generators in the same state, returned different items at step 0.*unseeded "
     r"generator"),
    ("global_numpy", "check_no_global_random_state",
     r"global numpy\.random state changed.*np\.random\.<function>"),
    ("global_random", "check_no_global_random_state",
     r"global `random` module's state changed.*random\.random/shuffle"),
]


def test_the_broken_policy_is_fine_without_a_flaw() -> None:
    check_policy(Broken())


@pytest.mark.parametrize(("flaw", "check", "message"), FLAWS, ids=[f[0] for f in FLAWS])
def test_every_flaw_fails_its_check_with_a_diagnosis(flaw: str, check: str, message: str) -> None:
    with pytest.raises(PolicyContractError, match=f"^{check} failed for Broken: .*{message}"):
        check_policy(Broken(flaw))


def test_every_check_is_exercised_by_a_flaw() -> None:
    exercised = {check for _, check, _ in FLAWS} | {"check_contract_methods"}
    assert exercised == {c.__name__ for c in CHECKS}


def test_missing_method_and_class_instead_of_instance() -> None:
    with pytest.raises(PolicyContractError, match=r"check_contract_methods failed for NoUpdate: "
                       r"NoUpdate has no callable update\(\)"):
        check_policy(NoUpdate())
    with pytest.raises(PolicyContractError, match=r"got the class Broken, not an instance.*"
                       r"pass MyPolicy\(\), not MyPolicy"):
        check_policy(Broken)  # type: ignore[arg-type]


def test_item_scores_must_be_callable() -> None:
    policy = Broken()
    policy.item_scores = 3  # type: ignore[assignment,method-assign]
    with pytest.raises(PolicyContractError, match="item_scores is not callable"):
        check_policy(policy)


def test_uncopyable_policy_is_diagnosed() -> None:
    with pytest.raises(PolicyContractError, match=r"copy\.deepcopy\(policy\) raised TypeError"
                       r".*store only parameters in __init__"):
        check_policy(Uncopyable())


def test_the_checked_instance_is_not_modified() -> None:
    policy = Broken()
    check_policy(policy, name="mine")
    assert policy._seen.size == 0


def test_name_appears_in_messages_and_single_checks_run_alone() -> None:
    with pytest.raises(PolicyContractError, match="^check_no_repeats failed for mine: "):
        check_no_repeats(Broken("repeats"), name="mine")
    names = [name for name, _ in policy_checks(Broken())]
    assert names == [c.__name__ for c in CHECKS]


def test_the_checks_leave_the_global_states_alone() -> None:
    before_np, before_py = np.random.get_state(legacy=False), random.getstate()  # noqa: NPY002
    check_policy(Broken())
    after_np = np.random.get_state(legacy=False)  # noqa: NPY002
    assert np.array_equal(before_np["state"]["key"], after_np["state"]["key"])
    assert random.getstate() == before_py


def test_assert_policy_ok() -> None:
    assert_policy_ok(Broken())
    with pytest.raises(PolicyContractError, match="check_no_repeats"):
        assert_policy_ok(Broken("repeats"))


@parametrize_with_checks([Broken(), Broken()])
def test_parametrize_with_checks(policy: Broken, check: object) -> None:
    check(policy)  # type: ignore[operator]
