"""Calling policy code: every hook wrapped the same way, and the global random state watched.

* :func:`call_policy` -- any exception a policy hook raises (``SystemExit`` and other
  ``BaseException`` subclasses included; only ``KeyboardInterrupt``, a Ctrl-C or a
  SIGTERM meant to stop the run, passes through) becomes a
  :class:`~loopsim.simulator.errors.PolicyRuntimeError` naming the policy, the method and the
  simulated time, with the original chained as ``__cause__``.
* :func:`policy_metrics_values` -- the values of ``policy_metrics()`` checked: a mapping
  of names to real numbers, else a :class:`~loopsim.simulator.errors.PolicyContractError`.
* :class:`GlobalRandomWatch` -- compares the global ``np.random`` and ``random`` states
  before and after a run (a policy must draw from ``request.rng`` only).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from numbers import Real
from typing import Any

import numpy as np
from loopsim.simulator.errors import LoopsimError, PolicyContractError, PolicyRuntimeError

__all__ = ["GlobalRandomWatch", "call_policy", "policy_metrics_values"]


def call_policy(policy_name: str, method: str, t: float, fn: Callable[..., Any],
                *args: Any) -> Any:
    """``fn(*args)``, with any failure reported as the policy's, at time ``t``.

    Raises:
        PolicyRuntimeError: ``fn`` raised anything but a :class:`LoopsimError` (re-raised
            as is) or ``KeyboardInterrupt``; the message names the policy, the method
            and ``t``.
    """
    try:
        return fn(*args)
    except (LoopsimError, KeyboardInterrupt):
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit from a policy must not end a sweep
        detail = f": {exc}" if str(exc) else ""
        raise PolicyRuntimeError(
            f"Policy {policy_name} raised {type(exc).__name__} in {method}() at "
            f"t={t:.4f} days{detail}"
        ) from exc


def policy_metrics_values(policy_name: str, t: float, values: Any) -> dict[str, float]:
    """The ``policy_<name>`` metrics of one ``policy_metrics()`` answer.

    Args:
        policy_name: Name used in the message.
        t: Simulated time of the snapshot.
        values: What the hook returned: a mapping of names to real numbers, or ``None``.

    Raises:
        PolicyContractError: naming the policy, the time, the key and the value.
    """
    if values is None:
        return {}
    where = f"Policy {policy_name}: policy_metrics() at t={t:.4f} days"
    if not isinstance(values, Mapping):
        raise PolicyContractError(
            f"{where} returned {type(values).__name__} {values!r:.80}; it must return a "
            "dict of metric names to numbers (or None)."
        )
    out = {}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, Real | np.number):
            raise PolicyContractError(
                f"{where} returned {value!r:.80} for `{name}`; every value must be a real "
                "number (float or int; NaN for 'not available')."
            )
        out[f"policy_{name}"] = float(value)
    return out


class GlobalRandomWatch:
    """The global ``np.random`` and ``random`` states, taken when built, compared later.

    Taking a state does not draw from it. The comparison costs two small array
    comparisons, once per run.
    """

    def __init__(self) -> None:
        self._np = np.random.get_state(legacy=False)  # noqa: NPY002 - read, never drawn
        self._py = random.getstate()

    def touched(self) -> list[str]:
        """The global generators whose state changed since this watch was built."""
        out = []
        now = np.random.get_state(legacy=False)  # noqa: NPY002 - read, never drawn
        if not _same_np_state(self._np, now):
            out.append("numpy.random (the global RandomState)")
        if random.getstate() != self._py:
            out.append("random (the standard library's global generator)")
        return out

    def warnings(self, policy_name: str) -> list[str]:
        """One warning per touched generator, for ``summary["warnings"]``."""
        return [
            f"the global {which} state changed during the run: policy {policy_name} (or "
            "code it calls) draws from it, so its results depend on what else ran in the "
            "process. Draw from request.rng instead." for which in self.touched()
        ]


def _same_np_state(a: dict[str, Any], b: dict[str, Any]) -> bool:
    sa, sb = a["state"], b["state"]
    return (sa["pos"] == sb["pos"] and a["has_gauss"] == b["has_gauss"]
            and a["gauss"] == b["gauss"] and np.array_equal(sa["key"], sb["key"]))
