"""Check that a ranking policy honours the contract: :func:`check_policy` and its checks."""

from loopsim.simulator.checker.checks import (
    CHECKS,
    check_contract_methods,
    check_deterministic_given_rng,
    check_ids_among_candidates,
    check_item_scores,
    check_no_global_random_state,
    check_no_repeats,
    check_policy,
    check_propensities,
    check_slate_shape_and_dtype,
    check_update_accepts_empty_feedback,
    check_update_then_rank,
    policy_checks,
)

__all__ = [
    "CHECKS",
    "check_contract_methods",
    "check_deterministic_given_rng",
    "check_ids_among_candidates",
    "check_item_scores",
    "check_no_global_random_state",
    "check_no_repeats",
    "check_policy",
    "check_propensities",
    "check_slate_shape_and_dtype",
    "check_update_accepts_empty_feedback",
    "check_update_then_rank",
    "policy_checks",
]
