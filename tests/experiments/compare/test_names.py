"""The names a comparison is asked for, checked against the runs: one line each."""

from __future__ import annotations

from loopsim.experiments.compare import names


def test_a_group_or_the_policy_of_one_group_is_a_reference():
    groups = ["ctr", "eps policy.selector.epsilon=0.1", "eps policy.selector.epsilon=0.3"]
    policies = {"ctr": "ctr", groups[1]: "epsilon_greedy", groups[2]: "epsilon_greedy"}
    assert names.reference_problem("ctr", groups, policies) is None
    assert names.reference_problem(groups[1], groups, policies) is None
    assert names.reference_problem(None, groups, policies) is None
    several = names.reference_problem("epsilon_greedy", groups, policies)
    assert several is not None and "is the policy of 2 groups" in several
    assert groups[1] in several and "name one of them" in several
    near = names.reference_problem("epsilon_gredy", groups, policies)
    assert near is not None and near.endswith("did you mean `epsilon_greedy`?")


def test_metrics_name_every_absent_one_and_the_nearest_recorded_name():
    problem = names.metrics_problem(["gini_exposure", "regret_windw", "zzz"],
                                    {"gini_exposure", "regret_window"})
    assert problem is not None
    assert problem.startswith("trajectory metrics `regret_windw`, `zzz` not recorded")
    assert "(metrics: gini_exposure, regret_window)" in problem
    assert "`regret_windw`: did you mean `regret_window`?" in problem and "`zzz`:" not in problem
    assert names.metrics_problem(["gini_exposure"], {"gini_exposure"}) is None
    assert names.metrics_problem(None, set()) is None
    assert names.sort_problem("gini", ["gini_exposure"]) is not None
    assert names.sort_problem("gini_exposure", ["gini_exposure"]) is None
