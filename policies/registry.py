"""The estimator registry: ``policy.estimator=<name>`` works under every selector.

Policies take flat parameters (``estimator``, the selector's own keys, and the keys of
the estimators). :func:`make_estimator` builds the named estimator with the parameters
its constructor accepts; parameters that belong to other registered estimators are
ignored (so one config can sweep ``policy.estimator=ctr,coec`` with
``policy.propensity=estimated`` set), and a key no estimator knows is an error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from loopsim.policies.base import Estimator
from loopsim.simulator.errors import ConfigError

#: name -> "module:Class" of the estimator, imported on first use.
ESTIMATORS: dict[str, str] = {
    "popularity": "loopsim.policies.estimators.counts:ClickCount",
    "ctr": "loopsim.policies.estimators.counts:BetaCTR",
    "oracle": "loopsim.policies.estimators.oracle:TrueRelevance",
    "mf": "loopsim.policies.estimators.mf:ImplicitMF",
    "coec": "loopsim.policies.estimators.debiased:ClicksOverExpected",
    "ips": "loopsim.policies.estimators.debiased:InversePropensityCTR",
    "pal": "loopsim.policies.estimators.pal:PositionAwareLogistic",
}


def register_estimator(name: str, target: str) -> None:
    """Add (or replace) an estimator name, ``target`` as ``"package.module:Class"``."""
    ESTIMATORS[name] = target


def estimator_class(name: str) -> Callable[..., Estimator]:
    """The class registered under ``name``; :class:`ConfigError` for an unknown name."""
    if not isinstance(name, str) or name not in ESTIMATORS:
        raise ConfigError(
            f"`policy.estimator == {name!r}`: must be one of {sorted(ESTIMATORS)}. "
            "Register your own with policies.registry.register_estimator(name, 'mod:Class')."
        )
    module, _, attr = ESTIMATORS[name].partition(":")
    return getattr(__import__(module, fromlist=[attr]), attr)


def _accepted(cls: Callable[..., Any]) -> set[str]:
    params = inspect.signature(cls).parameters.values()
    return {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def make_estimator(name: str, **params: Any) -> Estimator:
    """Build estimator ``name`` from the flat policy parameters it accepts.

    Args:
        name: A registered estimator name (``popularity``, ``ctr``, ``coec``, ...).
        **params: Flat policy parameters; those another registered estimator accepts
            are ignored here, unknown ones raise.

    Raises:
        ConfigError: for an unknown estimator name or a parameter no estimator takes.
    """
    cls = estimator_class(name)
    own = _accepted(cls)
    known = set().union(*(_accepted(estimator_class(n)) for n in ESTIMATORS))
    unknown = sorted(set(params) - known)
    if unknown:
        raise ConfigError(
            f"policy parameter(s) {unknown} are not taken by any estimator: the estimator "
            f"keys are {sorted(known)}. Check the spelling of `policy.{unknown[0]}`."
        )
    return cls(**{key: value for key, value in params.items() if key in own})


__all__ = ["ESTIMATORS", "estimator_class", "make_estimator", "register_estimator"]
