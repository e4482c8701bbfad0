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
* :class:`UsesItemAttributes` -- ``needs_item_attributes`` and
  ``use_item_attributes(catalogue)``: a part that reads the catalogue's observable
  metadata (a content model); when it needs it, the engine hands it an
  :class:`~loopsim.simulator.contract.catalogue.ItemCatalogue` once at start, or stops
  with a ``ConfigError`` naming ``world.item_attributes`` when the world gives none;
* :class:`HasPosterior` -- ``posterior(items)``: an estimator's Beta posterior (what
  Thompson sampling and UCB need; checked when such a selector is composed);
* :class:`Composite` -- ``parts()``: the components a policy is made of (an estimator and
  a selector, pipeline stages); the engine checks each part for ``ReportsMetrics``,
  ``UsesGroundTruth`` and ``UsesPolicyStream`` too;
* :class:`DeclaresPropensities` -- ``propensity_kind()``: how the logged propensities
  are computed (``"exact"``, ``"approximate (...)"``, ``"unknown"``); the run records
  it in ``summary.json`` (:func:`propensity_kind`) and ``loopsim-ope`` refuses logs
  whose propensities are approximate;
* :class:`ReadsPropensities` -- ``reads_propensities()``: whether the part reads the
  values of ``Feedback.propensity``; the engine computes no propensity that nothing
  reads (:func:`reads_propensities`, :attr:`SlateRequest.propensities`).

The world's optional hooks are in :mod:`loopsim.simulator.contract.world`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.contract.world import GroundTruth

__all__ = [
    "EXACT",
    "UNKNOWN",
    "Composite",
    "DeclaresPropensities",
    "RankingPolicy",
    "ReportsMetrics",
    "ScoresItems",
    "ExposesRankerFeatures",
    "FitsRankerPerUser",
    "ServesPools",
    "UsesGroundTruth",
    "UsesItemAttributes",
    "UsesPolicyStream",
    "components",
    "propensity_kind",
    "reads_propensities",
    "ReadsPropensities",
]


#: ``Feedback.source`` of a row served by the policy.
#: ``Feedback.source`` of an organic row: an item the user found outside the recommender.


#: The array columns of :class:`Feedback` (``versions`` aside), in order.


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
class ExposesRankerFeatures(Protocol):
    """Optional, with :class:`ServesPools`: a ranker that learns from an upstream's outputs.

    ``ranker_features(users, pools)`` returns the upstream's outputs and the ranker's
    inputs for each pool item; the loop fits the truth on them to split the regret into
    upstream, ranker approximation and ranker estimation errors (Wu et al. 2021;
    :mod:`loopsim.simulator.metrics.decomposition`). It returns features only: the
    truth never reaches the policy.
    """

    def ranker_features(self, users: np.ndarray,
                        pools: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``((B, n, p), (B, n, d))``: the upstream's outputs (a constant column
        included) and the ranker's inputs, for ``pools[b, j]`` and ``users[b]``."""
        ...


@runtime_checkable
class FitsRankerPerUser(Protocol):
    """Optional, with :class:`ExposesRankerFeatures`: whether the ranker's model class is
    linear in its inputs *per user* (weights of its own for each user). The loop then fits
    the decomposition's references per session (each session is one user), read once at
    start."""

    @property
    def ranker_per_user(self) -> bool:
        """True when the ranker fits weights per user."""
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
class UsesItemAttributes(Protocol):
    """Optional: a part that reads the catalogue's observable metadata (item attributes
    and genres), e.g. an upstream whose item side is a map of the attributes.

    When the run starts the engine reads ``needs_item_attributes``; if true, it calls
    ``use_item_attributes`` once with a read-only
    :class:`~loopsim.simulator.contract.catalogue.ItemCatalogue` (attributes and genres
    by item id, never the truth), or stops with a ``ConfigError`` naming
    ``world.item_attributes`` when the world gives no attributes.
    """

    @property
    def needs_item_attributes(self) -> bool:
        """Whether this part, as configured, reads the catalogue's metadata."""
        ...

    def use_item_attributes(self, catalogue: object) -> None:
        """Receive the catalogue's metadata (an ``ItemCatalogue``)."""
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


#: Propensity kinds: exact to the stated tolerance of the component, or unknown.
#: Anything else must start with ``"approximate"`` and say how (e.g.
#: ``"approximate (Monte Carlo, M=200)"``).
EXACT, UNKNOWN = "exact", "unknown"


@runtime_checkable
class DeclaresPropensities(Protocol):
    """Optional hook of a policy or a part: how its logged propensities are computed.

    Every built-in selector declares it. A user's policy that logs propensities should
    too: a policy (or part) without it is recorded as ``"unknown"``, which
    ``loopsim-ope`` accepts; ``"approximate ..."`` it refuses.
    """

    def propensity_kind(self) -> str:
        """``"exact"``, ``"unknown"`` or ``"approximate (<how>)"``."""
        ...


def propensity_kind(policy: object) -> str:
    """The run's propensity provenance, from the policy and its parts.

    The first part that declares an approximate or unknown kind decides; otherwise
    ``"exact"`` when at least one part declares it, ``"unknown"`` when none does.
    """
    declared = [str(p.propensity_kind()) for p in components(policy)
                if isinstance(p, DeclaresPropensities)]
    for kind in declared:
        if kind != EXACT:
            return kind
    return EXACT if declared else UNKNOWN


@runtime_checkable
class ReadsPropensities(Protocol):
    """Optional hook of a policy or a part: whether it reads ``Feedback.propensity``.

    The engine computes no propensity that nothing reads
    (:attr:`~loopsim.simulator.contract.batches.SlateRequest.propensities`). A part
    from outside loopsim that does not declare this hook is assumed to read them; a
    loopsim part is assumed not to (the built-in estimators only test whether a row was
    randomized, and NaN counts as randomized) unless it declares otherwise.
    """

    def reads_propensities(self) -> bool:
        """``True`` when the part reads the values of ``Feedback.propensity``."""
        ...


def reads_propensities(policy: object) -> bool:
    """Whether any part of ``policy`` may read the values of ``Feedback.propensity``.

    A part that declares :class:`ReadsPropensities` decides for itself; any other part
    whose class is defined outside the ``loopsim`` package is assumed to read them, so
    a policy of your own always receives computed values unless it says it does not.
    """
    for part in components(policy):
        if isinstance(part, ReadsPropensities):
            if part.reads_propensities():
                return True
        elif not type(part).__module__.startswith("loopsim."):
            return True
    return False


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
