"""The policy contract: the one interface a user implements to plug in a ranking policy.

All data crossing the contract is columnar and batched: frozen dataclasses of numpy
arrays, never one Python object per impression.

* :class:`SlateRequest` -- what the engine asks: rank ``k`` items for each of ``B`` users.
* :class:`Slates` -- what the policy answers: ``(B, k)`` item ids and their propensities.
* :class:`Feedback` -- what the policy learns from: one row per impression.
* :class:`RankingPolicy` -- ``rank`` and ``update``, optionally ``item_scores``.

Optional hooks of a policy, each a runtime-checkable :class:`typing.Protocol` that the
engine checks once when the run starts (never looked up inside the loop):

* :class:`ScoresItems` -- ``item_scores(items)``: the policy's current belief, for the
  ranking-recovery metrics;
* :class:`ReportsMetrics` -- ``policy_metrics()``: extra values (e.g. an estimated
  examination curve) recorded at every snapshot as ``policy_<name>``;
* :class:`UsesGroundTruth` -- ``use_ground_truth(truth)``: the oracle, the only kind of
  component handed the world's truth;
* :class:`UsesPolicyStream` -- ``use_policy_stream(rng)``: a component that draws outside
  ``rank`` (mf's initial factors), handed a child of the run's policy stream;
* :class:`HasPosterior` -- ``posterior(items)``: an estimator's Beta posterior (what
  Thompson sampling and UCB need; checked when such a selector is composed);
* :class:`Composite` -- ``parts()``: the components a policy is made of (an estimator and
  a selector, pipeline stages); the engine checks each part for ``ReportsMetrics``,
  ``UsesGroundTruth`` and ``UsesPolicyStream`` too.

The world's optional hooks are in :mod:`loopsim.simulator.world.base`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from loopsim.simulator.loop.constant_columns import constant, ranks

__all__ = [
    "Composite",
    "Feedback",
    "GroundTruth",
    "HasPosterior",
    "RankingPolicy",
    "ReportsMetrics",
    "ScoresItems",
    "ServesPools",
    "SlateRequest",
    "Slates",
    "UsesGroundTruth",
    "UsesPolicyStream",
    "HOOKS",
    "components",
    "hooks_of",
]


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
    """

    t: float
    users: np.ndarray
    candidates: np.ndarray
    k: int
    rng: np.random.Generator

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
            softmax, uniform) or, for Thompson sampling, whose marginals have no
            closed form, a Monte-Carlo estimate from the same posterior
            (``(count + 1) / (M + 1)`` over ``M = policy.selector.propensity_draws`` posterior
            slates per model version). Random tie-breaking among exactly equal scores
            is not counted as randomization: the logged value is the propensity
            given the session's tie draw.
        versions: Optional ``{stage: model version}`` of the models that served the
            batch (e.g. ``{"retrieval": 3, "ranker": 7}`` for a pipeline). The engine
            copies them onto every impression of the batch (:attr:`Feedback.versions`)
            and into the impression log as ``version_<stage>`` columns. ``None``: not
            logged.
    """

    items: np.ndarray
    propensities: np.ndarray | None = None
    versions: Mapping[str, int] | None = None

    @property
    def is_shared(self) -> bool:
        """True when every row is the same view of one row (a broadcast slate)."""
        return self.items.ndim == 2 and self.items.shape[0] > 0 and self.items.strides[0] == 0


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

#: ``Feedback.source`` of a row served by the policy.
RECOMMENDED = 0
#: ``Feedback.source`` of an organic row: an item the user found outside the recommender.
ORGANIC = 1


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
            (1.0 for a deterministic policy and for organic rows).
        source: ``(N,)`` int8 where the row comes from: :data:`RECOMMENDED` (0, a
            slate the policy served) or :data:`ORGANIC` (1, an item the user found on
            their own: search, browsing, links; logged with ``rank == 0``,
            ``click == True``). A policy may learn from organic rows or ignore them;
            position-aware and impression-based estimators must skip them.
        versions: Optional ``{stage: (N,) int64}`` model version of each stage that
            served the row (from :attr:`Slates.versions`); ``-1`` where a row was served
            without that stage's version. ``None`` when no served batch had versions.
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

    def __post_init__(self) -> None:
        if self.source is None:  # recommended rows unless told otherwise
            object.__setattr__(self, "source", np.zeros(self.item.shape[0], dtype=np.int8))

    @property
    def recommended(self) -> np.ndarray:
        """``(N,)`` bool mask of the rows served by the policy (not organic)."""
        return self.source == RECOMMENDED

    def __len__(self) -> int:
        return int(self.item.shape[0])

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
    ) -> Feedback:
        """Flatten a served batch (``B`` sessions × ``k`` ranks) into impression rows."""
        b, k = slates.items.shape
        propensity = (
            constant(1.0, np.float32, b * k)
            if slates.propensities is None
            else np.asarray(slates.propensities, dtype=np.float32).reshape(-1)
        )
        return cls(
            t=np.repeat(np.asarray(times, dtype=np.float64), k),
            user=np.repeat(np.asarray(users, dtype=np.int64), k),
            item=np.ascontiguousarray(slates.items, dtype=np.int64).reshape(-1),
            rank=ranks(k, b),
            click=np.asarray(clicks, dtype=np.bool_).reshape(-1),
            reward=np.asarray(rewards, dtype=np.float32).reshape(-1),
            propensity=propensity,
            versions=None if slates.versions is None else {
                stage: np.full(b * k, int(v), dtype=np.int64)
                for stage, v in slates.versions.items()},
            source=constant(RECOMMENDED, np.int8, b * k),
        )

    def select(self, mask: np.ndarray) -> Feedback:
        """The rows where ``mask`` is true."""
        versions = None if self.versions is None else {
            stage: v[mask] for stage, v in self.versions.items()}
        return Feedback(**{name: getattr(self, name)[mask] for name in FEEDBACK_COLUMNS},
                        versions=versions)


#: The array columns of :class:`Feedback` (``versions`` aside), in order.
FEEDBACK_COLUMNS: tuple[str, ...] = tuple(_FEEDBACK_DTYPES)


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


@runtime_checkable
class RankingPolicy(Protocol):
    """A ranking policy: the class a user writes to plug into the simulator.

    Constructors should only store parameters (no training, no random draws): state
    appears on first use, so a policy can be built from a config and checked cheaply.
    """

    def rank(self, request: SlateRequest) -> Slates:
        """Return a slate of ``request.k`` distinct candidates for each user of the batch."""
        ...

    def update(self, feedback: Feedback) -> None:
        """Learn from feedback that has reached the training log (may be empty)."""
        ...


@runtime_checkable
class ScoresItems(Protocol):
    """Optional: a policy that can say what it currently believes about items.

    Used only for ranking-recovery metrics (``tau_scores``, ``precision_at_k_scores``).
    """

    def item_scores(self, items: np.ndarray) -> np.ndarray:
        """Return a ``(len(items),)`` float score per item id; higher is better."""
        ...


@runtime_checkable
class ReportsMetrics(Protocol):
    """Optional: a policy that reports values of its own in the metrics.

    At every snapshot the engine calls ``policy_metrics()`` and records each entry as
    the metric ``policy_<name>`` (e.g. ``policy_exam_ratio_2``, an estimated
    examination ratio ``e(2) / e(1)``). Keep it cheap: it runs once per snapshot.
    """

    def policy_metrics(self) -> dict[str, float]:
        """Return ``{name: value}``; names without the ``policy_`` prefix."""
        ...


@runtime_checkable
class ServesPools(Protocol):
    """Optional: a multi-stage policy (retrieval, then ranking) that shows its pools.

    The engine checks for it once per run. After every ``rank`` it reads
    ``last_pools()`` and measures the stages against the truth (pool recall of the true
    best items, the ranker's regret within the pool, the pool's concentration:
    :mod:`loopsim.simulator.metrics.pools`); at every snapshot it records
    ``stage_metrics()`` under their own names (``retrieval_recall_window``,
    ``version_retrieval``...).
    """

    def last_pools(self) -> np.ndarray | None:
        """``(B, n)`` candidate ids of each session of the last ``rank`` call."""
        ...

    def stage_metrics(self) -> dict[str, float]:
        """Truth-free per-stage values of the window since the last call."""
        ...


@runtime_checkable
class GroundTruth(Protocol):
    """The world's truth, as exposed to metrics (and to oracle baselines only)."""

    @property
    def is_global(self) -> bool:
        """True when relevance does not depend on the user (everyone agrees)."""
        ...

    @property
    def version(self) -> int:
        """Counter that changes whenever relevance may have changed (drift, new items)."""
        ...

    def relevance(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` probability that each user clicks each item once examined."""
        ...

    def relevance_of_slates(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """``(B, k)`` relevance of ``slates[b, r]`` for ``users[b]``."""
        ...

    def true_value(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` the items' click probability once examined for a random *session*:
        relevance averaged over users weighted by their activity (sessions per day), as
        clicks are; its order is the true ranking."""
        ...


@runtime_checkable
class UsesPolicyStream(Protocol):
    """Optional: a policy whose state needs random draws outside ``rank`` (e.g. initial
    factors of a model trained in ``update``, which receives no generator).

    The engine calls it once, before the first request and the first update, on the
    policy or the part (:class:`Composite`) that declares it, with a child of the run's
    policy stream (``streams.policy.spawn(1)[0]``), so such draws
    differ between seeds and never come from a fixed seed or the global state.
    """

    def use_policy_stream(self, rng: np.random.Generator) -> None:
        """Receive the generator for draws made outside ``rank``."""
        ...


@runtime_checkable
class UsesGroundTruth(Protocol):
    """Optional: an oracle baseline that is handed the world's truth before the run.

    Only oracle baselines should implement this; the engine calls it once, before the
    first request, on the policy or the part (:class:`Composite`) that declares it.
    """

    def use_ground_truth(self, truth: GroundTruth) -> None:
        """Receive the read-only ground truth of the world."""
        ...


@runtime_checkable
class HasPosterior(Protocol):
    """Optional estimator hook: a Beta posterior of each item's CTR.

    Thompson sampling draws from it; UCB bounds it. ``ctr`` (clicks over impressions),
    ``coec`` and ``ips`` (rank-1 units) have it.
    """

    def posterior(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(alpha, beta)``, each ``(I,)``: the Beta posterior of each item's CTR."""
        ...


@runtime_checkable
class Composite(Protocol):
    """Optional: a policy made of parts (an estimator and a selector, pipeline stages).

    When the run starts, the engine walks the parts (recursively) and checks each for the
    optional hooks :class:`ReportsMetrics` and :class:`UsesGroundTruth`: an estimator that
    reports an examination curve has it recorded, the oracle estimator receives the
    truth, and no other part does.
    """

    def parts(self) -> Sequence[object]:
        """The components whose optional hooks the engine checks, in order."""
        ...


def components(policy: object) -> list[object]:
    """The policy followed by its parts, depth first (each object once)."""
    out: list[object] = []
    stack = [policy]
    while stack:
        part = stack.pop(0)
        if any(part is seen for seen in out):
            continue
        out.append(part)
        if isinstance(part, Composite):
            stack[:0] = list(part.parts())
    return out


#: The optional hooks a policy or a part may implement, by protocol (see the module doc).
HOOKS: dict[str, type] = {
    "item_scores": ScoresItems,
    "policy_metrics": ReportsMetrics,
    "use_ground_truth": UsesGroundTruth,
    "use_policy_stream": UsesPolicyStream,
    "posterior": HasPosterior,
    "parts": Composite,
}


def hooks_of(policy: object) -> dict[str, list[str]]:
    """Which optional hooks the policy and each of its parts implement.

    Returns:
        ``{"<ClassName>": [hook names]}`` for the policy and, recursively, its parts
        (``"<ClassName> (part)"``), in order.
    """
    out: dict[str, list[str]] = {}
    for i, part in enumerate(components(policy)):
        name = type(part).__name__ + ("" if i == 0 else " (part)")
        out[name] = [hook for hook, proto in HOOKS.items() if isinstance(part, proto)]
    return out
