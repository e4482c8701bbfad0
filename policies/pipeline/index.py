"""Maximum-inner-product search over item embeddings: faiss when installed, numpy otherwise.

:class:`ItemIndex` is built for one catalogue (the candidate ids and their embeddings)
and one model version. ``kind="exact"`` scores every item (faiss ``IndexFlatIP``, or a
numpy matrix product and partial sort when faiss is absent); ``kind="approximate"`` is
an inverted-file index (faiss ``IndexIVFFlat``, ``nlist`` cells, ``nprobe`` visited per
query), which needs faiss (``pip install loopsim[retrieval]``). Inner products are
turned into Euclidean distances first (Bachrach et al. 2014): an item ``y`` is indexed
as ``[y, sqrt(R^2 - |y|^2)]`` with ``R`` the largest item norm and a query ``x`` searched
as ``[x, 0]``, so the nearest items in L2 are exactly the largest inner products, and
k-means cells (which follow L2) group items that score alike.
Searching with candidates other than those it was built on is an error, never a silent
mix of two catalogues.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from loopsim.policies.pipeline.stage_checks import stage_error
from loopsim.policies.selectors.topk import (
    SCORE_BLOCK,
    sample_rows_without_replacement,
    top_k_rows,
)

__all__ = ["ItemIndex", "faiss_available"]

try:  # an optional dependency: the `retrieval` extra
    import faiss as _faiss
except ImportError:  # pragma: no cover - depends on the environment
    _faiss = None


def faiss_available() -> bool:
    """Whether faiss can be imported (the ``retrieval`` extra is installed)."""
    return _faiss is not None


#: Odd 64-bit multipliers of :func:`_distinct_rows`' hash (fixed: the hash is no draw).
_HASH = np.random.default_rng(0x5EED).integers(1, 1 << 62, size=256, dtype=np.uint64) | 1


def _distinct_rows(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)``: a representative row per distinct row of ``q`` and each
    row's representative (``q[first][inverse] == q``), by a 64-bit hash of the bits,
    checked: a hash collision gives every row its own representative instead."""
    rows = q.shape[0]
    if rows < 2 or q.shape[1] > _HASH.size:
        return np.arange(rows), np.arange(rows)
    bits = np.ascontiguousarray(q, dtype=np.float32).view(np.uint32).astype(np.uint64)
    key = (bits * _HASH[: q.shape[1]]).sum(axis=1)  # wraps modulo 2**64
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if first.size == rows or not np.array_equal(q[first][inverse], q):
        return np.arange(rows), np.arange(rows)
    return first, inverse


class ItemIndex:
    """A top-``n`` inner-product index over the embeddings of one catalogue.

    Args:
        candidates: ``(M,)`` item ids the index is built on (sorted ascending).
        embeddings: ``(M, f)`` item embeddings, row ``j`` for ``candidates[j]``.
        version: The retrieval model's version the embeddings come from.
        kind: ``"exact"``, ``"approximate"`` or ``"auto"``: exact while fewer than
            ``exact_below`` items have a non-zero embedding (items of zero embedding all
            score 0 and are never searched: they fill pools at random), else approximate
            when faiss is installed.
        backend: ``"faiss"``, ``"numpy"`` or ``"auto"`` (faiss when installed).
        nlist: Cells of the approximate index (``None``: ``2 sqrt(M)``).
        nprobe: Cells visited per query by the approximate index.
        seed: Seed of the k-means that trains the approximate index's cells.
        exact_below: See ``kind="auto"``.
        cells: ``(nlist, f)`` cell centroids of an earlier index to reuse (the k-means
            is then skipped and only the items are assigned to cells); ``None``: train.
        stage: The stage's name, for messages.
    """

    def __init__(self, candidates: np.ndarray, embeddings: np.ndarray, version: int,
                 kind: str = "exact", backend: str = "auto", nlist: int | None = None,
                 nprobe: int = 16, seed: int = 0, cells: np.ndarray | None = None,
                 exact_below: int = 20_000, stage: str = "retrieval") -> None:
        if kind not in ("exact", "approximate", "auto"):
            raise stage_error(stage, f"`policy.retrieval.index == {kind!r}` is not an index "
                              "kind.", "use exact, approximate or auto.")
        if backend == "auto":
            backend = "faiss" if _faiss is not None else "numpy"
        vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
        norms = np.einsum("if,if->i", vectors, vectors)
        self._known = np.flatnonzero(norms > 0)
        self._zero = np.flatnonzero(norms <= 0)
        if kind == "auto":  # exact while few items have an embedding (cheap and exact)
            big = self._known.size >= exact_below and backend == "faiss"
            kind = "approximate" if big else "exact"
        if backend == "faiss" and _faiss is None:
            raise stage_error(stage, "`backend == 'faiss'` but faiss is not installed.",
                              "pip install 'loopsim[retrieval]' (faiss-cpu), or backend=numpy.")
        if kind == "approximate" and backend != "faiss":
            raise stage_error(stage, "an approximate index needs faiss, which is not "
                              "installed.", "pip install 'loopsim[retrieval]' (faiss-cpu), "
                              "or policy.retrieval.index=exact.")
        self.candidates = candidates
        self.n_items = int(candidates.size)
        self.version = version
        self.kind = kind
        self.backend = backend
        self.stage = stage
        self._vectors = vectors
        self._index: Any = None
        self._l2 = False
        self.cells: np.ndarray | None = None
        self.trained_cells = False
        if kind == "approximate":
            self._index = self._build_faiss(nlist, nprobe, seed, cells)

    def _build_faiss(self, nlist: int | None, nprobe: int, seed: int,
                     cells: np.ndarray | None) -> Any:
        """A faiss index over the items whose embedding is not zero (``self._known``).

        Items with a zero embedding (never clicked, under mf) all score exactly 0: they
        are not indexed but drawn at random to fill the pools (ties broken at random).
        """
        vec = self._vectors
        norms = np.einsum("if,if->i", vec, vec)
        known, f = vec[self._known], vec.shape[1]
        count = nlist or max(1, int(2 * math.sqrt(self._known.size)))
        count = min(count, max(1, self._known.size // 39))  # faiss wants >= 39 points a cell
        if count < 2:  # too few items with an embedding for cells: exact (numpy)
            return None
        extra = np.sqrt(np.maximum(norms[self._known].max() - norms[self._known], 0.0))
        vectors = np.ascontiguousarray(np.hstack([known, extra[:, None]]), dtype=np.float32)
        f += 1
        quantizer = _faiss.IndexFlatL2(f)
        if cells is not None and cells.shape[1] == f:
            quantizer.add(np.ascontiguousarray(cells, dtype=np.float32))
            index = _faiss.IndexIVFFlat(quantizer, f, cells.shape[0], _faiss.METRIC_L2)
            index.is_trained = True
        else:
            index = _faiss.IndexIVFFlat(quantizer, f, count, _faiss.METRIC_L2)
            index.cp.seed = int(seed)
            index.cp.niter = 10
            index.cp.max_points_per_centroid = 64  # k-means on a sample of the items
            index.train(vectors)
            self.trained_cells = True
        index.nprobe = min(int(nprobe), index.nlist)
        index.add(vectors)
        self.cells = quantizer.reconstruct_n(0, index.nlist)
        self._quantizer = quantizer  # kept alive with the index
        self._l2 = True
        return index

    def extend(self, candidates: np.ndarray, added: np.ndarray) -> bool:
        """Follow a catalogue that only grew by items of zero embedding; ``False`` if not.

        ``candidates`` must start with the ids the index holds and ``added`` (``(A, f)``)
        be the embeddings of the rest. Items of zero embedding are never indexed (they
        fill pools at random), so when every added embedding is zero the index is the
        one a rebuild would give, and only the catalogue is extended (new items arrive
        every day, the model changes once a day).
        """
        old = self.n_items
        if (candidates.size <= old or added.shape[0] != candidates.size - old
                or np.any(added) or not np.array_equal(candidates[:old], self.candidates)):
            return False
        self._zero = np.concatenate([self._zero, np.arange(old, candidates.size)])
        self._vectors = np.vstack([self._vectors, np.zeros((candidates.size - old,
                                                             self._vectors.shape[1]),
                                                            dtype=np.float32)])
        self.candidates, self.n_items = candidates, int(candidates.size)
        return True

    def check_catalogue(self, candidates: np.ndarray) -> None:
        """Fail clearly when ``candidates`` are not the ids the index was built on."""
        if candidates.size != self.n_items or (
                candidates is not self.candidates
                and not np.array_equal(candidates, self.candidates)):
            raise stage_error(
                self.stage, f"the index was built for a catalogue of {self.n_items} items "
                f"(model version {self.version}) but is searched with {candidates.size} "
                "candidates.", "rebuild the index on the current candidates (the stage "
                "rebuilds it when the catalogue or the model version changes; an index "
                "handed over from elsewhere must be built on the same catalogue).")

    def search(self, queries: np.ndarray, n: int, candidates: np.ndarray,
               rng: np.random.Generator | None = None) -> np.ndarray:
        """``(Q, n)`` item ids of the ``n`` largest inner products, best first.

        Args:
            queries: ``(Q, f)`` user embeddings.
            n: Neighbours per query (``<= n_items``).
            candidates: The catalogue searched: must be the one the index was built on.
            rng: Draws the items of zero embedding (score 0) that fill a pool; ``None``:
                the first ones.
        """
        self.check_catalogue(candidates)
        q = np.ascontiguousarray(queries, dtype=np.float32)
        take = min(n, self._known.size)
        if not take:
            idx = np.zeros((q.shape[0], 0), dtype=np.int64)
        elif self._index is None:  # exact: numpy over the items with an embedding
            idx = self._exact_known(q, take)
        else:  # the L2 form of the inner product (module doc)
            idx = self._search_ivf(q, take)
        found = self._known[idx] if take else idx
        if self._zero.size == 0:
            return self.candidates[found]
        # Best first: found items scoring >= 0 (faiss returns them sorted), then items of
        # zero embedding (score 0, drawn at random: ties), then found items scoring < 0.
        c = self._non_negative(q, found) if take else np.zeros((q.shape[0], 1), np.int64)
        fill = min(n, self._zero.size)
        need = min(fill, n - int(c.min())) if c.size else 0  # zero draws a row can use
        draw = self._zero_draws(rng, c[:, 0] < n, need)
        j = np.arange(n)[None, :]
        from_found, from_zero = j < c, (j >= c) & (j - c < fill)
        at_found = np.take_along_axis(found, np.clip(np.where(from_found, j, j - fill), 0,
                                                     max(take - 1, 0)), axis=1) if take else \
            np.zeros((q.shape[0], n), dtype=np.int64)
        at_zero = self._zero[np.take_along_axis(draw, np.clip(j - c, 0, max(need - 1, 0)),
                                                axis=1)] if need else at_found
        return self.candidates[np.where(from_zero, at_zero, at_found)]

    def _search_ivf(self, q: np.ndarray, take: int) -> np.ndarray:
        """``(Q, take)`` positions in ``_known`` by the inverted-file index.

        A row whose ``nprobe`` cells hold fewer than ``take`` items (faiss pads it with
        -1) is searched again with twice the cells, until every row is full: at
        ``nprobe == nlist`` every indexed item is visited. (Scoring the whole catalogue
        exactly for such rows instead made a 1M-user run slower from day to day: once
        the cells are unbalanced, every row of a batch can fall short.) Equal queries
        (every user without a click has the mean user's) are searched once.
        """
        first, inverse = _distinct_rows(q)
        if first.size < q.shape[0]:  # users without clicks share the mean user's query
            return self._search_ivf(q[first], take)[inverse]
        searched = np.ascontiguousarray(np.hstack([q, np.zeros((q.shape[0], 1), np.float32)]))
        _, idx = self._index.search(searched, take)
        short = np.flatnonzero((idx < 0).any(axis=1))
        nprobe, nlist = int(self._index.nprobe), int(self._index.nlist)
        while short.size and nprobe < nlist:
            nprobe = min(2 * nprobe, nlist)
            params = _faiss.SearchParametersIVF(nprobe=nprobe)
            _, idx[short] = self._index.search(searched[short], take, params=params)
            short = short[(idx[short] < 0).any(axis=1)]
        return idx

    def _non_negative(self, q: np.ndarray, found: np.ndarray) -> np.ndarray:
        """``(Q, 1)`` how many of each row's found items score >= 0 (in row blocks: the
        ``(rows, n, f)`` gathered embeddings stay small)."""
        out = np.empty((q.shape[0], 1), dtype=np.int64)
        block = max(1, SCORE_BLOCK // max(1, found.shape[1] * self._vectors.shape[1]))
        for s in range(0, q.shape[0], block):
            vec = np.take(self._vectors, found[s: s + block], axis=0)
            score = np.einsum("qf,qnf->qn", q[s: s + block], vec)
            out[s: s + block, 0] = (score >= 0).sum(axis=1)
        return out

    def _zero_draws(self, rng: np.random.Generator | None, rows: np.ndarray,
                    need: int) -> np.ndarray:
        """``(Q, need)`` positions in ``_zero`` filling the pools of the ``rows`` (a mask)
        that reach them: a uniform ordered draw per such row (the items of zero
        embedding tie at 0), in row blocks that bound the sampler's ``(items, rows)``
        table; ``rng is None``: the first ones."""
        out = np.zeros((rows.size, need), dtype=np.int64)
        if need == 0:
            return out
        if rng is None:
            out[...] = np.arange(need)
            return out
        where = np.flatnonzero(rows)
        block = max(1, SCORE_BLOCK // self._zero.size)
        for s in range(0, where.size, block):
            at = where[s: s + block]
            out[at] = sample_rows_without_replacement(rng, self._zero.size, at.size, need)
        return out

    def _exact_known(self, q: np.ndarray, take: int) -> np.ndarray:
        """``(Q, take)`` positions in ``_known`` of the best inner products, best first."""
        vectors = self._vectors[self._known].astype(np.float64).T
        out = np.empty((q.shape[0], take), dtype=np.int64)
        block = max(1, SCORE_BLOCK // max(1, self._known.size))
        for s in range(0, q.shape[0], block):
            out[s: s + block] = top_k_rows(q[s: s + block].astype(np.float64) @ vectors, take)
        return out

    def recall(self, queries: np.ndarray, found: np.ndarray) -> float:
        """Sum over queries of the share of ``found`` ids scoring at least the exact
        ``n``-th best inner product (ties at the ``n``-th place count as found)."""
        n = found.shape[1]
        scores = queries.astype(np.float64) @ self._vectors.T.astype(np.float64)
        kth = -np.partition(-scores, n - 1, axis=1)[:, n - 1: n]
        got = np.take_along_axis(scores, np.searchsorted(self.candidates, found), axis=1)
        tol = 1e-5 * np.maximum(1.0, np.abs(kth))
        return float((np.minimum((got >= kth - tol).sum(axis=1), n) / n).sum())

    def exact(self, queries: np.ndarray, n: int) -> np.ndarray:
        """``(Q, n)`` the exact top-``n`` item ids by numpy (the reference of recall)."""
        out = np.empty((queries.shape[0], n), dtype=np.int64)
        block = max(1, SCORE_BLOCK // max(1, self.n_items))
        for s in range(0, queries.shape[0], block):
            scores = queries[s: s + block].astype(np.float64) @ self._vectors.T.astype(np.float64)
            out[s: s + block] = self.candidates[top_k_rows(scores, n)]
        return out

    def __repr__(self) -> str:
        return (f"ItemIndex(kind={self.kind!r}, backend={self.backend!r}, "
                f"n_items={self.n_items}, version={self.version})")
