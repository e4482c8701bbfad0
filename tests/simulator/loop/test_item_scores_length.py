"""An item_scores hook of the wrong length fails the run naming the hook and the time."""

from __future__ import annotations

import numpy as np
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import ClickCount
from loopsim.policies.selectors import Greedy


class ShortScores(ComposedPolicy):
    def __init__(self) -> None:
        super().__init__(ClickCount(), Greedy())

    def item_scores(self, items):
        return np.zeros(len(items) - 1)


def test_a_short_item_scores_is_named(run) -> None:
    result = run(ShortScores(), horizon=3.0)
    assert result.status == "failed"
    assert result.summary["error"]["type"] == "PolicyContractError"
    assert result.summary["error"]["message"].startswith(
        "Policy ShortScores: item_scores(items) at t=1 returned shape (")
    assert "it must return one score per item given" in result.summary["error"]["message"]
