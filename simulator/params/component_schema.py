"""Component schemas read from constructors: the one place where parameters are checked.

A component (world, click model, estimator, selector, policy) declares its parameters
once, in its constructor's signature; a numeric range is attached with
``typing.Annotated``::

    def __init__(self, epsilon: Probability = 0.1, n: Annotated[int, Range(low=1)] = 20)

:func:`schema_of` reads the signature (names, types, defaults, ranges) and
:func:`check_arguments` checks a config node against it before anything is built: an
unknown key (with the closest spelling), a missing required key, a wrong type or a value
out of range raises :class:`~loopsim.simulator.errors.ConfigError` naming the field, the
value and what is allowed. A user's own class is checked the same way; it may declare
ranges with the same aliases, or none.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import math
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from numbers import Integral, Real
from types import NoneType, UnionType
from typing import Annotated, Any, Literal

from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.checks import check_in_range, check_positive_int

__all__ = [
    "check_finite",
    "NonNegative",
    "NonNegativeInt",
    "OpenUnit",
    "Param",
    "Positive",
    "PositiveInt",
    "Probability",
    "Range",
    "check_arguments",
    "check_object",
    "check_value",
    "schema_of",
]

#: Keys Hydra reads itself in a ``_target_`` node.
HYDRA_KEYS = frozenset({"_target_", "_convert_", "_recursive_", "_partial_", "_args_"})


@dataclass(frozen=True)
class Range:
    """What a numeric parameter allows (attach it with ``Annotated[float, Range(...)]``).

    Attributes:
        low: Lower bound, or ``None``.
        high: Upper bound, or ``None``.
        low_open: Exclude ``low`` itself.
        high_open: Exclude ``high`` itself.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False


Probability = Annotated[float, Range(0.0, 1.0)]
OpenUnit = Annotated[float, Range(0.0, 1.0, low_open=True, high_open=True)]
Positive = Annotated[float, Range(0.0, low_open=True)]
NonNegative = Annotated[float, Range(0.0)]
PositiveInt = Annotated[int, Range(1)]
NonNegativeInt = Annotated[int, Range(0)]


@dataclass(frozen=True)
class Param:
    """One constructor parameter as the checks see it.

    Attributes:
        name: Parameter name (the config key).
        kind: ``int``, ``float``, ``bool``, ``str``, ``list``, ``choice`` or ``any``.
        optional: ``None`` is allowed.
        required: No default: the key must be given.
        range: Allowed numeric range (of the value, or of every element of a list).
        choices: Allowed values of a ``Literal`` parameter.
    """

    name: str
    kind: str
    optional: bool = False
    required: bool = False
    range: Range | None = None
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Schema:
    """The parameters of a component class, and whether it also takes ``**kwargs``."""

    cls: type
    params: dict[str, Param]
    open: bool


def _param(name: str, hint: Any, required: bool) -> Param:
    optional, rng, choices = False, None, ()
    if typing.get_origin(hint) is Annotated:
        hint, *meta = typing.get_args(hint)
        rng = next((m for m in meta if isinstance(m, Range)), None)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        args = [a for a in typing.get_args(hint) if a is not NoneType]
        optional = len(args) < len(typing.get_args(hint))
        hint = args[0] if len(args) == 1 else Any
        if typing.get_origin(hint) is Annotated:
            hint, *meta = typing.get_args(hint)
            rng = rng or next((m for m in meta if isinstance(m, Range)), None)
        origin = typing.get_origin(hint)
    if origin is Literal:
        choices = typing.get_args(hint)
        kind = "choice"
    elif hint in (int, float, bool, str):
        kind = hint.__name__
    elif origin in (list, tuple, Sequence) or hint in (list, tuple):
        kind = "list"
        element = (typing.get_args(hint) or (Any,))[0]
        if typing.get_origin(element) is Annotated:
            rng = rng or next((m for m in typing.get_args(element)[1:] if isinstance(m, Range)),
                              None)
    else:
        kind = "any"
    return Param(name, kind, optional, required, rng, choices)


@cache
def schema_of(cls: type) -> Schema:
    """The schema of ``cls``, read from its constructor's signature and annotations."""
    source = cls if dataclasses.is_dataclass(cls) else cls.__init__
    try:
        hints = typing.get_type_hints(source, include_extras=True)
    except Exception:  # unresolvable annotations (a user's class): check names only
        hints = {}
    params: dict[str, Param] = {}
    open_ = False
    for p in inspect.signature(cls).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            open_ = True
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            params[p.name] = _param(p.name, hints.get(p.name, Any), p.default is p.empty)
    return Schema(cls, params, open_)


def _describe(allowed: Range | None) -> tuple[float | None, float | None, bool, bool]:
    if allowed is None:
        return None, None, False, False
    return allowed.low, allowed.high, allowed.low_open, allowed.high_open


def check_value(name: str, value: Any, param: Param) -> None:
    """Raise :class:`ConfigError` unless ``value`` fits ``param`` (type, range, choices).

    Args:
        name: The dotted config name shown in the message (``"policy.selector.epsilon"``).
        value: The configured value.
        param: What the constructor allows.
    """
    if value is None:
        if param.optional or param.kind == "any":
            return
        raise ConfigError(f"`{name} == None`: must be given (a {param.kind}); it cannot be null.")
    if param.range is None:  # a declared range refuses NaN and infinities itself
        check_finite(name, value)
    kind = param.kind
    if kind == "int":
        low = param.range.low if param.range is not None else None
        if low is not None:
            check_positive_int(name, value, minimum=int(low))
        elif isinstance(value, bool) or not isinstance(value, Integral):
            raise ConfigError(f"`{name} == {value!r}`: must be an integer.")
        if param.range is not None and param.range.high is not None:
            check_in_range(name, value, None, param.range.high,
                           high_open=param.range.high_open)
    elif kind == "float":
        if param.range is not None:
            low, high, lo_open, hi_open = _describe(param.range)
            check_in_range(name, value, low, high, low_open=lo_open, high_open=hi_open)
        elif isinstance(value, bool) or not isinstance(value, Real):
            raise ConfigError(f"`{name} == {value!r}`: must be a number.")
    elif kind == "bool" and not isinstance(value, bool):
        raise ConfigError(f"`{name} == {value!r}`: must be true or false.")
    elif kind == "str" and not isinstance(value, str):
        raise ConfigError(f"`{name} == {value!r}`: must be a string.")
    elif kind == "choice" and value not in param.choices:
        raise ConfigError(f"`{name} == {value!r}`: must be one of {list(param.choices)}.")
    elif kind == "list":
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise ConfigError(f"`{name} == {value!r}`: must be a list.")
        if param.range is not None:
            low, high, lo_open, hi_open = _describe(param.range)
            for i, v in enumerate(value):
                check_in_range(f"{name}[{i}]", v, low, high, low_open=lo_open, high_open=hi_open)


def check_finite(name: str, value: Any) -> None:
    """Refuse a NaN or an infinity in ``value`` (a number, or one inside lists and mappings).

    No setting of loopsim means "infinite" or "not a number", declared range or not: a
    user's own ``half_life: float`` (no declared range) set to ``nan`` would otherwise run and
    turn every score into NaN.

    Args:
        name: The dotted config name shown in the message.
        value: The configured value (nested lists and mappings are searched).
    """
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"`{name} == {value!r}`: must be a finite number (NaN and "
                          "infinities are not settings).")
    if isinstance(value, Mapping):
        for key, item in value.items():
            check_finite(f"{name}.{key}", item)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for i, item in enumerate(value):
            check_finite(f"{name}[{i}]", item)


def _unknown(prefix: str, key: str, value: Any, schema: Schema) -> ConfigError:
    names = sorted(schema.params)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" Did you mean `{prefix}{close[0]}`?" if close else ""
    return ConfigError(
        f"`{prefix}{key} == {value!r}`: {schema.cls.__name__} has no parameter `{key}`; "
        f"it takes {names}.{hint}"
    )


def check_arguments(cls: type, values: Mapping[str, Any], prefix: str = "") -> None:
    """Check the keyword arguments ``values`` that would build ``cls``, before building it.

    Args:
        cls: The component class (a ``_target_``).
        values: Its configured keys (Hydra's own ``_target_``-like keys are skipped).
        prefix: Dotted path of the node in the config, with a trailing dot
            (``"policy.estimator."``), for the messages.

    Raises:
        ConfigError: for an unknown key (naming the closest parameter), a missing
            required one, or a value of the wrong type or out of range.
    """
    schema = schema_of(cls)
    for key, value in values.items():
        if key in HYDRA_KEYS:
            continue
        param = schema.params.get(key)
        if param is None:
            if schema.open:
                continue
            raise _unknown(prefix, key, value, schema)
        if isinstance(value, Mapping) and "_target_" in value:
            continue  # a nested component: checked against its own class
        check_value(f"{prefix}{key}", value, param)
    missing = [p.name for p in schema.params.values() if p.required and p.name not in values]
    if missing:
        raise ConfigError(
            f"`{prefix}{missing[0]}` is missing: {cls.__name__} requires {missing}."
        )


def check_object(obj: object, prefix: str) -> None:
    """Check the parameters a component stored under their own names, once at start.

    The same checks as :func:`check_arguments`, for a component built in Python rather
    than from a config: constructors store their parameters as attributes of the same
    name (as scikit-learn's do), and those that are found are checked. Lists are left to
    the component (it may store them converted).

    Args:
        obj: A world, click model, policy or part.
        prefix: Dotted name for the messages, with a trailing dot (``"world."``).
    """
    stored = getattr(obj, "__dict__", {})
    for name, param in schema_of(type(obj)).params.items():
        if name in stored and param.kind not in ("list", "any"):
            check_value(f"{prefix}{name}", stored[name], param)
