"""The measured values of the validation page, cached as JSON (never a pickle).

A cache file is data a user may have been given: reading it must not run code. It holds
the :class:`~loopsim.experiments.reproduce.studies.Validation` dataclasses as tagged JSON
objects; only the result classes the reader lists are rebuilt, and arrays only
of the numeric dtypes in :data:`DTYPES`. Anything else is refused with a
:class:`~loopsim.simulator.errors.DataError` naming the file and the entry.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from loopsim.simulator.errors import DataError
from loopsim.simulator.io.results import atomic_text

__all__ = ["CACHE_VERSION", "read_cache", "write_cache"]

#: Layout version of a cache file.
CACHE_VERSION = 1
#: Array dtypes a cache may hold.
DTYPES = ("float64", "int64", "bool")


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__class__": type(value).__name__,
                **{f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value: Any, where: str, classes: dict[str, type]) -> Any:
    if isinstance(value, list):
        return [_decode(v, f"{where}[{i}]", classes) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        dtype = value.get("dtype")
        if dtype not in DTYPES:
            raise DataError(f"{where}: array dtype {dtype!r} is not one of {DTYPES}.")
        try:
            return np.asarray(value["__ndarray__"], dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{where}: not an array of {dtype} ({exc}).") from None
    if "__class__" in value:
        name = value["__class__"]
        cls = classes.get(name)
        if cls is None:
            raise DataError(f"{where}: class {name!r} is not one of {sorted(classes)}.")
        names = {f.name for f in dataclasses.fields(cls)}
        given = {k: _decode(v, f"{where}.{k}", classes) for k, v in value.items()
                 if k != "__class__"}
        if set(given) != names:
            raise DataError(f"{where}: {name} needs the fields {sorted(names)}, the cache "
                            f"holds {sorted(given)}.")
        return cls(**given)
    return {k: _decode(v, f"{where}.{k}", classes) for k, v in value.items()}


def write_cache(path: str | Path, validation: Any) -> None:
    """Write the measured values to ``path`` as JSON (atomically)."""
    doc = {"loopsim_validation_cache": CACHE_VERSION, "values": _encode(validation)}
    atomic_text(Path(path), json.dumps(doc) + "\n")


def read_cache(path: str | Path, classes: Sequence[type]) -> Any:
    """Read a cache written by :func:`write_cache`.

    Args:
        path: The cache file.
        classes: The dataclasses it may rebuild (the result classes of the validation
            page, :class:`~loopsim.experiments.reproduce.studies.Validation` among them).

    Raises:
        DataError: The file is not such a cache (not JSON, another version, an unknown
            class or dtype); the message names the file and the entry.
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{p}: not a loopsim validation cache (JSON expected: {exc}). "
                        "Older caches were pickles, which are no longer read: rerun "
                        "without --cache, or with a new file name.") from None
    if not isinstance(doc, dict) or doc.get("loopsim_validation_cache") != CACHE_VERSION:
        raise DataError(f"{p}: not a loopsim validation cache of version {CACHE_VERSION}.")
    value = _decode(doc.get("values"), str(p), {c.__name__: c for c in classes})
    if type(value).__name__ != "Validation":
        raise DataError(f"{p}: holds no Validation.")
    return value
