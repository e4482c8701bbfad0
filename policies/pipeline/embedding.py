"""Embedding nearest-neighbour retrieval: the top ``n`` items by inner product of factors.

The embeddings come from a model with ``user_factors`` / ``item_factors`` (e.g.
:class:`~loopsim.policies.estimators.ImplicitMF`). The item index is rebuilt whenever the model's
version or the catalogue changes, so it always follows the model that is deployed (new
items without an embedding are only appended to it: they are never indexed).
Small catalogues (below ``exact_below`` items) are searched exactly; large ones with an
approximate inverted-file index (faiss), whose recall against the exact top ``n`` is
measured on ``recall_sample`` sessions per batch (the ``retrieval_recall_window``
metric). The index's cells (a k-means of the item factors) are retrained at model
versions 1, 2, 4, 8... and reused in between (only the items are re-assigned), as a
production index is re-clustered less often than it is refreshed. Before the model's
first version every item scores 0: the pool is then ``n`` items drawn at random per
session (ties broken at random).
"""

from __future__ import annotations

import numpy as np
from loopsim.policies.pipeline.index import ItemIndex
from loopsim.policies.pipeline.stage_checks import check_pool_size, stage_error
from loopsim.policies.selectors.topk import sample_rows_without_replacement
from loopsim.simulator.contract.batches import Feedback, SlateRequest
from loopsim.simulator.contract.estimator import Estimator
from loopsim.simulator.contract.retrieval import Pool
from loopsim.simulator.params.component_schema import NonNegativeInt, PositiveInt

__all__ = ["EmbeddingRetrieval"]


class EmbeddingRetrieval:
    """Each user's ``n`` nearest items by inner product of the model's factors.

    Args:
        n: Candidates per session.
        estimator: The embedding model (default: implicit-feedback MF, 16 factors).
        index: ``"exact"``, ``"approximate"`` or ``"auto"`` (exact while fewer than
            ``exact_below`` items have a non-zero embedding, approximate above when
            faiss is installed; see :class:`~.ItemIndex`).
        exact_below: Items with an embedding from which ``auto`` uses the approximate
            index.
        backend: ``"auto"`` (faiss when installed, else numpy), ``"faiss"``, ``"numpy"``.
        nlist: Cells of the approximate index (``None``: ``2 sqrt(M)``).
        nprobe: Cells visited per query.
        recall_sample: Sessions per batch whose exact top ``n`` is computed to measure
            the approximate index's recall (0: not measured).
        seed: Seed of the approximate index's k-means.
    """

    personalized = True

    def __init__(self, n: PositiveInt = 200, estimator: Estimator | None = None,
                 index: str = "auto", exact_below: NonNegativeInt = 20_000,
                 backend: str = "auto", nlist: PositiveInt | None = None,
                 nprobe: PositiveInt = 16, recall_sample: NonNegativeInt = 8,
                 seed: NonNegativeInt = 0) -> None:
        self.n = n
        if estimator is None:
            from loopsim.policies.estimators.mf import ImplicitMF
            estimator = ImplicitMF()
        self.estimator = estimator
        self.index = index
        self.exact_below = exact_below
        self.backend = backend
        self.nlist = nlist
        self.nprobe = nprobe
        self.recall_sample = recall_sample
        self.seed = seed
        self._index: ItemIndex | None = None
        self._handed = False
        self._cells: tuple[int, np.ndarray] | None = None
        self._rebuilds = 0

    @property
    def rebuilds(self) -> int:
        """How many times the index was built (once per trained version and catalogue)."""
        return self._rebuilds

    @property
    def version(self) -> int:
        """The embedding model's version (the index follows it)."""
        return int(self.estimator.version)

    def _kind(self, size: int) -> str:
        if self.index not in ("auto", "exact", "approximate"):
            raise stage_error("retrieval", f"`policy.retrieval.index == {self.index!r}` is "
                              "not an index kind.", "use auto, exact or approximate.")
        return self.index

    def item_index(self, candidates: np.ndarray) -> ItemIndex:
        """The index of the current model version and catalogue (rebuilt when stale)."""
        idx = self._index
        if idx is not None and self._handed:
            idx.check_catalogue(candidates)  # an index built elsewhere: same catalogue?
            if idx.version == self.version:
                return idx
        stale = idx is None or idx.version != self.version or (
            idx.candidates is not candidates and not np.array_equal(idx.candidates, candidates))
        if stale and idx is not None and idx.version == self.version and idx.extend(
                candidates, self.estimator.item_factors(candidates[idx.n_items:])):
            stale = False  # only new items without an embedding: the same index
        if stale:
            if not hasattr(self.estimator, "item_factors"):
                raise stage_error(
                    "retrieval", f"the estimator {self.estimator!r} has no "
                    "item_factors()/user_factors() embeddings.",
                    "use an embedding model such as policies.estimators.ImplicitMF.")
            version = self.version
            reuse = self._cells is not None and version < 2 * max(1, self._cells[0])
            self._index = idx = ItemIndex(
                candidates, self.estimator.item_factors(candidates), version,
                kind=self._kind(candidates.size), backend=self.backend, nlist=self.nlist,
                nprobe=self.nprobe, seed=self.seed, exact_below=self.exact_below,
                cells=self._cells[1] if reuse and self._cells is not None else None)
            if idx.trained_cells:
                self._cells = (version, idx.cells)
            self._rebuilds += 1
            self._handed = False
        return idx

    def use_index(self, index: ItemIndex) -> None:
        """Serve from an index built elsewhere (checked against the catalogue when used)."""
        self._index = index
        self._handed = True

    def retrieve(self, request: SlateRequest) -> Pool:
        """The ``n`` nearest items of each session's user; recall sampled when approximate."""
        n = check_pool_size("retrieval", self.n, request)
        if self.version == 0:  # untrained: every item ties at 0, ties broken at random
            m = request.candidates.size
            idx = sample_rows_without_replacement(request.rng, m, request.batch_size, n)
            return Pool(request.candidates[idx], shared=False)
        index = self.item_index(request.candidates)
        queries = np.ascontiguousarray(self.estimator.user_factors(request.users),
                                       dtype=np.float32)
        items = index.search(queries, n, request.candidates, request.rng)
        recall = None
        if index.kind == "approximate" and self.recall_sample > 0 and items.shape[0]:
            rows = request.rng.choice(items.shape[0], min(self.recall_sample, items.shape[0]),
                                      replace=False)
            recall = (index.recall(queries[rows], items[rows]), rows.size)
        return Pool(items, shared=False, exact_recall=recall)

    def parts(self) -> tuple[object, ...]:
        """The embedding model."""
        return (self.estimator,)

    def update(self, feedback: Feedback) -> None:
        """Train the embedding model (the index is rebuilt at the next request)."""
        self.estimator.update(feedback)

    def __repr__(self) -> str:
        return (f"EmbeddingRetrieval(n={self.n}, estimator={self.estimator!r}, "
                f"index={self.index!r})")
