"""A two-stage policy: a retrieval stage picks ``n`` candidates, a ranker orders them.

Each stage has its own model, its own version, its own training data and its own
retrain cadence. The engine hands the policy the log every ``retrain_interval``; the
pipeline keeps, per stage, the rows that stage has not been trained on yet and trains
it only when its own interval is due (on the grid ``interval, 2 interval, ...``; the
pipeline's clock is the latest request or feedback time it has seen). A stage can stop
training (``*_train_until``: a model kept as it is) and the ranker can be replaced by a
fresh copy trained only on the feedback served from a given day (``ranker_fresh_after``:
retrained on the new candidates). Every served batch carries both stages' versions
(``Slates.versions``), which the engine logs with each impression.

Propensities: when the retrieval stage is a deterministic function of its state
(top-``n`` of an estimator, nearest neighbours, a user's class) the pool is fixed given
the state and the ranker's propensities (exact for its selector) are exact for the
pipeline. When the pool is random (:class:`~.RandomRetrieval`), the marginal
probability of an item at a rank sums over pools: the pipeline then logs the pool's
inclusion probability times the ranker's propensity within the drawn pool, an unbiased
one-pool estimate of that marginal, not the marginal itself (exact only for a
uniform ranker, where it equals ``1 / M``).
"""

from __future__ import annotations

import copy
import math

import numpy as np
from loopsim.policies.composed import ComposedPolicy
from loopsim.policies.pipeline.pool_rank import PoolRanker
from loopsim.policies.pipeline.stage_checks import stage_error
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.contract.feedback_join import JoinedFeedback
from loopsim.simulator.contract.policy import UsesGroundTruth, components
from loopsim.simulator.contract.retrieval import Pool, RetrievalStage
from loopsim.simulator.contract.world import GroundTruth
from loopsim.simulator.params.component_schema import NonNegative, NonNegativeInt, Positive

__all__ = ["Pipeline", "StageSchedule"]

_EPS = 1e-9


class StageSchedule:
    """When a stage trains: every ``interval`` days (``None``: at every update), until
    ``until`` days (``None``: for ever); buffers the rows it has not been trained on."""

    def __init__(self, stage: str, interval: float | None, until: float | None) -> None:
        if interval is not None and not (isinstance(interval, (int, float))
                                         and interval > 0 and math.isfinite(interval)):
            raise stage_error(stage, f"`policy.{stage}_retrain_interval == {interval!r}` "
                              "must be a number of days > 0, or null.",
                              f"set policy.{stage}_retrain_interval to e.g. 0.5, or null "
                              "to train at every update the engine delivers.")
        self.stage = stage
        self.interval = interval
        self.until = until
        self.pending: list[Feedback] = []
        self.next_due = 0.0  # the first data trains at once, then on the grid
        self.trainings = 0

    def add(self, feedback: Feedback, now: float) -> Feedback | None:
        """Queue ``feedback``; the rows to train on now, or ``None`` when not due."""
        if self.until is not None and now > self.until + _EPS:
            self.pending = []
            return None
        if len(feedback):
            self.pending.append(feedback)
        if self.interval is not None and now < self.next_due - _EPS:
            return None
        if self.interval is not None:
            self.next_due = (math.floor(now / self.interval + _EPS) + 1) * self.interval
        if not self.pending:
            return None
        batch, self.pending = JoinedFeedback.join(self.pending), []
        self.trainings += 1
        return batch


class Pipeline:
    """Retrieval, then ranking: a :class:`~loopsim.simulator.RankingPolicy` of two stages.

    Args:
        retrieval: The first stage (e.g. :class:`~.EmbeddingRetrieval`): ``n``
            candidates per session.
        ranker: The second stage, an estimator under a selector; it sees only the pool.
        retrieval_retrain_interval: Days between retrainings of the retrieval stage
            (``None``: at every update of the policy).
        ranker_retrain_interval: Days between retrainings of the ranker (``None``: every
            update).
        retrieval_train_until: Day after which the retrieval model is kept as it is.
        ranker_train_until: Day after which the ranker is kept as it is.
        ranker_fresh_after: Day at which the ranker is replaced by an untrained copy of
            its initial state, then trained only on feedback served from that day.
        recall_sample: Sessions per batch on which the served top ``k`` is compared
            with the whole-catalogue top ``k`` of the ranker's own model
            (``served_recall_window``; 0: not measured).
        ranker_uses_retrieval_model: The ranker scores with the retrieval stage's own
            model (its ``estimator``), trained once, on the retrieval's schedule; the
            ranker's estimator is then not used. Its selector still ranks the pool.
    """

    def __init__(self, retrieval: RetrievalStage, ranker: ComposedPolicy,
                 retrieval_retrain_interval: Positive | None = None,
                 ranker_retrain_interval: Positive | None = None,
                 retrieval_train_until: NonNegative | None = None,
                 ranker_train_until: NonNegative | None = None,
                 ranker_fresh_after: NonNegative | None = None,
                 recall_sample: NonNegativeInt = 0,
                 ranker_uses_retrieval_model: bool = False) -> None:
        self.retrieval = retrieval
        self.ranker = ranker
        self.retrieval_retrain_interval = retrieval_retrain_interval
        self.ranker_retrain_interval = ranker_retrain_interval
        self.retrieval_train_until = retrieval_train_until
        self.ranker_train_until = ranker_train_until
        self.ranker_fresh_after = ranker_fresh_after
        self.recall_sample = recall_sample
        self.ranker_uses_retrieval_model = ranker_uses_retrieval_model
        self._state: dict | None = None

    # -- state, created on first use ---------------------------------------------------
    def _s(self) -> dict:
        if self._state is None:
            if self.ranker_uses_retrieval_model:
                model = getattr(self.retrieval, "estimator", None)
                if model is None:
                    raise stage_error(
                        "ranker", f"`ranker_uses_retrieval_model` is true but the retrieval "
                        f"stage {self.retrieval!r} has no model (`estimator`).",
                        "set policy.ranker_uses_retrieval_model=false.")
                self.ranker = ComposedPolicy(model, self.ranker.selector)
            self._state = {
                "now": 0.0,
                "retrieval": StageSchedule("retrieval", self.retrieval_retrain_interval,
                                           self.retrieval_train_until),
                "ranker": StageSchedule("ranker", self.ranker_retrain_interval,
                                        self.ranker_train_until),
                "pool_ranker": PoolRanker(self.ranker),
                "initial_ranker": (copy.deepcopy(self.ranker)
                                   if self.ranker_fresh_after is not None else None),
                "last": None, "recall": [0.0, 0], "served_recall": [0.0, 0], "truth": None,
            }
        return self._state

    @property
    def max_slate_size(self) -> int:
        """The largest slate the pipeline can fill: its retrieval's pool size."""
        return int(self.retrieval.n)

    @property
    def versions(self) -> dict[str, int]:
        """The model version of each stage now deployed."""
        return {"retrieval": int(self.retrieval.version),
                "ranker": int(self.ranker.estimator.version)}

    def _refresh_ranker(self, now: float) -> None:
        s = self._s()
        if s["initial_ranker"] is not None and now >= self.ranker_fresh_after - _EPS:
            self.ranker = copy.deepcopy(s["initial_ranker"])
            if s["truth"] is not None:
                for part in components(self.ranker):
                    if isinstance(part, UsesGroundTruth):
                        part.use_ground_truth(s["truth"])
            s["initial_ranker"] = None
            s["pool_ranker"] = PoolRanker(self.ranker)
            s["ranker"].pending = []

    # -- the contract ------------------------------------------------------------------
    def rank(self, request: SlateRequest) -> Slates:
        """Retrieve each session's pool, then rank it with the ranker."""
        s = self._s()
        s["now"] = max(s["now"], float(request.t))
        self._refresh_ranker(s["now"])
        pool = self.retrieval.retrieve(request)
        if not isinstance(pool, Pool):
            raise stage_error("retrieval", f"retrieve() returned {type(pool).__name__}.",
                              "return policies.pipeline.Pool(items, shared=...).")
        if pool.exact_recall is not None:
            s["recall"][0] += pool.exact_recall[0]
            s["recall"][1] += pool.exact_recall[1]
        slates = s["pool_ranker"].rank(request, pool)
        propensities = slates.propensities
        if pool.inclusion is not None:
            within = 1.0 if propensities is None else np.asarray(propensities)
            propensities = np.broadcast_to(pool.inclusion * within,
                                           (request.batch_size, request.k)).astype(np.float64)
        if self.recall_sample > 0:
            self._served_recall(request, slates.items)
        s["last"] = pool.items
        return Slates(slates.items, propensities, versions=self.versions)

    def update(self, feedback: Feedback) -> None:
        """Give each stage the rows it has not seen; train the stages that are due."""
        s = self._s()
        if len(feedback):
            s["now"] = max(s["now"], float(np.max(feedback.t)))
        self._refresh_ranker(s["now"])
        stages = [("retrieval", self.retrieval)]
        if not self.ranker_uses_retrieval_model:
            stages.append(("ranker", self.ranker))
        for name, stage in stages:
            batch = s[name].add(feedback, s["now"])
            if batch is not None:
                stage.update(batch)

    def parts(self) -> tuple[object, ...]:
        """The two stages: the engine hands the truth to the parts that declare it."""
        return (self.retrieval, self.ranker)

    def use_ground_truth(self, truth: GroundTruth) -> None:
        """Keep the truth for a fresh ranker (``ranker_fresh_after``) that may need it;
        the stages' own parts receive it from the engine (:meth:`parts`)."""
        self._s()["truth"] = truth

    # -- what the engine records -------------------------------------------------------
    def item_scores(self, items: np.ndarray) -> np.ndarray:
        """The ranker's population-level scores (for the ranking-recovery metrics)."""
        return self.ranker.item_scores(items)

    def last_pools(self) -> np.ndarray | None:
        """``(B, n)`` the pools of the last :meth:`rank` call (``None`` before any)."""
        return self._s()["last"]

    def stage_metrics(self) -> dict[str, float]:
        """Per-stage values of the window since the last call (then reset).

        ``retrieval_recall_window``: share of the exact top ``n`` of the retrieval
        model found by its approximate index (1 when the search is exact);
        ``served_recall_window``: share of the ranker model's whole-catalogue top ``k``
        in the served slates (when ``recall_sample > 0``); ``version_<stage>``.
        """
        s = self._s()
        out: dict[str, float] = {f"version_{k}": float(v) for k, v in self.versions.items()}
        total, count = s["recall"]
        index = getattr(self.retrieval, "_index", None)
        exact = index is not None and getattr(index, "kind", "") == "exact"
        if count:
            out["retrieval_recall_window"] = total / count
        elif exact:
            out["retrieval_recall_window"] = 1.0
        total, count = s["served_recall"]
        if count:
            out["served_recall_window"] = total / count
        s["recall"], s["served_recall"] = [0.0, 0], [0.0, 0]
        for name in ("retrieval", "ranker"):
            out[f"trainings_{name}"] = float(s[name].trainings)
        return out

    def _served_recall(self, request: SlateRequest, items: np.ndarray) -> None:
        """Served top ``k`` against the ranker model's top ``k`` over the whole catalogue."""
        s = self._s()
        est, cands, k = self.ranker.estimator, request.candidates, request.k
        rows = request.rng.choice(request.batch_size, min(self.recall_sample,
                                                          request.batch_size), replace=False)
        if est.personalized:
            scores = est.user_scores(request.users[rows], cands)
        else:
            scores = np.broadcast_to(est.scores(cands), (rows.size, cands.size))
        kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1: k]
        served = np.take_along_axis(scores, np.searchsorted(cands, items[rows]), axis=1)
        s["served_recall"][0] += float(np.minimum((served >= kth).sum(axis=1), k).sum() / k)
        s["served_recall"][1] += rows.size

    def __repr__(self) -> str:
        return f"Pipeline(retrieval={self.retrieval!r}, ranker={self.ranker!r})"
