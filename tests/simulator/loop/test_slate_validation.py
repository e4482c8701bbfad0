"""The engine's guard: every contract violation raises a message that diagnoses it."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator import PolicyContractError, SlateRequest, Slates
from loopsim.simulator.loop.slate_checks import validate_slates

AVAILABLE = np.array([True] * 8 + [False, False])
REQUEST = SlateRequest(t=1.5, users=np.array([7, 8]), candidates=np.arange(8), k=3,
                       rng=np.random.default_rng(0))


def check(slates: object) -> None:
    validate_slates(slates, REQUEST, AVAILABLE, "MyPolicy")


def test_valid_slates_pass() -> None:
    check(Slates(np.array([[0, 1, 2], [3, 4, 5]]), np.full((2, 3), 0.5)))
    check(Slates(np.broadcast_to(np.array([7, 1, 0]), (2, 3))))


@pytest.mark.parametrize(
    ("slates", "message"),
    [
        ([[0, 1, 2]], r"rank\(\) returned list; expected simulator.Slates"),
        (Slates(np.zeros((2, 3))), "dtype float64.*integer numpy array"),
        (Slates(np.zeros((2, 4), dtype=int)), r"shape \(2, 4\); expected \(B, k\) = \(2, 3\)"),
        (Slates(np.array([[0, 1, 2], [3, 9, 5]])),
         r"row 1 \(user 8\) is \[3, 9, 5\]; item 9 at rank 2 is not among the 8 available"),
        (Slates(np.array([[0, 1, 2], [3, 4, -1]])), "item -1 at rank 3"),
        (Slates(np.array([[0, 1, 0], [3, 4, 5]])),
         r"row 0 \(user 7\).*item 0 appears more than once"),
        (Slates(np.array([[0, 1, 2], [3, 4, 5]]), np.full((2, 2), 0.5)),
         r"propensities is \(2, 2\); expected None"),
        (Slates(np.array([[0, 1, 2], [3, 4, 5]]), np.array([[0.5, 0.5, 0.5], [0.5, 0.0, 1.0]])),
         r"row 1 has propensity 0.0 at rank 2.*\(0, 1\]"),
        (Slates(np.array([[0, 1, 2], [3, 4, 5]]), np.full((2, 3), 1.5)), "propensity 1.5"),
    ],
)
def test_each_violation_names_policy_time_row_and_fix(slates: object, message: str) -> None:
    with pytest.raises(PolicyContractError, match=message) as info:
        check(slates)
    assert str(info.value).startswith("Policy MyPolicy at t=1.5000 days:")


def test_slates_by_construction_skip_the_row_checks_but_not_the_shape() -> None:
    repeated = np.array([[0, 1, 0], [3, 4, 5]])  # would fail the repeat check
    check(Slates.by_construction(repeated))  # vouched for by a built-in selector
    with pytest.raises(PolicyContractError, match="shape"):
        check(Slates.by_construction(np.zeros((2, 4), dtype=int)))


def test_replaced_items_of_constructed_slates_are_checked_again() -> None:
    import dataclasses

    slates = Slates.by_construction(np.array([[0, 1, 2], [3, 4, 5]]))
    replaced = dataclasses.replace(slates, items=np.array([[0, 1, 0], [3, 4, 5]]))
    assert slates.is_constructed and not replaced.is_constructed
    with pytest.raises(PolicyContractError, match="appears more than once"):
        check(replaced)
