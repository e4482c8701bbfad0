"""The columnar batches that cross every contract: slate requests, slates and feedback.

Frozen dataclasses of numpy arrays, one row per session or impression (never one Python
object per impression).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from loopsim.simulator.contract.constant_columns import constant, ranks
from loopsim.simulator.contract.item_totals import ItemTotals


@dataclass(frozen=True)
class SlateRequest:
    """A batch of sessions to serve.

    Attributes:
        t: Simulated time of the batch, in days.
        users: ``(B,)`` int64 ids of the users whose sessions are served.
        candidates: ``(n,)`` int64 ids of the items available now, sorted ascending,
            read-only. The same array object is passed until the catalogue changes, so
            a policy may cache work keyed on ``candidates is previous_candidates``.
        k: Slate size: how many items to rank for each session (``k <= n``).
        rng: The policy's own random generator. All of a policy's randomness must come
            from it so that runs are reproducible.
        propensities: Whether anything reads the values of the answer's
            :attr:`Slates.propensities` (the engine sets it: ``True`` when the run writes
            an impression log, or when a part of the policy may read
            ``Feedback.propensity``: :func:`~loopsim.simulator.contract.policy.reads_propensities`).
            When ``False`` a selector may skip computing them and return NaN ("randomized,
            value not computed") for its randomized placements, as Thompson sampling and
            softmax do (their exact marginals are most of their cost). A policy may
            always ignore it and compute them.
    """

    t: float
    users: np.ndarray
    candidates: np.ndarray
    k: int
    rng: np.random.Generator
    propensities: bool = True

    @property
    def batch_size(self) -> int:
        """Number of sessions ``B`` in the batch."""
        return int(self.users.shape[0])


@dataclass(frozen=True)
class Slates:
    """A policy's answer to a :class:`SlateRequest`.

    Attributes:
        items: ``(B, k)`` integer item ids drawn from the request's candidates, no id
            repeated within a row; row ``b`` is the slate of ``users[b]``, column ``r``
            is rank ``r + 1``. A policy serving one shared slate may return a
            broadcast view (``np.broadcast_to(row, (B, k))``); the engine then validates
            and counts that row once.
        propensities: ``(B, k)`` floats in (0, 1]: the probability that the item was
            placed at that rank given the policy's state, for inverse-propensity
            estimators. ``None`` means the policy is deterministic (propensity 1).
            A randomized policy must never claim 1 for a random placement: built-in
            selectors log exact marginals (epsilon-greedy, RandTop-N, RandPair,
            softmax, uniform, Thompson sampling) or, for Thompson sampling with
            ``policy.selector.propensities=monte_carlo``, a Monte-Carlo estimate from the
            same posterior (``(count + 1) / (M + 1)`` over
            ``M = policy.selector.propensity_draws`` posterior slates per model version),
            declared approximate (:class:`~loopsim.simulator.contract.policy.DeclaresPropensities`),
            which ``loopsim-ope`` refuses. Random tie-breaking among exactly equal scores
            is not counted as randomization: the logged value is the propensity
            given the session's tie draw. NaN (only when the request's
            :attr:`SlateRequest.propensities` is ``False``) marks a randomized
            placement whose value was not computed; it is never written to a log.
        versions: Optional ``{stage: model version}`` of the models that served the
            batch (e.g. ``{"retrieval": 3, "ranker": 7}`` for a pipeline). The engine
            copies them onto every impression of the batch (:attr:`Feedback.versions`)
            and into the impression log as ``version_<stage>`` columns. ``None``: not
            logged.
        constructed: Set only by :meth:`by_construction`, for loopsim's built-in
            selectors: the ``items`` array they vouch is drawn from the candidates
            without repeats, so the engine checks its type, shape and propensities but
            skips the per-row id and repeat checks. Leave it off in a policy of your
            own (``Slates(items, ...)``): its slates are then validated in full. It
            counts only while it *is* ``items`` (:attr:`is_constructed`): slates
            rebuilt with another ``items`` (e.g. ``dataclasses.replace``) are checked
            in full again.
        fixed_columns: With ``constructed``: the first ``fixed_columns`` columns hold
            the same set of ids in every row (in any order, e.g. a greedy head whose
            tied runs are permuted per session), so the engine counts their exposure
            once for the batch instead of row by row. ``0`` (the default): no such
            columns. Ignored without ``constructed``.
    """

    items: np.ndarray
    propensities: np.ndarray | None = None
    versions: Mapping[str, int] | None = None
    #: The ``items`` array a built-in selector made correct by construction
    #: (:meth:`by_construction`); the engine then skips its per-row id and repeat checks.
    #: Any other ``items`` (e.g. after ``dataclasses.replace``) is checked as usual.
    constructed: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: With :attr:`constructed`: the first ``fixed_columns`` columns hold the same ids in
    #: every row (in any order), so the engine counts their exposure once.
    fixed_columns: int = field(default=0, repr=False, compare=False)

    @classmethod
    def by_construction(cls, items: np.ndarray, propensities: np.ndarray | None = None,
                        versions: Mapping[str, int] | None = None,
                        fixed_columns: int = 0) -> Slates:
        """Slates whose rows are correct by construction (built-in selectors only).

        For loopsim's own selectors, whose rows are drawn from ``request.candidates``
        without repeats by construction (e.g. a ranked head with its ties drawn per
        session): the engine checks their type and shape but not every row's ids and
        repeats again. A policy of your own should return ``Slates(items, ...)``, which
        the engine checks in full. ``fixed_columns``: the first columns hold the same set
        of ids in every row (a head's ids above the cut, tied runs permuted per row).
        """
        return cls(items, propensities, versions, constructed=items,
                   fixed_columns=fixed_columns)

    @property
    def is_constructed(self) -> bool:
        """True when :attr:`items` is the array vouched for by :meth:`by_construction`."""
        return self.constructed is not None and self.constructed is self.items

    @property
    def is_shared(self) -> bool:
        """True when every row is the same view of one row (a broadcast slate)."""
        return self.items.ndim == 2 and self.items.shape[0] > 0 and self.items.strides[0] == 0


@dataclass(frozen=True)
class Feedback:
    """Logged feedback, one row per impression (columnar).

    Attributes:
        t: ``(N,)`` float64 session times, in days.
        user: ``(N,)`` int64 user ids.
        item: ``(N,)`` int64 item ids.
        rank: ``(N,)`` int16 1-based rank at which the item was shown.
        click: ``(N,)`` bool, whether the impression was clicked.
        reward: ``(N,)`` float32 conversion value (rating, download...); equals
            ``click`` under click models without a conversion step.
        propensity: ``(N,)`` float32 probability that the item was placed at that rank
            (1.0 for a deterministic policy and for organic rows; NaN for a randomized
            placement whose value was not computed because nothing reads it: see
            :attr:`SlateRequest.propensities`; test randomization with
            ``~(propensity >= 1)``).
        source: ``(N,)`` int8 where the row comes from: :data:`RECOMMENDED` (0, a
            slate the policy served) or :data:`ORGANIC` (1, an item the user found on
            their own: search, browsing, links; logged with ``rank == 0``,
            ``click == True``). A policy may learn from organic rows or ignore them;
            position-aware and impression-based estimators must skip them.
        versions: Optional ``{stage: (N,) int64}`` model version of each stage that
            served the row (from :attr:`Slates.versions`); ``-1`` where a row was served
            without that stage's version. ``None`` when no served batch had versions.
        totals: Set by the engine on the batches it serves: the per-item counts of the
            rows (:class:`~loopsim.simulator.contract.item_totals.ItemTotals`), which it
            has already, so that :meth:`item_totals` need not count them again. They
            count only while the batch's ``item``, ``click`` and ``source`` are the
            arrays they were counted from. Leave it ``None`` in feedback of your own.
    """

    t: np.ndarray
    user: np.ndarray
    item: np.ndarray
    rank: np.ndarray
    click: np.ndarray
    reward: np.ndarray
    propensity: np.ndarray
    versions: Mapping[str, np.ndarray] | None = None
    # A factory, not a default: no class attribute, so JoinedFeedback joins it lazily.
    source: np.ndarray | None = field(default_factory=lambda: None)
    totals: ItemTotals | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.source is None:  # recommended rows unless told otherwise
            object.__setattr__(self, "source", np.zeros(self.item.shape[0], dtype=np.int8))

    @property
    def recommended(self) -> np.ndarray:
        """``(N,)`` bool mask of the rows served by the policy (not organic)."""
        return self.source == RECOMMENDED

    def __len__(self) -> int:
        return int(self.item.shape[0])

    def item_totals(self) -> ItemTotals:
        """Per-item counts of the rows: all rows, clicked rows and organic rows by item id.

        The engine's :attr:`totals` when they still describe the columns, else counted
        from ``item``, ``click`` and ``source`` (``np.bincount``). Read-only: do not
        write into the arrays.
        """
        totals = self.totals
        if totals is not None and totals.describes(self.item, self.click, self.source):
            return totals
        return ItemTotals.of_columns(self.item, self.click, self.source)

    @classmethod
    def empty(cls) -> Feedback:
        """A feedback batch with no rows (the policy must accept it in ``update``)."""
        return cls(**{name: np.empty(0, dtype=dt) for name, dt in _FEEDBACK_DTYPES.items()})

    @classmethod
    def concat(cls, batches: Sequence[Feedback]) -> Feedback:
        """Concatenate batches row-wise, in order."""
        if not batches:
            return cls.empty()
        if len(batches) == 1:
            return batches[0]
        columns = {name: np.concatenate([getattr(b, name) for b in batches])
                   for name in FEEDBACK_COLUMNS}
        return cls(**columns, versions=join_versions(batches))

    @classmethod
    def from_slates(
        cls,
        times: np.ndarray,
        users: np.ndarray,
        slates: Slates,
        clicks: np.ndarray,
        rewards: np.ndarray,
        totals: ItemTotals | None = None,
    ) -> Feedback:
        """Flatten a served batch (``B`` sessions × ``k`` ranks) into impression rows.

        ``totals``: the batch's per-item counts when the caller has them (the engine);
        they are bound to the new columns (:attr:`totals`), whose ``item`` and ``click``
        are then read-only: a policy that wrote into them would make the totals lie, so
        the write raises instead.
        """
        b, k = slates.items.shape
        propensity = (
            constant(1.0, np.float32, b * k)
            if slates.propensities is None
            else np.asarray(slates.propensities, dtype=np.float32).reshape(-1)
        )
        item = np.ascontiguousarray(slates.items, dtype=np.int64).reshape(-1)
        click = np.asarray(clicks, dtype=np.bool_).reshape(-1)
        if totals is not None:  # counted columns: written in place, the totals would lie
            item = item.view()
            click = click.view()
            item.flags.writeable = False
            click.flags.writeable = False
        source = constant(RECOMMENDED, np.int8, b * k)
        columns = {
            "item": item,
            "rank": ranks(k, b),
            "click": click,
            "reward": np.asarray(rewards, dtype=np.float32).reshape(-1),
            "propensity": propensity,
            "versions": None if slates.versions is None else {
                stage: np.full(b * k, int(v), dtype=np.int64)
                for stage, v in slates.versions.items()},
            "source": source,
            "totals": None if totals is None else replace(totals,
                                                          columns=(item, click, source)),
        }
        if cls is not Feedback:  # a subclass gets every column at once
            return cls(t=np.repeat(np.asarray(times, dtype=np.float64), k),
                       user=np.repeat(np.asarray(users, dtype=np.int64), k), **columns)
        # Copies (np.array): the columns are made later, from what the arrays hold now.
        return _ServedFeedback.of(np.array(times, dtype=np.float64),
                                  np.array(users, dtype=np.int64), k, columns)

    def select(self, mask: np.ndarray) -> Feedback:
        """The rows where ``mask`` is true."""
        versions = None if self.versions is None else {
            stage: v[mask] for stage, v in self.versions.items()}
        return Feedback(**{name: getattr(self, name)[mask] for name in FEEDBACK_COLUMNS},
                        versions=versions)


class _ServedFeedback(Feedback):
    """A served batch (:meth:`Feedback.from_slates`) whose ``t`` and ``user`` columns are
    each session's value repeated ``k`` times, made when first read.

    Nothing in the loop reads them for a count-based policy (the engine keeps the
    sessions' own arrays), so the two ``(B * k,)`` copies are made only for a reader:
    a policy that uses them, the impression log, a join of batches. It copies, pickles,
    joins and prints (as ``Feedback(...)``) like the :class:`Feedback` with every column
    made; the session arrays it keeps are its own copies.
    """

    @classmethod
    def of(cls, times: np.ndarray, users: np.ndarray, k: int,
           columns: dict[str, object]) -> Feedback:
        """The batch of ``(B,)`` session ``times`` and ``users`` and the other ``columns``."""
        out = object.__new__(cls)
        for name, value in columns.items():
            object.__setattr__(out, name, value)
        object.__setattr__(out, "_sessions", (times, users, k))
        return out

    def __repr__(self) -> str:
        """The plain :class:`Feedback`'s repr (this class is an implementation detail)."""
        return "Feedback" + super().__repr__()[len(type(self).__qualname__):]

    def __getattr__(self, name: str) -> object:
        # Only called when normal lookup fails: ``t`` or ``user`` not made yet.
        sessions = self.__dict__.get("_sessions")
        if name not in ("t", "user") or sessions is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        times, users, k = sessions
        column = np.repeat(times if name == "t" else users, k)
        object.__setattr__(self, name, column)
        return column


def join_versions(batches: Sequence[Feedback]) -> dict[str, np.ndarray] | None:
    """The ``versions`` of batches joined row-wise; ``-1`` where a batch lacks a stage."""
    stages: dict[str, None] = {}
    for b in batches:
        stages.update(dict.fromkeys(b.versions or ()))
    if not stages:
        return None
    return {stage: np.concatenate([
        np.asarray(b.versions[stage], dtype=np.int64) if b.versions and stage in b.versions
        else np.full(len(b), -1, dtype=np.int64) for b in batches]) for stage in stages}


_FEEDBACK_DTYPES: dict[str, type] = {
    "t": np.float64,
    "user": np.int64,
    "item": np.int64,
    "rank": np.int16,
    "click": np.bool_,
    "reward": np.float32,
    "propensity": np.float32,
    "source": np.int8,
}


RECOMMENDED = 0


ORGANIC = 1


FEEDBACK_COLUMNS: tuple[str, ...] = tuple(_FEEDBACK_DTYPES)


__all__ = ["FEEDBACK_COLUMNS", "ORGANIC", "RECOMMENDED", "Feedback", "SlateRequest", "Slates",
           "join_versions"]
