"""The contract of a selector: how an estimator's scores become slates.

:class:`Selector` is required; :class:`ChecksEstimator` is its optional hook (refuse,
when composed, an estimator it cannot work over).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from loopsim.simulator.contract.batches import SlateRequest, Slates
from loopsim.simulator.contract.estimator import Estimator


@runtime_checkable
class Selector(Protocol):
    """Turns an estimator's scores into slates."""

    def select(self, request: SlateRequest, estimator: Estimator) -> Slates:
        """Return the slates for ``request`` given the estimator's current scores."""
        ...


@runtime_checkable
class ChecksEstimator(Protocol):
    """Optional selector hook: refuse, when composed, an estimator it cannot work over."""

    def check_estimator(self, estimator: Estimator) -> None:
        """Raise :class:`~loopsim.simulator.errors.ConfigError` naming the fix, or return."""
        ...

__all__ = ["ChecksEstimator", "Selector"]
