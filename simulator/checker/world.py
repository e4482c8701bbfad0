"""``check_world``: run a world's contract on a small draw and say exactly what is wrong.

The twin of :func:`~loopsim.simulator.checker.checks.check_policy` for a user's world
(:class:`~loopsim.simulator.contract.world.World`): one small check per property, each
raising :class:`~loopsim.simulator.errors.ContractError` that names the check, the world,
what was found, what was expected and the likely fix.

Usage::

    from loopsim.simulator import check_world
    check_world(MyWorld(n_users=50, n_items=20))
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
from loopsim.simulator.checker.constructor import check_constructor_only_stores
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.contract.registry import declared
from loopsim.simulator.contract.world import World
from loopsim.simulator.errors import ContractError
from loopsim.simulator.loop.policy_calls import GlobalRandomWatch

#: The seed of the checks' draws.
CHECK_SEED = 20261206


def _fail(check: str, world: object, what: str, fix: str) -> ContractError:
    return ContractError(f"{check} failed for world {type(world).__name__}: {what} {fix}")


def _fresh(world: World, seed: int = CHECK_SEED) -> World:
    """A reset copy of ``world`` (the user's object is never modified)."""
    out = copy.deepcopy(world)
    out.reset(np.random.default_rng(seed))
    return out


def check_world_members(world: World) -> None:
    """The world has every member of :class:`~loopsim.simulator.contract.world.World`."""
    if isinstance(world, World):
        return
    wanted = [m for m in ("seed", "n_users", "n_initial_items", "item_arrival_rate",
                          "item_lifetime", "reset", "add_items", "n_items", "activity",
                          "is_global", "version", "relevance", "relevance_of_slates",
                          "true_value", "observe") if not hasattr(world, m)]
    raise _fail("check_world_members", world, f"it has no {', '.join(wanted)}.",
                "Implement every member of loopsim.simulator.contract.World (see its "
                "docstring), or start from a built-in world such as SyntheticWorld.")


def check_reset_draws_the_catalogue(world: World) -> None:
    """After ``reset``: ``n_items == n_initial_items`` and sessions rates are (n_users,)."""
    w = _fresh(world)
    if w.n_items != w.n_initial_items or w.n_initial_items < 1:
        raise _fail("check_reset_draws_the_catalogue", world,
                    f"after reset, n_items == {w.n_items} and n_initial_items == "
                    f"{w.n_initial_items}.", "reset() must create exactly n_initial_items "
                    "(>= 1) items with ids 0..n_initial_items-1.")
    rates = np.asarray(w.activity())
    if rates.shape != (w.n_users,) or not np.all(np.isfinite(rates)) or np.any(rates < 0):
        raise _fail("check_reset_draws_the_catalogue", world,
                    f"activity() returned shape {rates.shape} with min "
                    f"{np.min(rates) if rates.size else 'n/a'}.",
                    f"Return ({w.n_users},) finite sessions per day >= 0, one per user.")


def check_relevance(world: World) -> None:
    """``relevance`` is ``(U, I)`` in [0, 1]; ``relevance_of_slates`` agrees with it."""
    w = _fresh(world)
    users = np.arange(min(w.n_users, 7), dtype=np.int64)
    items = np.arange(w.n_items, dtype=np.int64)
    rel = np.asarray(w.relevance(users, items), dtype=np.float64)
    if rel.shape != (users.size, items.size):
        raise _fail("check_relevance", world, f"relevance(users, items) returned shape "
                    f"{rel.shape} for {users.size} users and {items.size} items.",
                    "Return a (len(users), len(items)) array.")
    # An "attractiveness" world (MusicLab) gives weights >= 0 to a choice model.
    weights = getattr(w, "relevance_kind", "probability") == "attractiveness"
    if not np.all(np.isfinite(rel)) or rel.min() < 0 or (rel.max() > 1 and not weights):
        raise _fail("check_relevance", world, f"relevance has values in "
                    f"[{np.nanmin(rel):.3g}, {np.nanmax(rel):.3g}] (or non-finite ones).",
                    "Relevance is a click probability once examined: keep it in [0, 1] "
                    "(or declare relevance_kind = 'attractiveness' for weights >= 0).")
    if w.is_global and not np.allclose(rel, rel[:1]):
        raise _fail("check_relevance", world, "is_global is True but users' relevance "
                    "differs.", "Set is_global = False for a personalized world.")
    k = min(3, items.size)
    slates = np.stack([np.roll(items, -u)[:k] for u in range(users.size)])
    by_slate = np.asarray(w.relevance_of_slates(users, slates), dtype=np.float64)
    if by_slate.shape != slates.shape or not np.allclose(
            by_slate, np.take_along_axis(rel, slates, axis=1)):
        raise _fail("check_relevance", world, "relevance_of_slates(users, slates) "
                    "disagrees with relevance(users, items) at the same (user, item).",
                    "Return relevance[b, slates[b, r]] for users[b], shape (B, k).")


def check_true_value(world: World) -> None:
    """``true_value(items)`` is ``(I,)`` and finite."""
    w = _fresh(world)
    items = np.arange(w.n_items, dtype=np.int64)
    value = np.asarray(w.true_value(items), dtype=np.float64)
    if value.shape != items.shape or not np.all(np.isfinite(value)):
        raise _fail("check_true_value", world, f"true_value returned shape {value.shape} "
                    "(or non-finite values).", f"Return ({items.size},) finite values.")


def check_add_items(world: World) -> None:
    """``add_items(n, rng)`` returns ``n`` new consecutive ids and grows ``n_items``."""
    w = _fresh(world)
    before = w.n_items
    ids = np.asarray(w.add_items(2, np.random.default_rng(CHECK_SEED + 1)))
    if not np.array_equal(ids, np.arange(before, before + 2)) or w.n_items != before + 2:
        raise _fail("check_add_items", world, f"add_items(2, rng) returned {ids.tolist()} "
                    f"with n_items {before} -> {w.n_items}.",
                    f"Return the new ids [{before}, {before + 1}] and count them in n_items.")
    rel = np.asarray(w.relevance(np.zeros(1, dtype=np.int64), ids))
    if rel.shape != (1, 2):
        raise _fail("check_add_items", world, "relevance of the new items has shape "
                    f"{rel.shape}.", "Give new items a relevance like the initial ones.")


def check_deterministic_given_rng(world: World) -> None:
    """Two resets with the same generator state draw the same world."""
    items = np.arange(_fresh(world).n_items, dtype=np.int64)
    users = np.arange(min(_fresh(world).n_users, 5), dtype=np.int64)
    a = np.asarray(_fresh(world).relevance(users, items))
    b = np.asarray(_fresh(world).relevance(users, items))
    if not np.array_equal(a, b):
        raise _fail("check_deterministic_given_rng", world, "two resets with the same "
                    "generator gave different relevance.", "Draw only from the generator "
                    "reset() receives (never np.random or an unseeded default_rng()).")


def check_observe_accepts_empty_feedback(world: World) -> None:
    """``observe`` accepts an empty batch (no session served)."""
    _fresh(world).observe(Feedback.empty())


def check_no_global_random_state(world: World) -> None:
    """Building, resetting and using the world leave the global generators untouched."""
    watch = GlobalRandomWatch()
    w = _fresh(world)
    w.relevance(np.zeros(1, dtype=np.int64), np.arange(w.n_items, dtype=np.int64))
    w.add_items(1, np.random.default_rng(CHECK_SEED + 2))
    if touched := watch.touched():
        raise _fail("check_no_global_random_state", world, f"it changed the state of "
                    f"{', '.join(touched)}.", "Draw from the generator reset() and "
                    "add_items() receive.")


WORLD_CHECKS: tuple[Callable[[World], None], ...] = (
    check_world_members, check_reset_draws_the_catalogue, check_relevance, check_true_value,
    check_add_items, check_deterministic_given_rng, check_observe_accepts_empty_feedback,
    check_no_global_random_state,
)


def check_world(world: World) -> list[str]:
    """Run every world check on copies of ``world``; return its declared optional hooks.

    Raises:
        ContractError: naming the failed check, the world, what was found and the fix.
    """
    check_constructor_only_stores(world, "world", ContractError)
    for check in WORLD_CHECKS:
        check(world)
    return declared(world, ("world",))


__all__ = ["WORLD_CHECKS", "check_add_items", "check_deterministic_given_rng",
           "check_no_global_random_state", "check_observe_accepts_empty_feedback",
           "check_relevance", "check_reset_draws_the_catalogue", "check_true_value",
           "check_world", "check_world_members"]
