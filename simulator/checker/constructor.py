"""``check_constructor_only_stores``: a constructor only stores its parameters.

As scikit-learn's ``check_no_attributes_set_in_init``: every public attribute a
component's ``__init__`` sets is one of its parameters (or a member its contract
requires, such as a world's ``n_initial_items``). Derived state (counters, curves,
caches, random draws) appears on first use, in private attributes that ``__init__`` may
declare empty (``self._cache = None``). Configs, copies and checks then stay trivial:
a component is fully described by its parameters.
"""

from __future__ import annotations

import inspect

from loopsim.simulator.errors import PolicyContractError

#: Members a contract requires a component to expose (set from the parameters).
CONTRACT_MEMBERS: dict[str, frozenset[str]] = {
    "world": frozenset({"seed", "n_users", "n_initial_items", "item_arrival_rate",
                        "item_lifetime"}),
}


def constructor_parameters(component: object) -> list[str]:
    """The named parameters of the constructors of ``type(component)`` and its bases.

    A subclass that calls ``super().__init__()`` stores its bases' parameters too (as
    scikit-learn counts them). ``self``, ``*args`` and ``**kwargs`` aside.
    """
    names: list[str] = []
    for cls in type(component).__mro__:
        init = cls.__dict__.get("__init__")
        if init is None or cls is object:
            continue
        try:
            signature = inspect.signature(init)
        except (TypeError, ValueError):  # a builtin's or C extension's constructor
            continue
        names += [name for name, p in signature.parameters.items() if name != "self"
                  and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and name not in names]
    return names


def attributes_set_in_init(component: object) -> list[str]:
    """Public instance attributes of ``component`` that are not constructor parameters."""
    params = set(constructor_parameters(component))
    return sorted(a for a in vars(component) if not a.startswith("_") and a not in params)


def constructor_problem(component: object, role: str) -> str | None:
    """What is wrong with ``component``'s constructor, or ``None``.

    Args:
        component: A freshly built component (its constructor just ran).
        role: What it is, for the contract's members: ``"policy"``, ``"world"``...
    """
    if isinstance(component, type) or not hasattr(component, "__dict__"):
        return None  # a class, not an instance: the contract checks say so
    extra = [a for a in attributes_set_in_init(component)
             if a not in CONTRACT_MEMBERS.get(role, frozenset())]
    if not extra:
        return None
    params = ", ".join(constructor_parameters(component)) or "none"
    return (
        f"the constructor of {type(component).__name__} sets "
        f"{', '.join(f'`{a}`' for a in extra)}, which "
        f"{'is not a parameter' if len(extra) == 1 else 'are not parameters'} "
        f"(parameters: {params}). A constructor only stores its parameters (no "
        "training, no I/O, no random draws): derive such state on first use, e.g. "
        f"`self._{extra[0]} = None` in __init__, built when first needed."
    )


def check_constructor_only_stores(component: object, role: str,
                                  error: type[Exception] = PolicyContractError) -> None:
    """Raise ``error`` when ``component``'s constructor sets public derived state.

    Args:
        component: A freshly built component (its constructor just ran).
        role: What it is: ``"policy"``, ``"world"``, ``"click model"``...
        error: The exception raised (the contract's error class for ``role``).
    """
    if (problem := constructor_problem(component, role)) is not None:
        raise error(f"check_constructor_only_stores failed for {role} "
                    f"{type(component).__name__}: {problem}")


__all__ = ["CONTRACT_MEMBERS", "attributes_set_in_init", "check_constructor_only_stores",
           "constructor_parameters", "constructor_problem"]
