"""Implicit-feedback matrix factorization (ALS, numpy), retrained on the log.

Hu, Koren and Volinsky (2008), "Collaborative filtering for implicit feedback
datasets": a click count ``c_ui`` gives preference ``p_ui = 1{c_ui > 0}`` with
confidence ``1 + alpha * c_ui``; every other (user, item) pair has preference 0 with
confidence 1. Alternating least squares minimises

    sum_ui conf_ui (p_ui - x_u . y_i)^2 + regularization (|x_u|^2 + |y_i|^2)

using ``Y^T C_u Y = Y^T Y + Y^T (C_u - I) Y``. Each update adds the new clicks and runs
``iterations`` sweeps, warm-started from the previous factors. A sweep solves every
row's ``f x f`` system either

* by ``cg_steps`` steps of conjugate gradient from the previous factors (``solver="cg"``,
  the default; Takacs, Pilaszy and Tikk 2011, as the ``implicit`` library does): the
  system's matrix is never formed, each step costs ``O(nnz f + (U + I) f^2)``
  (``nnz`` clicked pairs, ``f`` factors); or
* exactly (``solver="exact"``): the ``U + I`` matrices are formed (``O(nnz f^2)``) and
  solved as one batch (``O((U + I) f^3)``).

Rows without any click have the exact solution 0 under both.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from loopsim.policies.estimators.mf_solvers import ClickRows, conjugate_gradient, normal_equations
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.loop.catalogue import grown
from loopsim.simulator.params.component_schema import (
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
)

_KEY = np.int64(1) << 32
#: (session, item) pairs whose factors :meth:`ImplicitMF.pair_scores` gathers at once.
_PAIR_BLOCK = 1 << 16


class ImplicitMF:
    """Personalized scores ``x_u . y_i`` from implicit ALS on the click log.

    Args:
        n_factors: Latent dimension ``f``.
        regularization: L2 weight on the factors, > 0.
        alpha: Confidence per click (``1 + alpha * clicks``), >= 0.
        iterations: ALS sweeps per update, each warm-started from the previous factors.
            One (the default) gives the final regret, Gini and NDCG of two within their
            intervals over seeds on the default world, in half the training time
            (``python -m benchmarks.personalized settings``).
        init_scale: Standard deviation of the initial factors.
        init_seed: Seed of the factors' initial values. ``None`` (the default) draws
            them from the run's policy stream, handed over by the engine through
            :meth:`use_policy_stream`, so they differ between seeds; outside the engine
            (no stream given) ``None`` falls back to seed 0.
        organic: Learn from organic rows (items users found on their own) as well as
            from clicks on served slates: both are implicit feedback.
        solver: ``"cg"``: ``cg_steps`` conjugate-gradient steps per row and sweep, from
            the previous factors (fast; the default); ``"exact"``: each row's system
            formed and solved exactly.
        cg_steps: Conjugate-gradient steps per row and sweep (``solver="cg"``).
        dtype: Floating type of the factors and of the ALS arithmetic: ``"float64"``
            (the default) or ``"float32"`` (half the memory, for millions of users; the
            scores then differ in the 7th digit).
    """

    personalized = True

    def __init__(self, n_factors: PositiveInt = 16, regularization: Positive = 0.1,
                 alpha: NonNegative = 10.0, iterations: PositiveInt = 1,
                 init_scale: NonNegative = 0.1, init_seed: NonNegativeInt | None = None,
                 organic: bool = True, solver: Literal["cg", "exact"] = "cg",
                 cg_steps: PositiveInt = 2,
                 dtype: Literal["float64", "float32"] = "float64") -> None:
        self.n_factors = n_factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.init_scale = init_scale
        self.init_seed = init_seed
        self.organic = organic
        self.solver = solver
        self.cg_steps = cg_steps
        self.dtype = dtype
        self._stream: np.random.Generator | None = None
        self._keys = np.zeros(0, dtype=np.int64)
        self._counts = np.zeros(0)
        self._users = np.zeros((0, 0))
        self._items = np.zeros((0, 0))
        self._active = np.zeros(0, dtype=bool)
        self._rng: np.random.Generator | None = None
        self._version = 0
        self._serving: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._mean_cache: tuple[int, np.ndarray] | None = None

    def use_policy_stream(self, rng: np.random.Generator) -> None:
        """Draw the initial factors from ``rng`` (a child of the run's policy stream)."""
        self._stream = rng

    @property
    def version(self) -> int:
        """Bumped at every update that retrains."""
        return self._version

    def _check(self) -> tuple[int, float, float, int]:
        f, iters = int(self.n_factors), int(self.iterations)
        reg, alpha = float(self.regularization), float(self.alpha)
        return f, reg, alpha, iters

    def _grow(self, n_users: int, n_items: int, f: int) -> None:
        if self._rng is None:
            if self.init_seed is not None:
                self._rng = np.random.default_rng(self.init_seed)
            else:
                self._rng = self._stream if self._stream is not None else np.random.default_rng(0)
            self._users = np.zeros((0, f), dtype=self.dtype)
            self._items = np.zeros((0, f), dtype=self.dtype)
        scale = float(self.init_scale)
        for name, n in (("_users", n_users), ("_items", n_items)):
            old = getattr(self, name)
            if n > old.shape[0]:
                new = grown(old, n)
                fresh = self._rng.standard_normal((new.shape[0] - old.shape[0], f))
                new[old.shape[0]:] = scale * fresh
                setattr(self, name, new)

    def update(self, feedback: Feedback) -> None:
        """Add the batch's clicks and run ``iterations`` ALS sweeps."""
        f, reg, alpha, iters = self._check()
        if len(feedback) == 0:
            return
        self._grow(int(feedback.user.max()) + 1, int(feedback.item.max()) + 1, f)
        clicked = feedback.click if self.organic else feedback.click & feedback.recommended
        if clicked.any():
            keys = feedback.user[clicked] * _KEY + feedback.item[clicked]
            keys, inverse = np.unique(np.concatenate([self._keys, keys]), return_inverse=True)
            counts = np.zeros(keys.size)
            np.add.at(counts, inverse, np.concatenate([self._counts, np.ones(int(clicked.sum()))]))
            self._keys, self._counts = keys, counts
        if self._keys.size == 0:
            return
        users, items = self._keys // _KEY, self._keys % _KEY
        self._active = np.bincount(users, minlength=self._users.shape[0]) > 0
        by_user = ClickRows.of(users, items, self._counts, presorted=True)  # keys sort by user
        by_item = ClickRows.of(items, users, self._counts)
        for _ in range(iters):
            self._users = self._solve(self._items, by_user, self._users, alpha, reg)
            self._items = self._solve(self._users, by_item, self._items, alpha, reg)
        self._version += 1

    def _solve(self, other: np.ndarray, pairs: ClickRows, current: np.ndarray, alpha: float,
               reg: float) -> np.ndarray:
        """One half-sweep: new factors of every row given the other side's."""
        if self.solver == "exact":
            return normal_equations(other, pairs, current.shape[0], alpha,
                                    reg).astype(current.dtype, copy=False)
        return conjugate_gradient(other, pairs, current, alpha, reg, int(self.cg_steps))

    def _factors(self, ids: np.ndarray, table: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        """Rows ``ids`` of ``table`` (a new array), ``fallback`` for ids beyond it."""
        known = ids < table.shape[0]
        if known.all():
            return np.take(table, ids, axis=0)  # np.take: several times faster than table[ids]
        out = np.empty((ids.shape[0], table.shape[1]), dtype=table.dtype)
        out[...] = fallback
        out[known] = np.take(table, ids[known], axis=0)
        return out

    def _mean_user(self) -> np.ndarray:
        """Mean factor of the users with at least one click (zeros before any click);
        kept per model version (``user_factors`` needs it for every batch)."""
        cached = self._mean_cache
        if cached is not None and cached[0] == self._version:
            return cached[1]
        if not self._active.any():
            return np.zeros(int(self.n_factors))
        mean = self._users[: self._active.shape[0]][self._active].mean(axis=0)
        self._mean_cache = (self._version, mean)
        return mean

    def _serving_factors(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The mean user and the candidates' factors, kept while the model and the
        candidates do not change (selectors score the same candidates block by block)."""
        cached = self._serving
        if (cached is not None and cached[0] == self._version
                and cached[1].shape == items.shape and np.array_equal(cached[1], items)):
            return cached[2], cached[3]
        mean_user = self._mean_user()
        y = self._factors(items, self._items, np.zeros(mean_user.shape[0]))
        self._serving = (self._version, items.copy(), mean_user, y)
        return mean_user, y

    def user_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` predicted preference; users without clicks get the mean user's."""
        if not self._active.any():
            return np.zeros((users.shape[0], items.shape[0]))
        mean_user, y = self._serving_factors(items)
        x = self._factors(users, self._users, mean_user)
        cold = ~self._factors(users, self._active[:, None], np.zeros(1, dtype=bool))[:, 0]
        x[cold] = mean_user
        return x @ y.T

    def user_factors(self, users: np.ndarray) -> np.ndarray:
        """``(U, f)`` factors of users (the mean active user's for users without clicks).

        With :meth:`item_factors`, the embeddings a nearest-neighbour retrieval stage
        searches: ``user_scores(u, i) == user_factors(u) @ item_factors(i).T``.
        """
        if not self._active.any():
            return np.zeros((users.shape[0], int(self.n_factors)))
        mean_user = self._mean_user()
        x = self._factors(users, self._users, mean_user)
        cold = ~self._factors(users, self._active[:, None], np.zeros(1, dtype=bool))[:, 0]
        x[cold] = mean_user
        return x

    def item_factors(self, items: np.ndarray) -> np.ndarray:
        """``(I, f)`` factors of items (zeros for items never seen in a click)."""
        if self._items.shape[0] == 0:
            return np.zeros((items.shape[0], int(self.n_factors)))
        return self._factors(items, self._items, np.zeros(self._items.shape[1]))

    def pair_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(B, N)`` score of ``items[b, j]`` for ``users[b]`` (a pool per user)."""
        if not self._active.any():
            return np.zeros(items.shape, dtype=np.float64)
        x = self.user_factors(users)
        out = np.empty(items.shape, dtype=np.result_type(x.dtype, self._items.dtype))
        block = max(1, _PAIR_BLOCK // max(1, items.shape[1]))  # gathered factors stay small
        for s in range(0, items.shape[0], block):
            rows = items[s: s + block]
            y = self.item_factors(rows.reshape(-1)).reshape(*rows.shape, x.shape[1])
            out[s: s + block] = np.einsum("bf,bnf->bn", x[s: s + block], y)
        return out

    def scores(self, items: np.ndarray) -> np.ndarray:
        """Population-level score: the mean active user's predicted preference."""
        if not self._active.any():
            return np.zeros(items.shape[0])
        mean_user = self._mean_user()
        return self._factors(items, self._items, np.zeros(mean_user.shape[0])) @ mean_user

    def __repr__(self) -> str:
        return (f"ImplicitMF(n_factors={self.n_factors}, regularization={self.regularization}, "
                f"alpha={self.alpha}, iterations={self.iterations})")


__all__ = ["ImplicitMF"]
