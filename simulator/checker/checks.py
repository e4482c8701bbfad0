"""``check_policy``: run the policy contract on a tiny world and say exactly what is wrong.

In the spirit of scikit-learn's ``check_estimator`` and gymnasium's ``check_env``: one
small ``check_*`` function per property of the contract (:mod:`loopsim.simulator.contract.policy`),
each run on a fresh copy of the policy against a tiny synthetic world with a
position-based click model. A failing check raises
:class:`~loopsim.simulator.errors.PolicyContractError` naming the check, the policy, what was
found, what was expected and the likely fix. The slates themselves are validated by the
engine's own guard (:mod:`loopsim.simulator.loop.slate_checks`), so the checker and the engine
never disagree.

Usage::

    from loopsim.simulator import check_policy
    check_policy(MyPolicy())            # raises on the first broken property

In a test suite, :mod:`loopsim.simulator.checker.testing` turns the checks into pytest cases.
"""

from __future__ import annotations

import copy
import functools
import random
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from loopsim.simulator.checker.constructor import constructor_problem
from loopsim.simulator.checker.tiny_world import TinyWorld
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.contract.catalogue import hand_item_attributes
from loopsim.simulator.contract.policy import (
    RankingPolicy,
    ScoresItems,
    UsesGroundTruth,
    components,
)
from loopsim.simulator.contract.registry import hooks_of
from loopsim.simulator.errors import PolicyContractError
from loopsim.simulator.loop.slate_checks import (
    validate_ids,
    validate_propensities,
    validate_repeats,
    validate_slates,
    validate_type_and_shape,
)

__all__ = [
    "CHECKS",
    "check_constructors_only_store",
    "check_contract_methods",
    "check_deterministic_given_rng",
    "check_ids_among_candidates",
    "check_item_scores",
    "check_no_global_random_state",
    "check_no_repeats",
    "check_policy",
    "check_propensities",
    "check_slate_shape_and_dtype",
    "check_update_accepts_empty_feedback",
    "check_update_then_rank",
    "policy_checks",
]

#: Seed of the tiny world and of the policy's generator in every check.
CHECK_SEED = 2024


class _Context:
    """What a check works with: the policy under test, its name and a tiny world."""

    def __init__(self, policy: RankingPolicy, name: str) -> None:
        self.policy = policy
        self.name = name

    def fresh(self, world: TinyWorld) -> Any:
        """A deep copy of the policy, handed the world's truth if it asks for it."""
        try:
            policy = copy.deepcopy(self.policy)
        except Exception as exc:
            raise PolicyContractError(
                f"copy.deepcopy(policy) raised {type(exc).__name__}: {exc}. Expected a "
                "copyable policy: the checks run each property on a fresh copy. Most likely "
                "the constructor opens a file, a connection or a lock: store only "
                "parameters in __init__ and create state on first use."
            ) from exc
        hand_item_attributes(components(policy), world.world)  # as the engine does
        for part in components(policy):  # as the engine does: only parts that declare it
            if isinstance(part, UsesGroundTruth):
                self.call(part.use_ground_truth, world.world, "use_ground_truth")
        return policy

    def shapes(
        self, world: TinyWorld, shapes: tuple[tuple[int, int], ...]
    ) -> Iterator[tuple[Any, SlateRequest]]:
        """A fresh copy and a request per ``(batch size, k)``: ``k`` is fixed within a run.

        ``k`` is capped by the policy's optional ``max_slate_size`` (a pipeline serves at
        most its pool size: a larger slate is a configuration error it reports itself).
        """
        cap = getattr(self.policy, "max_slate_size", None)
        for step, (batch, k) in enumerate(shapes):
            k = k if cap is None else min(k, int(cap))
            rng = np.random.default_rng(CHECK_SEED + step)
            yield self.fresh(world), world.request(float(step), batch, k, rng)

    def call(self, fn: Callable[[Any], Any], arg: Any, method: str) -> Any:
        """Call a policy method; an exception becomes a diagnosed contract error."""
        try:
            return fn(arg)
        except PolicyContractError:
            raise
        except Exception as exc:
            raise PolicyContractError(
                f"{self.name}.{method}() raised {type(exc).__name__}: {exc} "
                f"({_describe(arg)}). Expected it to {_EXPECTED[method]}."
            ) from exc

    def rank(self, policy: Any, request: SlateRequest) -> object:
        """What ``policy.rank(request)`` returns, unchecked."""
        return self.call(policy.rank, request, "rank")

    def serve(self, policy: Any, world: TinyWorld, request: SlateRequest) -> Slates:
        """Rank and validate with the engine's own guard."""
        return validate_slates(self.rank(policy, request), request, world.available, self.name)

    def update(self, policy: Any, feedback: Feedback) -> None:
        """``policy.update(feedback)``."""
        self.call(policy.update, feedback, "update")


_EXPECTED = {
    "rank": "return simulator.Slates for any batch size, any k <= len(candidates) and "
    "any candidate ids",
    "update": "accept any feedback batch, including an empty one and one with item ids "
    "it has never seen",
    "item_scores": "return one float per requested item id, including ids never seen",
    "use_ground_truth": "accept the world's read-only truth",
}


def _describe(arg: Any) -> str:
    if isinstance(arg, SlateRequest):
        return (f"request: t={arg.t}, B={arg.batch_size} users, k={arg.k}, "
                f"{arg.candidates.size} candidates with ids {arg.candidates[:6].tolist()}...")
    if isinstance(arg, Feedback):
        return f"feedback batch of {len(arg)} rows"
    if isinstance(arg, np.ndarray):
        return f"{arg.size} item ids"
    return type(arg).__name__


def _check(fn: Callable[[_Context], None]) -> Callable[..., None]:
    """Make ``fn(ctx)`` a public check ``check(policy, name=None)`` with clear messages."""

    @functools.wraps(fn)
    def check(policy: RankingPolicy, name: str | None = None) -> None:
        label = name or type(policy).__name__
        try:
            fn(_Context(policy, label))
        except PolicyContractError as exc:
            raise PolicyContractError(f"{fn.__name__} failed for {label}: {exc}") from exc

    return check


# -- the checks -------------------------------------------------------------------------


@_check
def check_contract_methods(ctx: _Context) -> None:
    """``rank`` and ``update`` are callable; ``item_scores``, when present, is too."""
    if isinstance(ctx.policy, type):
        raise PolicyContractError(
            f"got the class {ctx.policy.__name__}, not an instance; expected a policy "
            "object. Most likely the parentheses are missing: pass MyPolicy(), not MyPolicy."
        )
    for method in ("rank", "update"):
        if not callable(getattr(ctx.policy, method, None)):
            raise PolicyContractError(
                f"{type(ctx.policy).__name__} has no callable {method}(); expected the "
                "methods of simulator.RankingPolicy: rank(request) -> Slates and "
                "update(feedback) -> None. Most likely the method is misspelt or not defined "
                "on the class."
            )
    if hasattr(ctx.policy, "item_scores") and not callable(ctx.policy.item_scores):
        raise PolicyContractError(
            "item_scores is not callable; expected a method item_scores(items) -> array, "
            "or no attribute of that name."
        )


@_check
def check_slate_shape_and_dtype(ctx: _Context) -> None:
    """``rank`` returns ``Slates`` whose items are an integer ``(B, k)`` array."""
    world = TinyWorld.build(CHECK_SEED)
    for policy, request in ctx.shapes(world, ((1, 1), (7, 3), (16, world.candidates.size))):
        validate_type_and_shape(ctx.rank(policy, request), request, ctx.name)


@_check
def check_ids_among_candidates(ctx: _Context) -> None:
    """Every id is one of ``request.candidates`` (sparse ids, not ``0..n-1``)."""
    world = TinyWorld.build(CHECK_SEED)
    for policy, request in ctx.shapes(world, ((5, 4), (3, world.candidates.size))):
        slates = validate_type_and_shape(ctx.rank(policy, request), request, ctx.name)
        validate_ids(slates.items, request, world.available, ctx.name)


@_check
def check_no_repeats(ctx: _Context) -> None:
    """No id repeats within a slate, even when ``k`` equals the number of candidates."""
    world = TinyWorld.build(CHECK_SEED)
    for policy, request in ctx.shapes(world, ((16, 5), (8, world.candidates.size))):
        slates = validate_type_and_shape(ctx.rank(policy, request), request, ctx.name)
        validate_repeats(slates.items, request, ctx.name)


@_check
def check_propensities(ctx: _Context) -> None:
    """Propensities are ``None`` or a ``(B, k)`` array of probabilities in (0, 1]."""
    world = TinyWorld.build(CHECK_SEED)
    for policy, request in ctx.shapes(world, ((16, 5), (4, world.candidates.size))):
        for t in range(2):  # before and after learning from feedback
            slates = validate_type_and_shape(ctx.rank(policy, request), request, ctx.name)
            if slates.propensities is not None:
                validate_propensities(slates.propensities, request, ctx.name)
            slates = validate_slates(slates, request, world.available, ctx.name)
            ctx.update(policy, world.feedback(request, slates))
            request = world.request(t + 1.0, request.batch_size, request.k, request.rng)


@_check
def check_update_accepts_empty_feedback(ctx: _Context) -> None:
    """``update(Feedback.empty())`` works before and after the first request."""
    world = TinyWorld.build(CHECK_SEED)
    policy = ctx.fresh(world)
    rng = np.random.default_rng(CHECK_SEED)
    ctx.update(policy, Feedback.empty())
    ctx.serve(policy, world, world.request(0.0, 6, 4, rng))
    ctx.update(policy, Feedback.empty())
    ctx.serve(policy, world, world.request(1.0, 6, 4, rng))


@_check
def check_update_then_rank(ctx: _Context) -> None:
    """The loop runs: rank, learn from clicks, rank again after the catalogue changed."""
    world = TinyWorld.build(CHECK_SEED)
    policy = ctx.fresh(world)
    rng = np.random.default_rng(CHECK_SEED)
    for t in range(3):
        request = world.request(float(t), 12, 4, rng)
        ctx.update(policy, world.feedback(request, ctx.serve(policy, world, request)))
    removed, added = world.change_catalogue()
    request = world.request(3.0, 12, 4, rng)
    try:
        ctx.serve(policy, world, request)
    except PolicyContractError as exc:
        raise PolicyContractError(
            f"after the catalogue changed (ids {removed.tolist()} removed, "
            f"{added.tolist()} added): {exc}"
        ) from exc


def _run_loop(ctx: _Context, steps: int = 4) -> list[Slates]:
    """A short loop on a fresh copy and a fresh world; the slates served at each step."""
    world = TinyWorld.build(CHECK_SEED)
    policy = ctx.fresh(world)
    rng = np.random.Generator(np.random.PCG64(CHECK_SEED))
    served = []
    for t in range(steps):
        if t == steps - 1:
            world.change_catalogue()
        request = world.request(float(t), 9, 4, rng)
        slates = ctx.serve(policy, world, request)
        served.append(slates)
        ctx.update(policy, world.feedback(request, slates))
    return served


@_check
def check_deterministic_given_rng(ctx: _Context) -> None:
    """Two copies given generators in the same state serve the same slates."""
    first, second = _run_loop(ctx), _run_loop(ctx)
    for step, (a, b) in enumerate(zip(first, second, strict=True)):
        rows = np.flatnonzero((a.items != b.items).any(axis=1))
        same_p = (a.propensities is None) == (b.propensities is None) and (
            a.propensities is None or np.array_equal(a.propensities, b.propensities)
        )
        if rows.size or not same_p:
            row = int(rows[0]) if rows.size else 0
            what = "propensities" if not rows.size else "items"
            found = (a.items[row].tolist(), b.items[row].tolist()) if rows.size else (
                _row(a.propensities, row), _row(b.propensities, row))
            raise PolicyContractError(
                f"two copies of the policy, given generators in the same state, returned "
                f"different {what} at step {step}: row {row} is {found[0]} in one run and "
                f"{found[1]} in the other. Expected identical slates: every random draw must "
                "come from request.rng. Most likely the policy draws from its own "
                "unseeded generator (np.random.default_rng() without a seed), from the "
                "global np.random or random, or depends on the wall clock or on set order."
            )


def _row(p: np.ndarray | None, row: int) -> object:
    return None if p is None else np.asarray(p)[row].tolist()


def _global_states() -> tuple[Any, ...]:
    state = np.random.get_state(legacy=False)  # noqa: NPY002 (reads the global state)
    return (
        state["state"]["key"].tobytes(),  # type: ignore[index]
        state["state"]["pos"],  # type: ignore[index]
        state["has_gauss"],  # type: ignore[index]
        state["gauss"],  # type: ignore[index]
        random.getstate(),
    )


@_check
def check_no_global_random_state(ctx: _Context) -> None:
    """Ranking and learning leave the global ``np.random`` and ``random`` states untouched.

    The global generators are first set to a state of the check's own (the caller's
    states are restored after), so a policy that reseeds them -- even to the state they
    happened to be in, e.g. after an earlier check -- is caught.
    """
    saved_np, saved_py = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        sentinel = np.random.SeedSequence(CHECK_SEED).generate_state(2)
        np.random.seed(int(sentinel[0]))  # noqa: NPY002 (a state the policy cannot guess)
        random.seed(int(sentinel[1]))
        before = _global_states()
        _run_loop(ctx)
        after = _global_states()
    finally:
        np.random.set_state(saved_np)  # noqa: NPY002
        random.setstate(saved_py)
    if before[:4] != after[:4]:
        raise PolicyContractError(
            "the global numpy.random state changed while the policy ranked and learned; "
            "expected all of its randomness to come from request.rng. Most likely the "
            "policy calls np.random.<function> (rand, choice, shuffle, permutation, "
            "seed...) or reseeds the global generator (np.random.seed): call the same "
            "method on request.rng instead."
        )
    if before[4] != after[4]:
        raise PolicyContractError(
            "the global `random` module's state changed while the policy ranked and "
            "learned; expected all of its randomness to come from request.rng. Most likely "
            "the policy calls random.random/shuffle/choice/seed: use request.rng (a "
            "numpy.random.Generator) instead."
        )


@_check
def check_item_scores(ctx: _Context) -> None:
    """``item_scores(items)``, when present, gives one finite-or-NaN float per item."""
    if not isinstance(ctx.policy, ScoresItems):
        return
    world = TinyWorld.build(CHECK_SEED)
    policy = ctx.fresh(world)
    rng = np.random.default_rng(CHECK_SEED)
    for t in range(2):
        items = world.candidates
        scores = ctx.call(policy.item_scores, items, "item_scores")
        if scores is not None:
            arr = np.asarray(scores)
            if arr.shape != items.shape or not np.issubdtype(arr.dtype, np.number):
                raise PolicyContractError(
                    f"item_scores(items) with {items.size} items returned "
                    f"{type(scores).__name__} of shape {arr.shape} and dtype {arr.dtype}; "
                    f"expected a float array of shape ({items.size},), one score per "
                    "requested id in the same order (or None for no belief). Most likely it "
                    "returns the scores of every item it knows instead of those requested."
                )
        request = world.request(float(t), 8, 4, rng)
        ctx.update(policy, world.feedback(request, ctx.serve(policy, world, request)))
        world.change_catalogue()


#: Every check, in the order :func:`check_policy` runs them.
def check_constructors_only_store(policy: RankingPolicy, name: str | None = None) -> None:
    """The policy's and each part's constructor only stores its parameters.

    As scikit-learn's ``check_no_attributes_set_in_init``
    (:func:`~loopsim.simulator.checker.constructor.check_constructor_only_stores`).
    """
    for part in components(policy):
        if (problem := constructor_problem(part, "policy")) is not None:
            raise PolicyContractError(f"check_constructors_only_store failed for "
                                      f"{name or type(policy).__name__}: {problem}")


CHECKS: tuple[Callable[..., None], ...] = (
    check_contract_methods,
    check_constructors_only_store,
    check_slate_shape_and_dtype,
    check_ids_among_candidates,
    check_no_repeats,
    check_propensities,
    check_update_accepts_empty_feedback,
    check_update_then_rank,
    check_item_scores,
    check_deterministic_given_rng,
    check_no_global_random_state,
)


def policy_checks(
    policy: RankingPolicy, name: str | None = None
) -> Iterator[tuple[str, Callable[[], None]]]:
    """Yield ``(check name, zero-argument callable)`` for every check of ``policy``.

    Args:
        policy: An instance of the policy under test (it is copied, never modified).
        name: The policy's name in messages (default: its class name).
    """
    for check in CHECKS:
        yield check.__name__, functools.partial(check, policy, name)


def check_policy(policy: RankingPolicy, name: str | None = None) -> dict[str, list[str]]:
    """Run every check of the policy contract on ``policy``; raise on the first failure.

    Each check runs on a fresh deep copy of ``policy`` against a tiny synthetic world
    (40 users, 15 of 30 items available with non-consecutive ids, position-based
    clicks). It checks the slate type, shape and dtype; that ids are among the
    candidates; no repeats within a slate; propensities ``None`` or in (0, 1]; that
    ``update`` accepts an empty batch and the loop survives a catalogue change; the
    shape of ``item_scores``; that a fixed generator state gives the same slates; and
    that the global ``np.random`` and ``random`` states are left untouched.

    Args:
        policy: An instance of the policy under test (copied, never modified).
        name: The policy's name in messages (default: its class name).

    Returns:
        The optional hooks found (checked once when a run starts), for the policy and
        each of its parts: ``{"ComposedPolicy": ["item_scores", "parts"],
        "ClicksOverExpected (part)": ["policy_metrics", "posterior"], ...}``
        (:func:`~loopsim.simulator.contract.registry.hooks_of`). A hook missing from the list is
        not called: e.g. without ``item_scores`` the run has no ``tau_scores``.

    Raises:
        PolicyContractError: naming the failed check, the policy, what was found, what
            was expected and the likely fix.
    """
    saved_np, saved_py = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        for _, run in policy_checks(policy, name):
            run()
    finally:  # a policy that touched the global generators leaves the caller's intact
        np.random.set_state(saved_np)  # noqa: NPY002
        random.setstate(saved_py)
    return hooks_of(policy)
