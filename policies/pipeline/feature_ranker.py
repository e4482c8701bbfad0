"""A downstream ranker whose inputs are a learned upstream's outputs: a linear model.

The ranker's model class is linear in a feature map of the upstream's outputs for the
pair (user ``u``, item ``i``), with ``b`` the upstream's item bias, ``U``/``V`` its user
and item factors and ``s`` its score:

* ``interaction``: ``[1, b_i, U_u * V_i]`` (elementwise product: the ranker can reweigh
  each latent dimension of the upstream's dot product);
* ``towers``: ``[1, b_i, U_u, V_i]`` (the two towers side by side, no interaction: a
  ranker that is linear in its inputs cannot personalize from them);
* ``score``: ``[1, s(u, i)]``;
* ``per_user``: the upstream's item outputs ``[1, b_i, V_i]``, with weights of the
  ranker's own per user (a global ridge fit, then each user's ridge fit of the residual
  on the same features, penalty ``user_regularization``): the ranker learns who likes
  what from its own rows, over the upstream's item representation (the paper's linear
  downstream on the upstream's features). Its model class is linear in ``[1, b_i, V_i]``
  *per user* (:attr:`per_user`). With ``genres = G > 0`` the item outputs also hold the
  item's genre as indicators ``1[g_i = g]``, ``g = 1 .. G-1`` (the ranker reads the
  genres from the catalogue itself: it asks the engine for it, ``needs_item_attributes``,
  and the world must give ``world.item_attributes > 0``), so the per-user
  weights learn each user's taste for each genre directly and the upstream's factors
  matter only within a genre (the paper's downstream, which must tell apart what the
  upstream's coarse task merges).

It is fitted by ridge regression of the click on the features, on the rows the pipeline
served (organic rows too with ``learn_from_organic``), every row re-featurized with the
upstream of the moment at each retraining (the features change when the upstream
retrains). Rows are aggregated by (user, item) pair (same fit, fewer rows).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from loopsim.policies.pipeline.learned_upstream import ridge_rows
from loopsim.policies.pipeline.stage_checks import stage_error
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.params.component_schema import NonNegativeInt, Positive

__all__ = ["FEATURE_MAPS", "FeatureRanker", "upstream_features"]

FEATURE_MAPS = ("interaction", "towers", "score", "per_user")


def upstream_features(upstream: object, kind: str, users: np.ndarray,
                      items: np.ndarray, genres: int = 0,
                      genre_of: Callable[[np.ndarray], np.ndarray] | None = None
                      ) -> np.ndarray:
    """``(B, n, d)`` the feature map ``kind`` of ``upstream`` for ``items[b, j]`` and
    ``users[b]`` (``items`` ``(B, n)``, ``users`` ``(B,)``); ``per_user`` with
    ``genres = G > 0`` appends the genre indicators ``1[g_i = g]``, ``g = 1 .. G-1``, of
    the codes ``genre_of(items)`` (:meth:`FeatureRanker.item_genres`)."""
    if kind not in FEATURE_MAPS:
        raise stage_error("ranker", f"`features == {kind!r}` is not a feature map.",
                          f"use one of {', '.join(FEATURE_MAPS)}.")
    b, n = items.shape
    ones = np.ones((b, n, 1))
    if kind == "score":
        return np.concatenate([ones, upstream.pair_scores(users, items)[..., None]], axis=2)
    u = np.broadcast_to(upstream.user_factors(users)[:, None, :], (b, n, upstream.n_factors))
    v = upstream.item_factors(items)
    bias = upstream.item_bias(items)[..., None]
    if kind == "interaction":
        return np.concatenate([ones, bias, u * v], axis=2)
    if kind == "per_user":
        if genres <= 0:
            return np.concatenate([ones, bias, v], axis=2)
        if genre_of is None:
            raise stage_error("ranker", f"`genres == {genres}` needs the items' genre codes, "
                              "and no lookup was given.", "pass genre_of "
                              "(FeatureRanker.item_genres) with genres.")
        g = genre_of(items)[..., None] == np.arange(1, int(genres))
        return np.concatenate([ones, bias, v, g.astype(np.float64)], axis=2)
    return np.concatenate([ones, bias, u, v], axis=2)


class FeatureRanker:
    """Linear in the upstream's outputs, fitted by ridge regression of clicks.

    The upstream is handed over by the pipeline (:meth:`use_upstream`); the ranker never
    trains it.

    Args:
        features: The feature map (``interaction``, ``towers`` or ``score``).
        regularization: Ridge penalty (per showing).
        learn_from_organic: Also fit to the organic rows.
        user_regularization: Ridge penalty of the per-user weights (``per_user``).
        genres: ``per_user`` only: the number of genre codes ``G`` whose indicators
            ``g = 1 .. G-1`` join the item outputs (0: none; 1 is refused: it adds no
            indicator). The world's codes must all be below it (``2 ** world.genre_bits``
            codes for ``SyntheticWorld``); the ranker reads them from the catalogue.

    Raises:
        ConfigError: ``genres`` with another feature map than ``per_user``, or
            ``genres == 1``.
    """

    personalized = True

    def __init__(self, features: str = "interaction", regularization: Positive = 1.0,
                 learn_from_organic: bool = False,
                 user_regularization: Positive = 1.0, genres: NonNegativeInt = 0) -> None:
        self.features = features
        self.genres = genres
        if genres and features != "per_user":
            raise stage_error("ranker", f"`genres == {genres}` with `features == "
                              f"{features!r}`: genre indicators join only the per_user "
                              "feature map.", "set features: per_user, or genres: 0.")
        if genres == 1:
            raise stage_error("ranker", "`genres == 1` adds no indicator (code 0 is "
                              "carried by the intercept).", "set genres: 0, or the number "
                              "of genre codes (2 or more).")
        self._catalogue: object | None = None
        self.regularization = regularization
        self.learn_from_organic = learn_from_organic
        self.user_regularization = user_regularization
        self._w_user = np.zeros((0, 0))
        self._version = 0
        self._upstream: object | None = None
        self._keys = np.zeros(0, dtype=np.int64)
        self._sums = np.zeros((0, 2))
        self._w: np.ndarray | None = None

    @property
    def version(self) -> int:
        """Model version: 0 untrained, then one more per retraining."""
        return self._version

    @property
    def per_user(self) -> bool:
        """Whether its model class is linear in its inputs per user (``per_user``)."""
        return self.features == "per_user"

    @property
    def needs_item_attributes(self) -> bool:
        """Whether it reads the catalogue (the genres): with ``genres > 0``."""
        return int(self.genres) > 0

    def use_item_attributes(self, catalogue: object) -> None:
        """Keep the catalogue's read-only metadata (an ``ItemCatalogue``; the engine)."""
        self._catalogue = catalogue

    def item_genres(self, items: np.ndarray) -> np.ndarray:
        """``(...)`` the genre codes of ``items``, each checked to be below ``genres``."""
        if self._catalogue is None:
            raise stage_error("ranker", f"`genres == {self.genres}` reads the items' genres "
                              "from the catalogue, but none was handed over.", "run it in "
                              "the loop with world.item_attributes > 0 (the engine hands "
                              "the catalogue), or call use_item_attributes(ItemCatalogue("
                              "world)).")
        items = np.asarray(items)
        codes = self._catalogue.genres(items.reshape(-1)).reshape(items.shape)
        if codes.size and int(codes.max()) >= int(self.genres):
            raise stage_error("ranker", f"`genres == {self.genres}`, but the world has genre "
                              f"code {int(codes.max())}: codes at or above it would share "
                              "code 0's indicator.", f"set genres to at least "
                              f"{int(codes.max()) + 1} (2 ** world.genre_bits).")
        return codes

    def use_upstream(self, upstream: object) -> None:
        """The upstream whose outputs are this ranker's inputs."""
        self._upstream = upstream

    def _up(self) -> object:
        if self._upstream is None:
            raise stage_error("ranker", "FeatureRanker has no upstream.",
                              "use it inside policies.pipeline.LearnedPipeline.")
        return self._upstream

    def pair_features(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(B, n, d)`` this ranker's inputs for ``items[b, j]`` and ``users[b]``."""
        return upstream_features(self._up(), self.features, users, items, int(self.genres),
                                 self.item_genres)

    def update(self, feedback: Feedback) -> None:
        """Add the rows it learns from; refit on every pair with the upstream of now."""
        rows = (np.ones(len(feedback), dtype=bool) if self.learn_from_organic
                else feedback.recommended)
        if rows.any():
            keys = feedback.user[rows].astype(np.int64) << 32 | feedback.item[rows]
            clicks = feedback.click[rows].astype(np.float64)
            all_keys = np.concatenate([self._keys, keys])
            sums = np.concatenate([self._sums, np.stack([clicks, np.ones_like(clicks)], 1)])
            self._keys, inverse = np.unique(all_keys, return_inverse=True)
            self._sums = np.zeros((self._keys.size, 2))
            np.add.at(self._sums, inverse, sums)
        self.refit()

    def refit(self) -> None:
        """Ridge regression of the pairs' click rates on their current features."""
        if self._keys.size == 0:
            return
        users = (self._keys >> 32).astype(np.int64)
        items = (self._keys & 0xFFFFFFFF).astype(np.int64)
        x = self.pair_features(users, items[:, None])[:, 0, :]
        n = self._sums[:, 1]
        y = self._sums[:, 0] / n
        gram = (x * n[:, None]).T @ x + float(self.regularization) * np.eye(x.shape[1])
        self._w = np.linalg.solve(gram, (x * (n * y)[:, None]).sum(axis=0))
        if self.per_user:
            self._w_user = ridge_rows(users, int(users.max()) + 1, x, y - x @ self._w, n,
                                       float(self.user_regularization))
        self._version += 1

    def pair_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(B, n)`` predicted clicks (0 before the first fit)."""
        if self._w is None:
            return np.zeros(items.shape)
        x = self.pair_features(users, items)
        if not self.per_user:
            return x @ self._w
        users = np.asarray(users).reshape(-1)
        w = np.zeros((users.size, x.shape[2]))
        known = users < self._w_user.shape[0]
        w[known] = self._w_user[users[known]]
        return x @ self._w + np.einsum("bnp,bp->bn", x, w)

    def user_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``(U, I)`` scores of every item for every user."""
        return self.pair_scores(users, np.broadcast_to(items, (users.shape[0], items.size)))

    def scores(self, items: np.ndarray) -> np.ndarray:
        """Population-level scores: the mean over (up to 200 of) the users trained on."""
        if self._w is None or self._keys.size == 0:
            return np.zeros(items.size)
        users = np.unique(self._keys >> 32)
        sample = users[:: max(1, users.size // 200)]
        return self.user_scores(sample, items).mean(axis=0)

    def __repr__(self) -> str:
        return f"FeatureRanker(features={self.features!r}, regularization={self.regularization})"
