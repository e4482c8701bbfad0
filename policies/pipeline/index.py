"""Maximum-inner-product search over item embeddings: faiss when installed, numpy otherwise.

:class:`ItemIndex` is built for one catalogue (the candidate ids and their embeddings)
and one model version. ``kind="exact"`` scores every item (faiss ``IndexFlatIP``, or a
numpy matrix product and partial sort when faiss is absent); ``kind="approximate"`` is
an inverted-file index (faiss ``IndexIVFFlat`` on the inner product, ``nlist`` cells,
``nprobe`` visited per query), which needs faiss (``pip install loopsim[retrieval]``).
Searching with candidates other than those it was built on is an error, never a silent
mix of two catalogues.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from loopsim.policies.pipeline.base import stage_error
from loopsim.policies.selectors.topk import SCORE_BLOCK, top_k_rows

__all__ = ["ItemIndex", "faiss_available"]

try:  # an optional dependency: the `retrieval` extra
    import faiss as _faiss
except ImportError:  # pragma: no cover - depends on the environment
    _faiss = None


def faiss_available() -> bool:
    """Whether faiss can be imported (the ``retrieval`` extra is installed)."""
    return _faiss is not None


class ItemIndex:
    """A top-``n`` inner-product index over the embeddings of one catalogue.

    Args:
        candidates: ``(M,)`` item ids the index is built on (sorted ascending).
        embeddings: ``(M, f)`` item embeddings, row ``j`` for ``candidates[j]``.
        version: The retrieval model's version the embeddings come from.
        kind: ``"exact"`` or ``"approximate"``.
        backend: ``"faiss"``, ``"numpy"`` or ``"auto"`` (faiss when installed).
        nlist: Cells of the approximate index (``None``: ``4 sqrt(M)``).
        nprobe: Cells visited per query by the approximate index.
        seed: Seed of the k-means that trains the approximate index's cells.
        stage: The stage's name, for messages.
    """

    def __init__(self, candidates: np.ndarray, embeddings: np.ndarray, version: int,
                 kind: str = "exact", backend: str = "auto", nlist: int | None = None,
                 nprobe: int = 16, seed: int = 0, stage: str = "retrieval") -> None:
        if kind not in ("exact", "approximate"):
            raise stage_error(stage, f"`policy.retrieval.index == {kind!r}` is not an index "
                              "kind.", "use exact, approximate or auto.")
        if backend == "auto":
            backend = "faiss" if _faiss is not None else "numpy"
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
        self._vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
        self._index: Any = None
        if backend == "faiss":
            self._index = self._build_faiss(nlist, nprobe, seed)

    def _build_faiss(self, nlist: int | None, nprobe: int, seed: int) -> Any:
        f = self._vectors.shape[1]
        if self.kind == "exact":
            index = _faiss.IndexFlatIP(f)
        else:
            cells = nlist or max(1, int(4 * math.sqrt(self.n_items)))
            cells = min(cells, max(1, self.n_items // 39))  # faiss wants >= 39 points a cell
            index = _faiss.IndexIVFFlat(_faiss.IndexFlatIP(f), f, cells,
                                        _faiss.METRIC_INNER_PRODUCT)
            index.cp.seed = int(seed)
            index.train(self._vectors)
            index.nprobe = min(int(nprobe), cells)
        index.add(self._vectors)
        return index

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

    def search(self, queries: np.ndarray, n: int, candidates: np.ndarray) -> np.ndarray:
        """``(Q, n)`` item ids of the ``n`` largest inner products, best first.

        Args:
            queries: ``(Q, f)`` user embeddings.
            n: Neighbours per query (``<= n_items``).
            candidates: The catalogue searched: must be the one the index was built on.
        """
        self.check_catalogue(candidates)
        q = np.ascontiguousarray(queries, dtype=np.float32)
        if self._index is None:
            return self.exact(q, n)
        _, idx = self._index.search(q, n)
        if (idx < 0).any():  # an IVF probe found fewer than n: fill from the exact search
            bad = np.flatnonzero((idx < 0).any(axis=1))
            exact = self.exact(q[bad], n)
            out = self.candidates[np.maximum(idx, 0)]
            out[bad] = exact
            return out
        return self.candidates[idx]

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
