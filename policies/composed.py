"""Built-in policies as a named estimator (from the registry) under a selector.

A :class:`NamedEstimatorPolicy` is a :class:`~policies.base.ComposedPolicy` whose
estimator is given by name and flat parameters, as Hydra configs give it
(``policy.estimator=coec policy.propensity=estimated``). The estimator is built on
first use, so constructing a policy only stores its parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from loopsim.policies.base import ComposedPolicy, Estimator, Selector
from loopsim.policies.registry import make_estimator


class NamedEstimatorPolicy(ComposedPolicy):
    """A selector over an estimator named in the registry.

    Args:
        estimator: Registered estimator name (``popularity``, ``ctr``, ``coec``, ``ips``,
            ``pal``, ``mf``, ``oracle``).
        selector: How slates are drawn from the estimator's scores.
        estimator_params: Flat estimator parameters (see :func:`make_estimator`).
    """

    def __init__(
        self, estimator: str, selector: Selector, estimator_params: dict[str, Any]
    ) -> None:
        self.estimator_name = estimator
        self.estimator_params = dict(estimator_params)
        self.selector = selector
        self._estimator: Estimator | None = None

    @property
    def estimator(self) -> Estimator:  # type: ignore[override]
        """The estimator, built from its name and parameters on first use."""
        if self._estimator is None:
            self._estimator = make_estimator(self.estimator_name, **self.estimator_params)
        return self._estimator

    def policy_metrics(self) -> dict[str, float]:
        """Extra values for the metrics (e.g. an estimated examination curve).

        Merges the optional ``policy_metrics()`` of the estimator and the selector; the
        engine records them with a ``policy_`` prefix at every snapshot.
        """
        out: dict[str, float] = {}
        for part in (self.estimator, self.selector):
            hook = getattr(part, "policy_metrics", None)
            if hook is not None:
                out.update(hook())
        return out

    def item_scores(self, items: np.ndarray) -> np.ndarray:
        """The estimator's population-level scores (for ranking-recovery metrics)."""
        return self.estimator.scores(items)

    def __repr__(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self.estimator_params.items())
        return f"{type(self).__name__}(estimator={self.estimator_name!r}, " \
               f"selector={self.selector!r}{params})"


__all__ = ["NamedEstimatorPolicy"]
