"""A learned upstream stage: biased matrix factorization of clicks, trained on its own loss.

The model predicts a user's click on an item shown to them::

    score(u, i) = mu + b_user[u] + b_item[i] + U[u] . V[i]          (head = "dot")
    score(u, i) = mu + b_user[u] + b_item[i] + U[u]^T W V[i]        (head = "bilinear")
    score(u, i) = mu + b_user[u] + b_item[i] + MLP(U[u] * V[i])     (head = "mlp")

fitted by alternating least squares to the labels of the rows it trains on (mean
squared error, ridge ``regularization`` on every parameter), warm-started at every
retraining. The bilinear head is a reparametrization, not a richer class
(``U^T W V = (W^T U) . V``); its ``W`` stays inside the upstream: what it hands on are its
biases and factors. The ``mlp`` head (:mod:`~.mlp_head`: ReLU layers of widths
``hidden`` on ``U_u * V_i`` plus a linear skip, so the dot head is in its class) is a
richer, non-linear class: at every retraining full-batch Adam fits factors, biases and
head jointly (``head_steps`` steps, warm-started) on the same loss; its layers stay
inside too, and a ranker linear in ``U_u * V_i`` cannot express them. The
label is the click (``target = "click"``), or the clicked item's mean click rate over
all the rows it trains on (``target = "item_mean"``: a denoised label that keeps what
users agree on and drops who clicked). Rows are aggregated by (user, item) pair first
(the squared loss of ``c`` clicks in ``n`` showings is the loss of their mean with weight
``n``), so training costs grow with the pairs seen, not the impressions.

What it trains on is its own choice, as an upstream team's is: ``train_on`` picks the
traffic (the slates a pipeline served, the organic rows users found themselves, or
both) and ``share`` keeps a fixed share of (user, item) pairs (a deterministic hash of
the pair: the paper's "fraction of the training set"). Its own offline metric is the
progressive-validation MSE: each batch of its kind of traffic (all pairs, not only its
share: pairs outside the share are never trained on) is scored by the model of the
moment *before* it is trained on (``validation_mse`` over a window). Rows marked as
exploration (served uniformly at random, :class:`~.LearnedPipeline`'s ``explore``) are
also scored apart (``explore_validation_mse``): a validation on traffic no upstream chose.

Its outputs (biases and factors) are what a downstream ranker uses as features
(:class:`~.FeatureRanker`).
"""

from __future__ import annotations

import numpy as np
from loopsim.policies.pipeline.content_tower import TOWER_PRIORS, fit_tower, initial_tower
from loopsim.policies.pipeline.mlp_head import MLPHead, fit_mlp_factors
from loopsim.policies.pipeline.stage_checks import stage_error
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.params.component_schema import (
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
)

__all__ = ["FactorUpstream", "pair_keep", "ridge_rows"]

_TRAIN_ON = ("recommended", "organic", "all")
_HEADS = ("dot", "bilinear", "mlp")
_TARGETS = ("click", "item_mean", "genre_rate")
_ITEM_SIDES = ("free", "attributes")
_BLOCK = 1 << 16


def pair_keep(users: np.ndarray, items: np.ndarray, share: float) -> np.ndarray:
    """``(N,)`` bool: whether the pair is in a fixed ``share`` of all (user, item) pairs.

    A multiplicative hash of the pair mapped to [0, 1): the same pair is always kept or
    always dropped, and nested shares keep nested sets (0.3 keeps a subset of 0.6's).
    """
    if share >= 1.0:
        return np.ones(users.shape[0], dtype=bool)
    key = (users.astype(np.uint64) * np.uint64(1_000_003) + items.astype(np.uint64))
    mixed = (key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)
    return mixed.astype(np.float64) / float(1 << 24) < share


def ridge_rows(groups: np.ndarray, size: int, x: np.ndarray, target: np.ndarray,
                weight: np.ndarray, lam: float) -> np.ndarray:
    """Per group ``g``: argmin_w sum_j weight_j (target_j - x_j . w)^2 + lam |w|^2."""
    d = x.shape[1]
    gram = np.zeros((size, d, d))
    rhs = np.zeros((size, d))
    for s in range(0, x.shape[0], _BLOCK):
        xs, ws, gs = x[s:s + _BLOCK], weight[s:s + _BLOCK], groups[s:s + _BLOCK]
        np.add.at(gram, gs, np.einsum("ni,nj->nij", xs * ws[:, None], xs))
        np.add.at(rhs, gs, xs * (ws * target[s:s + _BLOCK])[:, None])
    gram += lam * np.eye(d)
    return np.linalg.solve(gram, rhs[..., None])[..., 0]


class FactorUpstream:
    """Biased MF of clicks by ALS: a learned upstream with its own loss (MSE on its rows).

    Args:
        n_factors: Latent dimensions of ``U`` and ``V``.
        regularization: Ridge penalty on every parameter (per pair weight 1 = one
            showing).
        iterations: ALS sweeps (users, then items) per retraining.
        train_on: ``recommended`` (the pipeline's served slates), ``organic`` (items the
            users found on their own) or ``all``.
        share: Share of (user, item) pairs it trains on (:func:`pair_keep`).
        init_scale: Standard deviation of the initial factors.
        head: ``dot``, ``bilinear`` (a learned ``f x f`` interaction matrix) or ``mlp``
            (:class:`~.MLPHead` on ``U_u * V_i``, fitted by Adam).
        target: ``click`` or ``item_mean``.
        negatives: Per organic row it trains on, items drawn uniformly from those seen
            so far and added as non-clicks (organic rows are all clicks: without
            negatives their squared loss is minimized by a constant).
        hidden: Widths of the ``mlp`` head's ReLU layers.
        head_steps: Adam steps per retraining (``mlp`` head).
        learning_rate: Adam's step size (``mlp`` head).
        mlp_fit: How the ``mlp`` head's model is fitted at each retraining: ``adam``
            (factors, biases and head jointly by Adam, ``head_steps`` steps) or ``als``
            (the factors and biases by ALS as the dot head's, ``iterations`` sweeps with
            the head's ReLU part held fixed, then the head alone by Adam on them,
            ``head_steps`` steps, then ``joint_steps`` joint Adam steps).
        joint_steps: Joint Adam steps after the head's fit (``mlp_fit = als``).
        item_side: ``free`` (item factors and biases are free parameters) or
            ``attributes`` (a content tower, :mod:`~.content_tower`: a learned linear map
            of the catalogue's observable item attributes; ``dot`` head only). Reads
            the catalogue's metadata (:meth:`use_item_attributes`).
        tower_prior: What the tower's ridge pulls toward: ``zero`` or ``init`` (its
            random initial weights: a lightly trained tower stays near them).
        tower_regularization: The tower's ridge penalty (``None``: ``regularization``).
        tower_init: Scale of the tower's random initial weights.
        max_retrainings: Retrainings after which the model stays as it is (``None``:
            retrain on every batch). A fixed training set: the share of the first
            ``max_retrainings`` batches of its traffic that trained it (a batch whose
            share holds no row neither trains nor counts). It still validates on every
            batch.

    ``target = "genre_rate"`` is a coarse label: for a pair (user ``u``, item ``i``), the
    click rate of ``u`` on the rows of ``i``'s genre it trains on, the same for every
    item of a genre (it merges what separates items within a genre; reads the genres
    from the catalogue).
    """

    personalized = True

    def __init__(self, n_factors: PositiveInt = 8, regularization: Positive = 1.0,
                 iterations: PositiveInt = 2, train_on: str = "recommended",
                 share: NonNegative = 1.0, init_scale: Positive = 0.1,
                 head: str = "dot", target: str = "click",
                 negatives: NonNegativeInt = 4, hidden: list[int] | None = None,
                 head_steps: PositiveInt = 200, learning_rate: Positive = 0.02,
                 mlp_fit: str = "adam", joint_steps: NonNegativeInt = 0,
                 item_side: str = "free", tower_prior: str = "zero",
                 tower_regularization: NonNegative | None = None,
                 tower_init: Positive = 1.0,
                 max_retrainings: PositiveInt | None = None) -> None:
        self.n_factors = n_factors
        self.regularization = regularization
        self.iterations = iterations
        self.train_on = train_on
        self.share = share
        self.init_scale = init_scale
        self.head = head
        self.target = target
        self.negatives = negatives
        self.hidden = [16] if hidden is None else list(hidden)
        self.head_steps = head_steps
        self.learning_rate = learning_rate
        self.mlp_fit = mlp_fit
        self.joint_steps = joint_steps
        self.item_side = item_side
        self.tower_prior = tower_prior
        self.tower_regularization = tower_regularization
        self.tower_init = tower_init
        self.max_retrainings = max_retrainings
        self._catalogue: object | None = None
        self._theta: np.ndarray | None = None
        self._theta0: np.ndarray | None = None
        self._joint: dict | None = None
        self._mlp: MLPHead | None = None
        self._adam: dict | None = None
        self._version = 0
        self._w = np.eye(n_factors)
        self._rng: np.random.Generator | None = None
        self._keys = np.zeros(0, dtype=np.int64)
        self._sums = np.zeros((0, 2))  # per pair: clicks, showings
        self._user_bias = np.zeros(0)
        self._item_bias = np.zeros(0)
        self._u = np.zeros((0, n_factors))
        self._v = np.zeros((0, n_factors))
        self._mu = 0.0
        self._mse = [0.0, 0.0]  # progressive validation: squared errors, rows
        self._mse_explore = [0.0, 0.0]  # the same on the exploration rows alone

    @property
    def version(self) -> int:
        """Model version: 0 untrained, then one more per retraining."""
        return self._version

    def use_policy_stream(self, rng: np.random.Generator) -> None:
        """The stream of the initial factors (a child of the run's policy stream)."""
        self._rng = rng

    @property
    def needs_item_attributes(self) -> bool:
        """True with a content tower (``item_side = attributes``) or the genre label."""
        return self.item_side == "attributes" or self.target == "genre_rate"

    def use_item_attributes(self, catalogue: object) -> None:
        """The catalogue's metadata (an ``ItemCatalogue``: attributes and genres)."""
        self._catalogue = catalogue

    def _metadata(self) -> object:
        if self._catalogue is None:
            raise stage_error("upstream", f"`item_side == {self.item_side!r}`, `target == "
                              f"{self.target!r}` read the catalogue's item attributes, but "
                              "none were handed over.", "run it in the loop with "
                              "world.item_attributes > 0 (the engine hands them), or call "
                              "use_item_attributes(ItemCatalogue(world)).")
        return self._catalogue

    # -- what it trains on -----------------------------------------------------------
    def traffic_rows(self, feedback: Feedback) -> np.ndarray:
        """``(N,)`` bool: the rows of its kind of traffic (``train_on``), all shares."""
        if self.train_on not in _TRAIN_ON:
            raise stage_error("upstream", f"`train_on == {self.train_on!r}` is not a kind "
                              "of traffic.", f"use one of {', '.join(_TRAIN_ON)}.")
        if not 0.0 < float(self.share) <= 1.0:
            raise stage_error("upstream", f"`share == {self.share!r}` must be in (0, 1].",
                              "set the share of (user, item) pairs to train on, e.g. 0.5.")
        recommended = feedback.recommended
        mask = {"recommended": recommended, "organic": ~recommended,
                "all": np.ones_like(recommended)}[self.train_on]
        return mask

    def update(self, feedback: Feedback, explore: np.ndarray | None = None) -> None:
        """Score the new rows (validation), add them to the pairs, refit by ALS.

        ``explore``: ``(N,)`` bool, the feedback's exploration rows (served uniformly at
        random): scored apart as well (:meth:`explore_validation_mse`), trained on as
        every row of its traffic.
        """
        if explore is not None and np.shape(explore) != (len(feedback),):
            raise stage_error("upstream", f"the exploration mask has shape "
                              f"{np.shape(explore)}, the feedback {len(feedback)} rows.",
                              "pass one bool per feedback row, or None.")
        if self.head not in _HEADS or self.target not in _TARGETS:
            raise stage_error("upstream", f"`head == {self.head!r}`, `target == "
                              f"{self.target!r}`: head must be one of {', '.join(_HEADS)}, "
                              f"target one of {', '.join(_TARGETS)}.",
                              "set policy.upstream.head / .target.")
        if self.item_side not in _ITEM_SIDES or self.tower_prior not in TOWER_PRIORS or (
                self.item_side == "attributes" and self.head != "dot"):
            raise stage_error("upstream", f"`item_side == {self.item_side!r}`, `tower_prior "
                              f"== {self.tower_prior!r}`, `head == {self.head!r}`: item_side "
                              f"must be one of {', '.join(_ITEM_SIDES)} (attributes with the "
                              f"dot head), tower_prior one of {', '.join(TOWER_PRIORS)}.",
                              "set policy.upstream.item_side / .tower_prior / .head.")
        if self.head == "mlp" and self.mlp_fit not in ("adam", "als"):
            raise stage_error("upstream", f"`mlp_fit == {self.mlp_fit!r}` is not a fit.",
                              "set policy.upstream.mlp_fit to adam or als.")
        if self.head == "mlp" and (not self.hidden or min(int(h) for h in self.hidden) < 1):
            raise stage_error("upstream", f"`hidden == {self.hidden!r}`: the mlp head needs "
                              "one or more layer widths >= 1.", "set e.g. hidden: [16].")
        traffic = self.traffic_rows(feedback)
        if not traffic.any():
            return
        users, items = feedback.user[traffic], feedback.item[traffic]
        clicks = feedback.click[traffic].astype(np.float64)
        organic = ~feedback.recommended[traffic]
        explored = None if explore is None else np.asarray(explore, dtype=bool)[traffic]
        if organic.any() and self.negatives > 0:
            users, items, clicks = self._with_negatives(users, items, clicks, organic)
        if self._version > 0:  # validated on all its kind of traffic, trained on its share
            err = self.pair_scores(users[:, None], items[:, None])[:, 0] - clicks
            self._mse[0] += float(err @ err)
            self._mse[1] += err.size
            if explored is not None and explored.any():  # negatives come after: not in it
                e = err[:explored.size][explored]
                self._mse_explore[0] += float(e @ e)
                self._mse_explore[1] += e.size
        if self.max_retrainings is not None and self._version >= int(self.max_retrainings):
            return  # a fixed training set: validated, not trained on
        keep = pair_keep(users, items, float(self.share))
        if not keep.any():
            return
        users, items, clicks = users[keep], items[keep], clicks[keep]
        self._add(users, items, clicks)
        self._fit()
        self._version += 1

    def _with_negatives(self, users: np.ndarray, items: np.ndarray, clicks: np.ndarray,
                        organic: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows plus ``negatives`` uniform non-clicks per organic row."""
        if self._rng is None:
            self._rng = np.random.default_rng(0)
        m = max(int(items.max()) + 1, self._v.shape[0])
        neg_users = np.repeat(users[organic], int(self.negatives))
        neg_items = self._rng.integers(0, m, neg_users.size)
        return (np.concatenate([users, neg_users]), np.concatenate([items, neg_items]),
                np.concatenate([clicks, np.zeros(neg_users.size)]))

    def _add(self, users: np.ndarray, items: np.ndarray, clicks: np.ndarray) -> None:
        self._grow(int(users.max()) + 1, int(items.max()) + 1)
        keys = users.astype(np.int64) << 32 | items.astype(np.int64)
        all_keys = np.concatenate([self._keys, keys])
        sums = np.concatenate([self._sums, np.stack([clicks, np.ones_like(clicks)], 1)])
        self._keys, inverse = np.unique(all_keys, return_inverse=True)
        self._sums = np.zeros((self._keys.size, 2))
        np.add.at(self._sums, inverse, sums)

    def _grow(self, n_users: int, n_items: int) -> None:
        f = int(self.n_factors)
        if self._rng is None:
            self._rng = np.random.default_rng(0)
        if self.head == "bilinear" and self._version == 0 and self._u.shape[0] == 0:
            self._w = self._rng.standard_normal((f, f)) / np.sqrt(f)
        if n_users > self._u.shape[0]:
            extra = n_users - self._u.shape[0]
            self._u = np.vstack([self._u, self.init_scale * self._rng.standard_normal((extra, f))])
            self._user_bias = np.concatenate([self._user_bias, np.zeros(extra)])
        if n_items > self._v.shape[0]:
            extra = n_items - self._v.shape[0]
            self._v = np.vstack([self._v, self.init_scale * self._rng.standard_normal((extra, f))])
            self._item_bias = np.concatenate([self._item_bias, np.zeros(extra)])

    def _fit(self) -> None:
        users = (self._keys >> 32).astype(np.int64)
        items = (self._keys & 0xFFFFFFFF).astype(np.int64)
        n = self._sums[:, 1]
        mean = self._sums[:, 0] / n
        if self.target == "item_mean":
            clicks = np.bincount(items, self._sums[:, 0], minlength=self._v.shape[0])
            shows = np.bincount(items, n, minlength=self._v.shape[0])
            mean = (clicks / np.maximum(shows, 1))[items]
        elif self.target == "genre_rate":
            mean = self._genre_rates(users, items, n)
        self._mu = float((mean * n).sum() / n.sum())
        lam = float(self.regularization)
        if self.item_side == "attributes":
            self._fit_tower(users, items, mean, n, lam)
            return
        if self.head == "mlp":
            self._fit_mlp(users, items, mean, n, lam)
            return
        ones = np.ones((users.size, 1))
        for _ in range(int(self.iterations)):
            target = mean - self._mu - self._item_bias[items]
            w = ridge_rows(users, self._u.shape[0],
                            np.hstack([self._v[items] @ self._w.T, ones]), target, n, lam)
            self._u, self._user_bias = w[:, :-1], w[:, -1]
            target = mean - self._mu - self._user_bias[users]
            w = ridge_rows(items, self._v.shape[0],
                            np.hstack([self._u[users] @ self._w, ones]), target, n, lam)
            self._v, self._item_bias = w[:, :-1], w[:, -1]
            if self.head == "bilinear":
                self._fit_head(users, items, mean, n, lam)

    def _genre_rates(self, users: np.ndarray, items: np.ndarray,
                     n: np.ndarray) -> np.ndarray:
        """Per pair, the user's click rate on the pairs of the item's genre (coarse)."""
        genre = self._metadata().genres(items)
        key = users * (int(genre.max()) + 1) + genre
        cells, inverse = np.unique(key, return_inverse=True)
        clicks = np.bincount(inverse, self._sums[:, 0], minlength=cells.size)
        shows = np.bincount(inverse, n, minlength=cells.size)
        return (clicks / shows)[inverse]

    def _tower_attributes(self, items: np.ndarray) -> np.ndarray:
        x = self._metadata().attributes(items.reshape(-1))
        return np.hstack([x, np.ones((x.shape[0], 1))])

    def _fit_tower(self, users: np.ndarray, items: np.ndarray, mean: np.ndarray,
                   n: np.ndarray, lam: float) -> None:
        """ALS with the item side a content tower: users by ridge rows, then the tower."""
        f = int(self.n_factors)
        x = self._tower_attributes(np.arange(self._v.shape[0]))
        if self._theta is None:
            assert self._rng is not None
            self._theta0 = initial_tower(x.shape[1] - 1, f, float(self.tower_init), self._rng)
            self._theta = self._theta0.copy()
        lam_t = lam if self.tower_regularization is None else float(self.tower_regularization)
        prior = self._theta0 if self.tower_prior == "init" else np.zeros_like(self._theta)
        ones = np.ones((users.size, 1))
        for _ in range(int(self.iterations)):
            self._v, self._item_bias = x @ self._theta[:, :f], x @ self._theta[:, f]
            target = mean - self._mu - self._item_bias[items]
            w = ridge_rows(users, self._u.shape[0], np.hstack([self._v[items], ones]),
                            target, n, lam)
            self._u, self._user_bias = w[:, :-1], w[:, -1]
            self._theta = fit_tower(x, items, np.hstack([self._u[users], ones]),
                                    mean - self._mu - self._user_bias[users], n, lam_t, prior)
        self._v, self._item_bias = x @ self._theta[:, :f], x @ self._theta[:, f]

    def _fit_mlp(self, users: np.ndarray, items: np.ndarray, mean: np.ndarray,
                 n: np.ndarray, lam: float) -> None:
        """Factors, biases and the MLP head jointly by Adam (warm-started). No LAPACK or
        BLAS call: the fit is the same under every BLAS kernel (Adam's normalised steps
        would amplify a kernel's round-off; an ALS start did, by 6e-7 in 5 days)."""
        if self._mlp is None:
            self._mlp = MLPHead(int(self.n_factors), tuple(self.hidden), self._rng)
        if self.mlp_fit == "als":
            self._fit_mlp_als(users, items, mean, n, lam)
            return
        tables = {"u": self._u, "v": self._v, "user_bias": self._user_bias,
                  "item_bias": self._item_bias}
        self._adam = fit_mlp_factors(self._mlp, tables, users, items, mean, n, self._mu,
                                     lam, int(self.head_steps), float(self.learning_rate),
                                     self._adam)

    def _fit_mlp_als(self, users: np.ndarray, items: np.ndarray, mean: np.ndarray,
                     n: np.ndarray, lam: float) -> None:
        """ALS on factors and biases (the head's ReLU part held fixed, its skip as the
        dot's weights), then the head alone by Adam, then ``joint_steps`` joint steps."""
        assert self._mlp is not None
        ones = np.ones((users.size, 1))
        for _ in range(int(self.iterations)):
            relu = self._mlp(self._u[users] * self._v[items]) - np.einsum(
                "nf,nf,f->n", self._u[users], self._v[items], self._mlp.skip, optimize=False)
            target = mean - self._mu - self._item_bias[items] - relu
            w = ridge_rows(users, self._u.shape[0],
                            np.hstack([self._v[items] * self._mlp.skip, ones]), target, n, lam)
            self._u, self._user_bias = w[:, :-1], w[:, -1]
            relu = self._mlp(self._u[users] * self._v[items]) - np.einsum(
                "nf,nf,f->n", self._u[users], self._v[items], self._mlp.skip, optimize=False)
            target = mean - self._mu - self._user_bias[users] - relu
            w = ridge_rows(items, self._v.shape[0],
                            np.hstack([self._u[users] * self._mlp.skip, ones]), target, n, lam)
            self._v, self._item_bias = w[:, :-1], w[:, -1]
        tables = {"u": self._u, "v": self._v, "user_bias": self._user_bias,
                  "item_bias": self._item_bias}
        self._adam = fit_mlp_factors(self._mlp, tables, users, items, mean, n, self._mu,
                                     lam, int(self.head_steps), float(self.learning_rate),
                                     self._adam, train_factors=False)
        if int(self.joint_steps) > 0:
            self._joint = fit_mlp_factors(self._mlp, tables, users, items, mean, n,
                                          self._mu, lam, int(self.joint_steps),
                                          float(self.learning_rate), self._joint)

    def _fit_head(self, users: np.ndarray, items: np.ndarray, mean: np.ndarray,
                  n: np.ndarray, lam: float) -> None:
        """Ridge fit of the bilinear ``W`` given the factors and biases."""
        f = int(self.n_factors)
        target = mean - self._mu - self._user_bias[users] - self._item_bias[items]
        gram = np.zeros((f * f, f * f))
        rhs = np.zeros(f * f)
        for s in range(0, users.size, _BLOCK):
            u, v = self._u[users[s:s + _BLOCK]], self._v[items[s:s + _BLOCK]]
            x = np.einsum("na,nb->nab", u, v).reshape(-1, f * f)
            gram += (x * n[s:s + _BLOCK, None]).T @ x
            rhs += x.T @ (n[s:s + _BLOCK] * target[s:s + _BLOCK])
        self._w = np.linalg.solve(gram + lam * np.eye(f * f), rhs).reshape(f, f)

    # -- its outputs -----------------------------------------------------------------
    def _rows(self, table: np.ndarray, ids: np.ndarray) -> np.ndarray:
        if ids.size == 0 or (ids.max() < table.shape[0] and ids.min() >= 0):
            return table[ids]
        out = np.zeros(ids.shape + table.shape[1:])
        known = (ids >= 0) & (ids < table.shape[0])
        out[known] = table[ids[known]]
        return out

    def user_factors(self, users: np.ndarray) -> np.ndarray:
        """``(..., f)`` user factors (0 for users never trained on)."""
        return self._rows(self._u, np.asarray(users))

    def _tower(self, items: np.ndarray, column: slice | int) -> np.ndarray:
        """The content tower's outputs for any catalogue ids (trained on or not)."""
        assert self._theta is not None
        out = self._tower_attributes(items) @ self._theta[:, column]
        return out.reshape(items.shape + out.shape[1:])

    def item_factors(self, items: np.ndarray) -> np.ndarray:
        """``(..., f)`` item factors (0 for items never trained on; with a content tower,
        its map of any item's attributes)."""
        if self._theta is not None:
            return self._tower(np.asarray(items), slice(0, int(self.n_factors)))
        return self._rows(self._v, np.asarray(items))

    def item_bias(self, items: np.ndarray) -> np.ndarray:
        """``(...)`` item biases (0 for items never trained on; with a content tower, its
        map of any item's attributes)."""
        if self._theta is not None:
            return self._tower(np.asarray(items), int(self.n_factors))
        return self._rows(self._item_bias, np.asarray(items))

    def user_bias(self, users: np.ndarray) -> np.ndarray:
        """``(...)`` user biases."""
        return self._rows(self._user_bias, np.asarray(users))

    def pair_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(B, n)`` predicted clicks of ``items[b, j]`` for ``users[b]`` (broadcast)."""
        users = np.asarray(users).reshape(-1, 1) if np.ndim(users) == 1 else np.asarray(users)
        u = self.user_factors(users)
        v = self.item_factors(items)
        base = self._mu + self.user_bias(users) + self.item_bias(items)
        if self.head == "mlp" and self._mlp is not None:
            return base + self._mlp(u * v)
        u = u @ self._w  # the dot head: W = I
        return base + np.einsum("bnf,bnf->bn",
                                np.broadcast_to(u, v.shape[:-1] + u.shape[-1:]), v)

    def validation_mse(self) -> float | None:
        """Progressive-validation MSE since the last call (then reset); ``None``: no rows."""
        total, rows = self._mse
        self._mse = [0.0, 0.0]
        return total / rows if rows else None

    def explore_validation_mse(self) -> float | None:
        """Progressive-validation MSE on the exploration rows since the last call (then
        reset); ``None``: no exploration rows."""
        total, rows = self._mse_explore
        self._mse_explore = [0.0, 0.0]
        return total / rows if rows else None

    def __repr__(self) -> str:
        return (f"FactorUpstream(n_factors={self.n_factors}, regularization="
                f"{self.regularization}, train_on={self.train_on!r}, share={self.share}, "
                f"head={self.head!r}, target={self.target!r}"
                + (f", item_side={self.item_side!r})" if self.item_side != "free" else ")"))
