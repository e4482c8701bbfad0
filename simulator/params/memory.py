"""Sizes against memory, before the run: a size that cannot fit is refused, named.

:func:`estimate` turns a config's sizes into the largest arrays a run holds at once (a
lower bound: 8 bytes per number, the run's own bookkeeping not counted), each term
named by the fields that make it. :func:`check_memory` refuses a config whose estimate
exceeds the memory available, naming the field that dominates, the estimate and what
is available, instead of a run that fails hours later with "Unable to allocate 74 GiB".
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loopsim.simulator.errors import ConfigError

__all__ = ["Term", "available_bytes", "check_memory", "estimate", "format_bytes"]

#: Bytes per number held.
WORD = 8
#: Share of the available memory a run may plan to use.
HEADROOM = 0.8
#: Keys of a policy's (nested) nodes that size a candidate pool per session.
POOL_KEYS = ("n", "pool_size", "n_candidates", "top_n")
#: Keys that size latent factors (per user and per item).
FACTOR_KEYS = ("n_factors", "n_attributes", "dim", "n_topics")


@dataclass(frozen=True)
class Term:
    """One array (or group of arrays) of the estimate.

    Attributes:
        fields: The config fields whose product makes it, e.g. ``world.n_users``.
        what: What it holds.
        bytes: Its size.
    """

    fields: tuple[str, ...]
    what: str
    bytes: float


def _num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value) if math.isfinite(float(value)) else default


#: Worlds that hold a dense users x items array, with its bytes per (user, item): Chaney
#: et al.'s utilities, known utilities and consumed flags; the interest world's exact
#: true value (relevance of every user for every item).
DENSE_WORLDS = {"ChaneyWorld": 2 * WORD + 1, "InterestWorld": WORD}


def estimate(cfg: Mapping[str, Any]) -> list[Term]:
    """The largest arrays a run of ``cfg`` (a plain composed config) holds, largest first.

    Terms: the users' and the items' latent factors; the per-item counters over the
    whole catalogue (initial items plus arrivals over the horizon); one served batch's
    sessions and slates (sessions per tick); its organic sessions; a pipeline's
    candidate pools; a world's dense users x items arrays; a policy's own factors.
    Scoring a batch against the catalogue is done in bounded chunks, so it is not a term.
    """
    world = cfg.get("world") if isinstance(cfg.get("world"), Mapping) else {}
    policy = cfg.get("policy") if isinstance(cfg.get("policy"), Mapping) else {}
    horizon = _num(cfg.get("horizon"), 100.0)
    tick = _num(cfg.get("tick"), 0.05)
    k = _num(cfg.get("slate_size"), 10.0)
    users = _num(world.get("n_users"))
    items = _num(world.get("n_items")) + _num(world.get("item_arrival_rate")) * horizon
    item_fields = ("world.n_items", "world.item_arrival_rate") if world.get(
        "item_arrival_rate") else ("world.n_items",)
    factors = max([_num(world.get(f)) for f in FACTOR_KEYS] + [0.0])
    factor_field = next((f"world.{f}" for f in FACTOR_KEYS if world.get(f)), "world.n_factors")
    rate = _num(world.get("sessions_per_user_per_day"), 1.0)
    batch = max(1.0, users * rate * tick) if tick > 0 else 1.0
    batch = min(batch, max(1.0, users * rate * horizon))
    organic = _num(world.get("organic"))
    session_fields = ("world.n_users", "world.sessions_per_user_per_day", "tick")
    terms = [
        Term(("world.n_users", factor_field), "the users' latent factors (and their start)",
             2 * users * factors * WORD),
        Term((*item_fields, factor_field), "the items' latent factors",
             2 * items * factors * WORD),
        Term(item_fields, "per-item counters over the whole catalogue", 16 * items * WORD),
        Term((*session_fields, "slate_size"), "one batch's sessions, slates, clicks and "
             "propensities", batch * (4 * k + 4) * WORD),
        Term((*session_fields, "world.organic"), "one batch's organic sessions",
             organic * batch * 4 * WORD),
    ]
    kind = str(world.get("_target_", "")).rsplit(".", 1)[-1]
    if kind in DENSE_WORLDS:
        terms.append(Term(("world.n_users", *item_fields), f"{kind}'s users x items arrays",
                          DENSE_WORLDS[kind] * users * items))
    pool, pool_field = _largest_pool(policy, "policy")
    if pool:
        terms.append(Term((*session_fields, pool_field), "one batch's candidate pools",
                          3 * batch * pool * WORD))
    per_user = max([_num(_find(policy, f)) for f in FACTOR_KEYS] + [0.0])
    if per_user:
        terms.append(Term(("world.n_users", *item_fields, "policy...n_factors"),
                          "the policy's user and item factors", (users + items) * per_user
                          * WORD))
    return sorted(terms, key=lambda t: -t.bytes)


def _largest_pool(node: Any, where: str) -> tuple[float, str]:
    best = (0.0, "")
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in POOL_KEYS and _num(value) > best[0]:
                best = (_num(value), f"{where}.{key}")
            elif isinstance(value, Mapping):
                inner = _largest_pool(value, f"{where}.{key}")
                best = inner if inner[0] > best[0] else best
    return best


def _find(node: Any, key: str) -> Any:
    if isinstance(node, Mapping):
        if key in node:
            return node[key]
        for value in node.values():
            found = _find(value, key)
            if found is not None:
                return found
    return None


def available_bytes() -> float | None:
    """Memory this process may still use: ``MemAvailable`` (Linux), else total RAM."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (OSError, ValueError, AttributeError):
        return None


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units (``74.0 GiB``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def check_memory(cfg: Mapping[str, Any], available: float | None = None) -> list[Term]:
    """Refuse ``cfg`` when its estimated memory exceeds what is available.

    Args:
        cfg: The composed config as plain containers.
        available: Bytes available (default: :func:`available_bytes`).

    Returns:
        The estimate's terms (largest first).

    Raises:
        ConfigError: naming the fields of the largest term, its size, the whole
            estimate and the memory available.
    """
    terms = estimate(cfg)
    limit = available_bytes() if available is None else available
    total = sum(t.bytes for t in terms)
    if limit is None or total <= HEADROOM * limit:
        return terms
    top = terms[0]
    values = ", ".join(f"`{f} == {_value(cfg, f)}`" for f in top.fields)
    culprit = max(top.fields, key=lambda f: _num(_value(cfg, f)))
    raise ConfigError(
        f"{values}: {top.what} alone needs about {format_bytes(top.bytes)}; the run needs at "
        f"least {format_bytes(total)} in all, and {format_bytes(limit)} of memory is "
        f"available (a run may plan {HEADROOM:.0%} of it). Lower {culprit} (or the "
        "other fields named), or run on a machine with more memory."
    )


def _value(cfg: Mapping[str, Any], dotted: str) -> Any:
    node: Any = cfg
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return "?"
        node = node[part]
    return node
