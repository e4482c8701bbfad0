"""A custom ranking policy living outside loopsim's packages: popularity that fades."""

from __future__ import annotations

import numpy as np
from loopsim.simulator import Feedback, SlateRequest, Slates
from loopsim.simulator.params.component_schema import Positive


class FadingPopularity:
    """Greedy by clicks whose weight halves every ``half_life`` days: old hits fade."""

    # Positive: policy.half_life=0 or -1 is refused before the run, naming the field.
    def __init__(self, half_life: Positive = 7.0) -> None:
        self.half_life = half_life  # the constructor only stores parameters
        self._clicks = np.zeros(0)  # state, born empty: faded clicks per item id...
        self._t = 0.0  # ...as of this day

    def update(self, feedback: Feedback) -> None:
        """Fade the counts to the newest feedback's time, then add its clicks."""
        if len(feedback) == 0:  # the engine may send an empty batch
            return
        now = float(feedback.t.max())
        clicks = np.zeros(max(self._clicks.size, int(feedback.item.max()) + 1))
        clicks[: self._clicks.size] = self._clicks * 0.5 ** ((now - self._t) / self.half_life)
        weight = 0.5 ** ((now - feedback.t[feedback.click]) / self.half_life)
        np.add.at(clicks, feedback.item[feedback.click], weight)
        self._clicks, self._t = clicks, now

    def item_scores(self, items: np.ndarray) -> np.ndarray:
        """Faded clicks of each item id (0 for items never clicked)."""
        scores = np.zeros(items.size)
        known = items < self._clicks.size
        scores[known] = self._clicks[items[known]]
        return scores

    def rank(self, request: SlateRequest) -> Slates:
        """The k best candidates for everyone, ties broken with the policy's own rng."""
        scores = self.item_scores(request.candidates)
        ties = request.rng.random(scores.size)  # all randomness comes from request.rng
        best = np.lexsort((ties, -scores))[: request.k]
        row = request.candidates[best]  # item ids, not positions in candidates
        return Slates(np.broadcast_to(row, (request.batch_size, request.k)))
