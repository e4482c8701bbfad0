"""Served feedback on its way to the training log (the ``feedback_delay``)."""

from __future__ import annotations

from collections import deque

from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.contract.feedback_join import JoinedFeedback
from loopsim.simulator.loop.clock import EPS


class FeedbackQueue:
    """Served feedback waiting to reach the training log (FIFO by ready time)."""

    def __init__(self) -> None:
        self._pending: deque[tuple[float, Feedback]] = deque()

    def push(self, ready_at: float, feedback: Feedback) -> None:
        """Queue a served batch that reaches the log at ``ready_at``."""
        self._pending.append((ready_at, feedback))

    def pop_ready(self, now: float) -> Feedback:
        """Remove and return everything that has reached the log by ``now``."""
        ready = []
        while self._pending and self._pending[0][0] <= now + EPS:
            ready.append(self._pending.popleft()[1])
        return JoinedFeedback.join(ready)  # columns concatenated when the policy reads them


__all__ = ["FeedbackQueue"]
