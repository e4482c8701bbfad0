"""Two learned stages in the loop: a learned upstream whose outputs are the ranker's inputs.

The upstream (:class:`~.FactorUpstream`) is trained on its own loss and its own traffic;
it retrieves each session's pool (its ``n`` highest scores; ``n = None``: the whole
catalogue) and hands its outputs to the downstream ranker (:class:`~.FeatureRanker`), a
linear model of clicks over features of those outputs, which orders the pool greedily.
Both retrain in the loop, each on its own cadence (the pipeline's
:class:`~.StageSchedule`). Ties are broken at random per session (an untrained upstream
scores every item alike: its pools are then uniform draws).

An exploration share (``explore``): that share of sessions, drawn per session, is served
a uniform random slate of the request's candidates instead (traffic no upstream chose).
The draws come from the pipeline's own exploration stream, a child spawned from the
policy stream at the first request: spawning draws nothing from the policy stream, so
the served slates of the other sessions are the ones ``explore = 0`` serves, and two
systems run at one seed (the same arrivals and catalogue) explore the same sessions with
the same slates. Both upstreams (deployed and shadow) train on all rows, exploration
rows included, and report their progressive-validation MSE on the exploration rows
alone (``upstream_mse_explore_window``, ``shadow_mse_explore_window``).

This is the structure of Wu et al. (2021), "Fixes that fail": the downstream model is
trained on the upstream's outputs; the loop computes their error decomposition from the
truth (:mod:`loopsim.simulator.metrics.decomposition`) through :meth:`ranker_features`.
"""

from __future__ import annotations

import numpy as np
from loopsim.policies.pipeline.feature_ranker import FeatureRanker, upstream_features
from loopsim.policies.pipeline.learned_upstream import FactorUpstream
from loopsim.policies.pipeline.pipeline import StageSchedule
from loopsim.policies.pipeline.stage_checks import stage_error
from loopsim.policies.selectors.ties import top_k_rows_random_ties
from loopsim.policies.selectors.topk import sample_rows_without_replacement
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.params.component_schema import Positive, PositiveInt, Probability

__all__ = ["LearnedPipeline"]


class LearnedPipeline:
    """A learned upstream, then a ranker over its outputs: a ``RankingPolicy``.

    Args:
        upstream: The learned upstream (its own loss, its own training traffic).
        ranker: The downstream model over the upstream's outputs.
        n: Candidates per session retrieved by the upstream's scores (``None``: all).
        upstream_retrain_interval: Days between retrainings of the upstream
            (``None``: at every update).
        ranker_retrain_interval: Days between retrainings of the ranker.
        shadow: Another upstream trained and validated on the same rows as ``upstream``
            but never serving (the alternative an upstream team compares offline): its
            ``shadow_mse_window`` and the deployed ``upstream_mse_window`` are measured on
            identical rows, so their difference is the upstream's own paired metric.
        explore: Share of sessions served a uniform random slate of the candidates
            (the exploration slice both upstreams also validate on; 0: none, and
            nothing else changes).
    """

    def __init__(self, upstream: FactorUpstream, ranker: FeatureRanker,
                 n: PositiveInt | None = 100,
                 upstream_retrain_interval: Positive | None = 1.0,
                 ranker_retrain_interval: Positive | None = 1.0,
                 shadow: FactorUpstream | None = None,
                 explore: Probability = 0.0) -> None:
        self.upstream = upstream
        self.ranker = ranker
        self.n = n
        self.upstream_retrain_interval = upstream_retrain_interval
        self.ranker_retrain_interval = ranker_retrain_interval
        self.shadow = shadow
        self.explore = explore
        self._state: dict | None = None

    def _s(self) -> dict:
        if self._state is None:
            self.ranker.use_upstream(self.upstream)
            self._state = {
                "now": 0.0, "last": None, "mse": [0.0, 0],
                "explore_rng": None, "explored": {}, "explore_t": -np.inf,
                "upstream": StageSchedule("upstream", self.upstream_retrain_interval, None),
                "ranker": StageSchedule("ranker", self.ranker_retrain_interval, None),
            }
        return self._state

    @property
    def max_slate_size(self) -> int | None:
        """The largest slate it can fill: its pool size (``None``: any)."""
        return None if self.n is None else int(self.n)

    @property
    def versions(self) -> dict[str, int]:
        """The model version of each stage now deployed."""
        return {"upstream": int(self.upstream.version), "ranker": int(self.ranker.version)}

    def pools(self, request: SlateRequest) -> np.ndarray:
        """``(B, n)`` each session's candidates: the upstream's top ``n``."""
        cands = request.candidates
        if self.n is None:
            return np.broadcast_to(cands, (request.batch_size, cands.size))
        n = int(self.n)
        if not request.k <= n <= cands.size:
            raise stage_error(
                "upstream", f"`policy.n == {self.n!r}` must lie between the slate size "
                f"({request.k}) and the catalogue ({cands.size} items at t="
                f"{request.t:.4f} days).", "set policy.n in that range, or null (the "
                "whole catalogue).")
        scores = self.upstream.pair_scores(request.users,
                                           np.broadcast_to(cands, (request.batch_size,
                                                                   cands.size)))
        return cands[top_k_rows_random_ties(scores, n, request.rng)]

    def rank(self, request: SlateRequest) -> Slates:
        """The upstream's pool, ordered by the ranker (greedy, ties at random)."""
        s = self._s()
        s["now"] = max(s["now"], float(request.t))
        pools = self.pools(request)
        scores = self.ranker.pair_scores(request.users, pools)
        top = top_k_rows_random_ties(scores, request.k, request.rng)
        s["last"] = pools
        slates = np.take_along_axis(pools, top, axis=1)
        if not float(self.explore) > 0.0:
            return Slates(slates, None, versions=self.versions)
        items, propensities = self._explore(request, slates)
        return Slates(items, propensities, versions=self.versions)

    def _explore(self, request: SlateRequest,
                 greedy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The slates with the exploration share's sessions replaced by uniform slates of
        the candidates, and each placement's exact probability (``explore / n`` plus
        ``1 - explore`` where the greedy slate put the item there). Records the
        exploration rows (user, item, rank and the span of session times since the
        previous request, which holds this batch's sessions) for :meth:`update`."""
        s = self._s()
        eps = float(self.explore)
        if not eps <= 1.0:
            raise stage_error("pipeline", f"`explore == {self.explore!r}` must be in [0, 1].",
                              "set policy.explore to the share of sessions served a "
                              "uniform slate, e.g. 0.05.")
        if s["explore_rng"] is None:  # spawning draws nothing from the policy stream
            s["explore_rng"] = request.rng.spawn(1)[0]
        rng = s["explore_rng"]
        cands = request.candidates
        rows = np.flatnonzero(rng.random(request.batch_size) < eps)
        items = np.array(greedy, dtype=np.int64, copy=True)
        if rows.size:
            items[rows] = sample_rows_without_replacement(rng, cands.size, rows.size,
                                                          request.k, values=cands)
            span = (s["explore_t"], float(request.t))  # the batch's sessions lie in it
            for u, row in zip(request.users[rows].tolist(), items[rows].tolist(),
                              strict=True):
                for r, i in enumerate(row, start=1):
                    s["explored"].setdefault((u, i, r), []).append(span)
        s["explore_t"] = float(request.t)
        propensities = eps / cands.size + (1.0 - eps) * (items == greedy)
        return items, propensities

    def _explored_rows(self, feedback: Feedback) -> np.ndarray:
        """``(N,)`` bool: the feedback's rows served by exploration (then forgotten): its
        user, item and rank, and a session time inside the span of the request that
        explored it."""
        explored = self._s()["explored"]
        mask = np.zeros(len(feedback), dtype=bool)
        if not explored:
            return mask
        rows = zip(feedback.user.tolist(), feedback.item.tolist(), feedback.rank.tolist(),
                   feedback.t.tolist(), feedback.recommended.tolist(), strict=True)
        for j, (u, i, r, t, served) in enumerate(rows):
            spans = explored.get((u, i, r)) if served else None
            if not spans:
                continue
            for n, (lo, hi) in enumerate(spans):
                if lo < t <= hi:
                    mask[j] = True
                    del spans[n]
                    break
            if not spans:
                del explored[(u, i, r)]
        return mask

    def update(self, feedback: Feedback) -> None:
        """Train each stage that is due on the rows it has not seen (upstream first).

        A new upstream changes the ranker's inputs: the ranker is then refitted on its
        rows even when its own retraining is not due.
        """
        s = self._s()
        if len(feedback):
            s["now"] = max(s["now"], float(np.max(feedback.t)))
        trained = []
        for name, stage in (("upstream", self.upstream), ("ranker", self.ranker)):
            batch = s[name].add(feedback, s["now"])
            if batch is None:
                continue
            if name == "upstream":
                args = (self._explored_rows(batch),) if float(self.explore) > 0 else ()
                self.upstream.update(batch, *args)
                if self.shadow is not None:
                    self.shadow.update(batch, *args)
            else:
                stage.update(batch)
            trained.append(name)
        if trained == ["upstream"]:
            self.ranker.refit()  # its inputs changed: refit on the rows it has

    def parts(self) -> tuple[object, ...]:
        """The stages (an upstream takes a child of the policy stream)."""
        return (self.upstream, self.ranker) + ((self.shadow,) if self.shadow else ())

    def item_scores(self, items: np.ndarray) -> np.ndarray:
        """The ranker's population-level scores."""
        return self.ranker.scores(items)

    def last_pools(self) -> np.ndarray | None:
        """``(B, n)`` the pools of the last :meth:`rank` call."""
        return self._s()["last"]

    @property
    def ranker_per_user(self) -> bool:
        """Whether the ranker's model class is linear in its inputs per user."""
        return bool(self.ranker.per_user)

    def ranker_features(self, users: np.ndarray,
                        pools: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The upstream's outputs ``[1, b_i, U_u, V_i]`` and the ranker's inputs, now.

        With a per-user ranker the outputs are the item side ``[1, b_i, V_i]`` (and the
        genre indicators, with the ranker's ``genres``): the
        decomposition then fits per session, where the user's factors are constants
        (their products with ``V_i`` lie in the span of ``V_i``)."""
        kind = "per_user" if self.ranker_per_user else "towers"
        genres = int(self.ranker.genres) if self.ranker_per_user else 0
        return (upstream_features(self.upstream, kind, users, pools, genres,
                                  self.ranker.item_genres if genres else None),
                self.ranker.pair_features(users, pools))

    def stage_metrics(self) -> dict[str, float]:
        """Versions, trainings and the upstream's own metric (``upstream_mse_window``;
        with exploration, also on the exploration rows alone: ``*_mse_explore_window``)."""
        s = self._s()
        out = {f"version_{k}": float(v) for k, v in self.versions.items()}
        for name in ("upstream", "ranker"):
            out[f"trainings_{name}"] = float(s[name].trainings)
        mse = self.upstream.validation_mse()
        if mse is not None:
            out["upstream_mse_window"] = mse
        if self.shadow is not None:
            mse = self.shadow.validation_mse()
            if mse is not None:
                out["shadow_mse_window"] = mse
        for name, stage in (("upstream", self.upstream), ("shadow", self.shadow)):
            mse = None if stage is None else stage.explore_validation_mse()
            if mse is not None:
                out[f"{name}_mse_explore_window"] = mse
        return out

    def __repr__(self) -> str:
        extra = f", explore={self.explore}" if float(self.explore) > 0 else ""
        return (f"LearnedPipeline(upstream={self.upstream!r}, ranker={self.ranker!r}, "
                f"n={self.n}{extra})")
