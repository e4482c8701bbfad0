"""Retrieval stages without an index: an estimator's top ``n``, random, a user's own class,
and a stage that switches model at a given time.
"""

from __future__ import annotations

import numpy as np
from loopsim.policies.estimators.counts import ClickCount
from loopsim.policies.pipeline.stage_checks import check_pool_size
from loopsim.policies.selectors.ranked import TopList
from loopsim.policies.selectors.topk import sample_rows_without_replacement
from loopsim.simulator.contract.batches import Feedback, SlateRequest
from loopsim.simulator.contract.estimator import Estimator
from loopsim.simulator.contract.retrieval import Pool, RetrievalStage
from loopsim.simulator.params.component_schema import PositiveInt

__all__ = ["ClassRetrieval", "EstimatorRetrieval", "RandomRetrieval", "SwitchedRetrieval"]


class EstimatorRetrieval:
    """The top ``n`` candidates by an estimator: popularity, CTR, the oracle, mf...

    A global estimator gives one pool per model version, shared by every session,
    except for the items tied at the ``n``-th place, drawn at random per session (so
    the first, all-tied pool is not one draw for everyone); a personalized one
    scores the whole catalogue per user (exact, and as slow as whole-catalogue
    scoring: use :class:`~.EmbeddingRetrieval` for speed).

    Args:
        n: Candidates per session.
        estimator: Whose scores pick the pool (default: click counts, i.e. popularity).
    """

    def __init__(self, n: PositiveInt = 200, estimator: Estimator | None = None) -> None:
        self.n = n
        self.estimator = estimator if estimator is not None else ClickCount()
        self._top = TopList()

    @property
    def version(self) -> int:
        """The estimator's version."""
        return int(self.estimator.version)

    def retrieve(self, request: SlateRequest) -> Pool:
        """The estimator's top ``n`` of the candidates (shared when global and untied)."""
        n = check_pool_size("retrieval", self.n, request)
        items = self._top.get(request, self.estimator, n)
        # One pool for everyone only when nothing ties at the cut (a broadcast row);
        # tied candidates are drawn per session, as in every ranking stage.
        return Pool(items, shared=items.ndim == 2 and items.strides[0] == 0)

    def update(self, feedback: Feedback) -> None:
        """Train the estimator."""
        self.estimator.update(feedback)

    def parts(self) -> tuple[object, ...]:
        """The estimator (an oracle receives the truth from the engine)."""
        return (self.estimator,)

    def __repr__(self) -> str:
        return f"EstimatorRetrieval(n={self.n}, estimator={self.estimator!r})"


class RandomRetrieval:
    """``n`` candidates drawn uniformly without replacement for every session.

    Every available item is in a session's pool with probability ``n / M``
    (``M`` candidates), reported as the pool's ``inclusion``. Learns nothing.

    Args:
        n: Candidates per session.
    """

    version = 0

    def __init__(self, n: PositiveInt = 200) -> None:
        self.n = n

    def retrieve(self, request: SlateRequest) -> Pool:
        """Uniform random ``n``-subsets of the candidates, one per session."""
        n = check_pool_size("retrieval", self.n, request)
        m = request.candidates.size
        idx = sample_rows_without_replacement(request.rng, m, request.batch_size, n)
        return Pool(request.candidates[idx], shared=False, inclusion=n / m)

    def update(self, feedback: Feedback) -> None:
        """Nothing to learn."""

    def __repr__(self) -> str:
        return f"RandomRetrieval(n={self.n})"


class ClassRetrieval:
    """The most popular items of the user's own class (cluster-based candidates).

    Classes come from an embedding estimator (``user_factors`` / ``item_factors``, e.g.
    :class:`~loopsim.policies.estimators.ImplicitMF`): the class of a user or an item is the
    signed axis of its largest factor (``2 f`` classes). A user's pool is the ``n``
    items of the user's class with the most clicks, completed by the most clicked items
    of the other classes when the class holds fewer than ``n``.

    Args:
        n: Candidates per session.
        estimator: The embedding model (its factors define the classes).
    """

    personalized = True

    def __init__(self, n: int = 200, estimator: Estimator | None = None) -> None:
        self.n = n
        if estimator is None:
            from loopsim.policies.estimators.mf import ImplicitMF
            estimator = ImplicitMF()
        self.estimator = estimator
        self._clicks = ClickCount()
        self._cache: tuple[tuple[int, int], np.ndarray, np.ndarray] | None = None

    @property
    def version(self) -> int:
        """The embedding model's version."""
        return int(self.estimator.version)

    @staticmethod
    def _classes(factors: np.ndarray) -> np.ndarray:
        axis = np.argmax(np.abs(factors), axis=1)
        sign = factors[np.arange(factors.shape[0]), axis] < 0
        return 2 * axis + sign

    def _pools(self, request: SlateRequest, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Per class, its pool of ``n`` ids (cached per model version and catalogue)."""
        key = (self.version, self._clicks.version)
        if self._cache is not None and self._cache[0] == key \
                and self._cache[1] is request.candidates:
            return self._cache[1], self._cache[2]
        cands = request.candidates
        item_class = self._classes(self.estimator.item_factors(cands))
        clicks = self._clicks.scores(cands)
        order = np.lexsort((request.rng.random(cands.size), -clicks))  # random among ties
        n_classes = 2 * int(self.estimator.item_factors(cands[:1]).shape[1])
        pools = np.empty((n_classes, n), dtype=np.int64)
        for c in range(n_classes):
            own = order[item_class[order] == c][:n]
            rest = order[item_class[order] != c][: n - own.size]
            pools[c] = cands[np.concatenate([own, rest])]
        self._cache = (key, cands, pools)
        return cands, pools

    def retrieve(self, request: SlateRequest) -> Pool:
        """Each session's pool: its user's class."""
        n = check_pool_size("retrieval", self.n, request)
        _, pools = self._pools(request, n)
        user_class = self._classes(self.estimator.user_factors(request.users))
        return Pool(pools[user_class], shared=False)

    def parts(self) -> tuple[object, ...]:
        """The embedding model."""
        return (self.estimator,)

    def update(self, feedback: Feedback) -> None:
        """Train the embedding model and the click counts."""
        self.estimator.update(feedback)
        self._clicks.update(feedback)

    def __repr__(self) -> str:
        return f"ClassRetrieval(n={self.n}, estimator={self.estimator!r})"


class SwitchedRetrieval:
    """One retrieval stage until ``at`` days, another after (an upstream model upgrade).

    Both stages are trained on the stage's training data from the start (the new model
    is developed offline on the same log), so at the switch the new one is ready. The
    version jumps at the switch: impressions served after it carry a version above any
    of the old stage's.

    Args:
        before: The stage serving until ``at``.
        after: The stage serving from ``at`` on.
        at: Simulated day of the switch.
    """

    def __init__(self, before: RetrievalStage, after: RetrievalStage, at: float = 10.0) -> None:
        self.before = before
        self.after = after
        self.at = at
        self._now = 0.0
        self._offset: int | None = None

    @property
    def n(self) -> int:  # type: ignore[override]
        """Candidates per session of the stage now serving."""
        return self.active.n

    @property
    def active(self) -> RetrievalStage:
        """The stage now serving."""
        return self.after if self._now >= self.at else self.before

    @property
    def version(self) -> int:
        """The serving stage's version; after the switch, offset past the old one's."""
        if self._now < self.at:
            return int(self.before.version)
        if self._offset is None:
            self._offset = int(self.before.version) + 1
        return self._offset + int(self.after.version)

    def retrieve(self, request: SlateRequest) -> Pool:
        """The pool of the stage serving at ``request.t``."""
        self._now = max(self._now, float(request.t))
        return self.active.retrieve(request)

    def update(self, feedback: Feedback) -> None:
        """Train both stages."""
        self.before.update(feedback)
        self.after.update(feedback)

    def parts(self) -> tuple[object, ...]:
        """Both stages (their oracles receive the truth from the engine)."""
        return (self.before, self.after)

    def __repr__(self) -> str:
        return f"SwitchedRetrieval(before={self.before!r}, after={self.after!r}, at={self.at})"
