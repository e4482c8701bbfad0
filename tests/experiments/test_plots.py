"""Figure helpers: short group names and one colour per group."""

from __future__ import annotations

from loopsim.experiments.compare.plots import BUILTIN_COLOURS, group_colours, short_names


def test_short_names_drop_the_words_every_group_shares():
    groups = ["ctr retrain_interval=0.5 feedback_delay=0.0",
              "ctr retrain_interval=2.0 feedback_delay=0.0"]
    assert short_names(groups) == {groups[0]: "retrain_interval=0.5",
                                   groups[1]: "retrain_interval=2.0"}
    assert short_names(["popularity"]) == {"popularity": "popularity"}
    assert short_names(["ctr", "random"]) == {"ctr": "ctr", "random": "random"}


def test_built_in_policies_keep_their_colour_and_others_never_reuse_it():
    groups = ["popularity", "oracle", "mine", "epsilon_greedy policy.epsilon=0.1"]
    colours = group_colours(groups)
    assert colours["popularity"] == BUILTIN_COLOURS["popularity"]
    assert colours["oracle"] == BUILTIN_COLOURS["oracle"]
    assert len(set(colours.values())) == len(groups)
    assert group_colours(["oracle", "popularity"]) == {
        "oracle": BUILTIN_COLOURS["oracle"], "popularity": BUILTIN_COLOURS["popularity"]}
