"""Incremental metric counters, and the snapshot that turns them into metric values.

The recorder sees each served batch once (counters, not a log) and, at every snapshot,
computes the metrics of docs/metrics.md on the items available at that time with the pure
functions of :mod:`loopsim.simulator.metrics`.
"""

from __future__ import annotations

import numpy as np
from loopsim.simulator.contract.batches import Slates
from loopsim.simulator.contract.click_model import ClickModel
from loopsim.simulator.contract.world import (
    GroundTruth,
    HasPreferences,
    HasUsers,
    PairsSimilarUsers,
)
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.loop.catalogue import grown
from loopsim.simulator.metrics.batch_counts import BatchCounts, count_batch
from loopsim.simulator.metrics.concentration import Concentration, gini
from loopsim.simulator.metrics.ideal_slates import IdealSlates
from loopsim.simulator.metrics.item_batch import (
    ERROR_NAMES,
    ITEM_NAMES,
    REWARD_NAMES,
    SCORE_NAMES,
    ItemWindow,
    item_metrics,
    item_names,
)
from loopsim.simulator.metrics.loop_detector import BUCKETS, rank_error_from_ranks
from loopsim.simulator.metrics.ranking import DiscordantPairs, Ordering, ordering, rank_metrics
from loopsim.simulator.metrics.served import ndcg
from loopsim.simulator.metrics.slices import SliceRecorder
from loopsim.simulator.metrics.tally import tally
from loopsim.simulator.metrics.user_tracker import UserConsumption, preference_drift

#: Deferred item-side snapshots are computed once their vectors exceed this many entries.
_DEFER_MAX = 1 << 22


def _add(counters: tuple[np.ndarray, ...], ids: np.ndarray,
         per_item: np.ndarray | None) -> None:
    """Add one per id to every counter: ``per_item`` (their bincount) whole when given."""
    if per_item is None:
        tally(counters, ids)
        return
    n = per_item.shape[0]
    for counter in counters:
        counter[:n] += per_item.astype(counter.dtype, copy=False)


class MetricsRecorder:
    """Counters of exposure and clicks, and served-quality sums over the current window.

    Args:
        truth: The world's ground truth.
        click_model: Gives the exact expected clicks of slates.
        slate_size: ``k``: the cut-off of precision@k and NDCG@k.
        quality_rate: Probability that a session is sampled for the metrics that need
            the ideal slate (NDCG, regret); 1.0 evaluates every session.
        rng: The metrics stream (never affects the simulation).

    Attributes:
        deferred: When True (the loop sets it), the item-side metrics of a snapshot
            (:data:`~loopsim.simulator.metrics.item_batch.ITEM_NAMES` and the rank
            metrics of the scores) and the user-side ones (``homogenization``,
            ``user_entropy_window``) are ``nan`` placeholders, named in
            :attr:`last_deferred`, and :meth:`resolve` computes them for all snapshots
            at once (the same values). Snapshots with sliced metrics or rewards other
            than the clicks are computed at once either way.
    """

    def __init__(
        self,
        truth: GroundTruth,
        click_model: ClickModel,
        slate_size: int,
        quality_rate: float,
        rng: np.random.Generator,
    ) -> None:
        self.truth = truth
        self.click_model = click_model
        self.k = slate_size
        self.quality_rate = quality_rate
        self.rng = rng
        self.exposure = np.zeros(0, dtype=np.int64)
        self.clicks = np.zeros(0, dtype=np.int64)
        self.exposure_window = np.zeros(0, dtype=np.int64)
        self.clicks_window = np.zeros(0, dtype=np.int64)
        self.reward = np.zeros(0, dtype=np.float64)
        self.reward_window = np.zeros(0, dtype=np.float64)
        self.organic = np.zeros(0, dtype=np.int64)
        self.organic_window = np.zeros(0, dtype=np.int64)
        self.organic_sessions = 0
        self._rewards_checked = False  # the first batch with rewards is checked once
        # True while every reward counted was 1 per click: the reward counters then equal
        # the click counters and their measures are the clicks' (:meth:`_reward_metrics`).
        self._rewards_are_clicks = True
        self._shown_before = np.zeros(0, dtype=bool)  # items shown in the previous window
        self.impressions = 0
        self.sessions = 0
        self._reset_window()
        self._ideal = IdealSlates(truth, slate_size)
        # User-side metrics: a child of the metrics stream, so the draws above are unchanged.
        # Optional world hooks, checked once (simulator.world.base).
        n_users = int(truth.n_users) if isinstance(truth, HasUsers) else 0
        self._preferences = truth if isinstance(truth, HasPreferences) else None
        similar = truth.nearest_neighbour_pairs if isinstance(truth, PairsSimilarUsers) else None
        self.user_consumption = UserConsumption(n_users, rng.spawn(1)[0], similar_pairs=similar)
        self._value_order: Ordering | None = None
        self._click_pairs = DiscordantPairs()  # tau of the clicks, updated between snapshots
        #: Sliced metrics (simulator/metrics/slices.py), when the run asks for them.
        self.slices: SliceRecorder | None = None
        self.slice_rows: list[tuple[str, str, float]] = []
        self.deferred = False
        #: The names the last :meth:`snapshot` left as placeholders (empty: none).
        self.last_deferred: tuple[str, ...] = ()
        self._windows: list[ItemWindow] = []  # deferred snapshots not computed yet
        self._computed: list[dict[str, float]] = []  # deferred snapshots computed

    def _reset_window(self) -> None:
        self.exposure_window[:] = 0
        self.clicks_window[:] = 0
        self.reward_window[:] = 0
        self.organic_window[:] = 0
        self.w_sessions = 0
        self.w_expected = 0.0
        self.w_sampled = 0
        self.w_regret = 0.0
        self.w_ndcg = 0.0
        self.w_reward = 0.0

    def ensure_capacity(self, n: int) -> None:
        """Grow the counters to hold ``n`` item ids."""
        if self.exposure.shape[0] < n:
            self.exposure = grown(self.exposure, n)
            self.clicks = grown(self.clicks, n)
            self.exposure_window = grown(self.exposure_window, n)
            self.clicks_window = grown(self.clicks_window, n)
            self.reward = grown(self.reward, n)
            self.reward_window = grown(self.reward_window, n)
            self.organic = grown(self.organic, n)
            self.organic_window = grown(self.organic_window, n)
            self._shown_before = grown(self._shown_before, n)

    # -- per batch --------------------------------------------------------------------
    def record(
        self,
        users: np.ndarray,
        slates: Slates,
        clicks: np.ndarray,
        relevance: np.ndarray,
        candidates: np.ndarray,
        rewards: np.ndarray | None = None,
        t: float = 0.0,
        counts: BatchCounts | None = None,
    ) -> None:
        """Count one served batch and add its served quality to the window.

        ``rewards`` (``(B, k)``, e.g. downloads) are counted per item when given;
        otherwise the clicks count as the rewards. ``t`` (serving time) places the
        sessions in the time-dependent slices. ``counts``: the batch's
        :func:`~loopsim.simulator.metrics.batch_counts.count_batch` when the caller has
        made it (the engine, which hands its totals to training too); made here if not.
        """
        items = slates.items
        b, k = items.shape
        size = int(candidates[-1]) + 1 if candidates.size else 0
        self.ensure_capacity(size)
        if counts is None:
            counts = count_batch(slates, clicks, size)
        totals = counts.totals
        if totals is not None:  # per-item vectors: added whole
            self.exposure[: totals.size] += totals.rows
            self.exposure_window[: totals.size] += totals.rows
        else:
            fixed = slates.fixed_columns if slates.is_constructed else 0
            if slates.is_shared:
                fixed = k
            if fixed:  # the same ids in every row: counted once
                self.exposure[items[0, :fixed]] += b
                self.exposure_window[items[0, :fixed]] += b
            if fixed < k:
                tally((self.exposure, self.exposure_window), items[:, fixed:])
        if rewards is not None and not self._rewards_checked:
            self._check_rewards_follow_clicks(rewards, clicks)
        clicked = counts.clicked
        self._record_clicks_and_rewards(
            clicked, None if rewards is None else np.asarray(rewards).reshape(-1)[counts.hits],
            None if totals is None else totals.clicks)
        self.impressions += b * k
        self.sessions += b
        self.w_sessions += b
        expected = self.click_model.expected_clicks(relevance)
        self.w_expected += float(expected.sum())
        quality = self._record_quality(users, relevance, expected, candidates)
        self.user_consumption.record_clicks(users[counts.sessions], clicked)
        if self.slices is not None:
            sample, regret, ndcg_values = quality or (np.zeros(0, np.int64), np.zeros(0),
                                                      np.zeros(0))
            self.slices.record(t, users, items, clicks, expected, sample, regret, ndcg_values)

    def record_organic(self, items: np.ndarray) -> None:
        """Count organic consumption (items users found outside the recommender)."""
        if items.size == 0:
            return
        self.ensure_capacity(int(items.max()) + 1)
        tally((self.organic, self.organic_window), items)
        self.organic_sessions += int(items.size)

    def _check_rewards_follow_clicks(self, rewards: np.ndarray, clicks: np.ndarray) -> None:
        """Refuse, once per run, a click model that rewards impressions nobody clicked.

        The reward counters read rewards at the clicks only (:meth:`_record_clicks_and_rewards`), so
        a reward elsewhere would be lost from the metrics while policies still saw it.
        """
        self._rewards_checked = True
        stray = np.asarray(rewards)[~np.asarray(clicks, dtype=bool)]
        bad = np.flatnonzero(stray != 0)
        if bad.size:
            raise ConfigError(
                f"Click model {type(self.click_model).__name__} gave a reward of "
                f"{float(stray[bad[0]])!r} to an impression that was not clicked "
                f"({bad.size} such impressions in the first served batch). Rewards follow "
                "clicks (a conversion, a rating, a utility of what was chosen): return 0 "
                "where `clicks` is False."
            )

    def _record_clicks_and_rewards(self, clicked: np.ndarray, rewards: np.ndarray | None,
                                   per_item: np.ndarray | None = None) -> None:
        """Count the clicks, and the rewards of the clicked impressions, per item.

        Rewards follow clicks (a download after a listen, a rating after a choice): every
        click model gives 0 reward where there is no click, so only the clicks are read.
        A reward of 1 per click (``None``, or every value 1: a click model without a
        conversion step) is counted with the clicks in one pass (the same sums).
        ``per_item``: the clicks already counted per item id (``bincount(clicked)``), added
        whole instead of counting ``clicked`` again.
        """
        counters = (self.clicks, self.clicks_window, self.reward, self.reward_window)
        values = None if rewards is None else np.asarray(rewards, dtype=np.float64)
        if values is None or bool((values == 1.0).all()):
            _add(counters, clicked, per_item)
        else:
            self._rewards_are_clicks = False
            _add(counters[:2], clicked, per_item)
            tally(counters[2:], clicked, values)
        self.w_reward += float(clicked.size) if values is None else float(values.sum())

    def _record_quality(
        self,
        users: np.ndarray,
        relevance: np.ndarray,
        expected: np.ndarray,
        candidates: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Add the sampled sessions' regret and NDCG; return them per session for slices."""
        if self.quality_rate >= 1.0:
            sample = np.arange(users.shape[0])
        else:
            sample = np.flatnonzero(self.rng.random(users.shape[0]) < self.quality_rate)
        if sample.size == 0:
            return None
        ideal = self.ideal_slates(users[sample], candidates)
        served = relevance[sample]
        best = self.click_model.best_expected_clicks(ideal)
        values = ndcg(served, ideal)
        self.w_sampled += sample.size
        self.w_regret += float(best.sum() - expected[sample].sum())
        self.w_ndcg += float(values.sum())
        if self.slices is None:
            return None
        return sample, best - expected[sample], values

    def best_expected_clicks(self, users: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """``(B,)`` expected clicks of each user's best slate from ``candidates`` (truth)."""
        return self.click_model.best_expected_clicks(self.ideal_slates(users, candidates))

    def ideal_slates(self, users: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """``(B, k)`` best relevances available to each user, sorted descending
        (:class:`~loopsim.simulator.metrics.ideal_slates.IdealSlates`)."""
        return self._ideal(users, candidates)

    # -- per snapshot -----------------------------------------------------------------
    def snapshot(self, candidates: np.ndarray, scores: np.ndarray | None, t: float = 0.0,
                 arrival: np.ndarray | None = None) -> dict[str, float]:
        """Metric values on the available ``candidates``; resets the window.

        With slices on, the sliced rows are left in :attr:`slice_rows`.

        Args:
            candidates: Ids of the items available now.
            scores: The policy's ``item_scores(candidates)``, or ``None``.
            t: The time now (for the time-dependent slices).
            arrival: ``(n_total,)`` arrival day of every item id (for the item-age slices).
        """
        self.ensure_capacity(int(candidates[-1]) + 1 if candidates.size else 0)
        exposure = self.exposure[candidates]
        clicks = self.clicks[candidates]
        exposure_w = self.exposure_window[candidates]
        clicks_w = self.clicks_window[candidates]
        value = self.truth.true_value(candidates)
        self.last_deferred = ()
        if self._rewards_are_clicks and self.slices is None:
            return self._item_snapshot(candidates, scores, exposure, clicks, exposure_w,
                                       clicks_w, value)
        nan = float("nan")
        orders = self._ranking_orders(value, clicks, scores)
        ranks = self._ranking_metrics(*orders)
        # Each array is sorted once for all its measures (the clicks by their Ordering).
        by_clicks = orders[1]
        exp, exp_w = Concentration(exposure), Concentration(exposure_w)
        clk = Concentration(clicks, by_clicks.values[by_clicks.order])
        clk_w = Concentration(clicks_w)
        out = {
            "gini_exposure": exp.gini(),
            "gini_clicks": clk.gini(),
            "gini_exposure_window": exp_w.gini(),
            "gini_clicks_window": clk_w.gini(),
            "entropy_exposure": exp.normalized_entropy(),
            "entropy_exposure_window": exp_w.normalized_entropy(),
            "top10_share_exposure": exp.top_share(0.1),
            "top10_share_clicks": clk.top_share(0.1),
            "coverage_exposure": exp.coverage(),
            "coverage_window": exp_w.coverage(),
            "tau_popularity": ranks.pop("tau_popularity"),
            "spearman_popularity": ranks.pop("spearman_popularity"),
            "precision_at_k": ranks.pop("precision_at_k"),
        }
        out.update(self._window_metrics(candidates, clicks, clicks_w, exposure_w))
        out.update(self._reward_metrics(candidates, clk, clk_w))
        out.update(ranks)  # the scores' metrics, when the policy gives scores
        truth, _, by_scores = orders
        if by_scores is not None:
            if truth.has_nan or by_scores.has_nan or not candidates.size:
                errors = {name: nan for name in BUCKETS}
            else:
                errors = rank_error_from_ranks(truth.ranks, by_scores.ranks, exp.values)
            out.update({f"rank_error_{bucket}": e for bucket, e in errors.items()})
        out.update(self.user_consumption.snapshot())
        drift = None if self._preferences is None else preference_drift(self._preferences)
        if drift is not None:
            out["drift_distance"] = drift
        if self.slices is not None:
            arrivals = arrival[candidates] if arrival is not None else np.zeros(candidates.size)
            self.slice_rows = self.slices.snapshot(
                t, self.k, candidates, exposure, exposure_w, clicks_w, value,
                None if scores is None else np.asarray(scores, dtype=np.float64), arrivals)
        self._reset_window()
        return out

    def _item_snapshot(self, candidates: np.ndarray, scores: np.ndarray | None,
                       exposure: np.ndarray, clicks: np.ndarray, exposure_w: np.ndarray,
                       clicks_w: np.ndarray, value: np.ndarray) -> dict[str, float]:
        """:meth:`snapshot` with the item-side metrics from :mod:`.item_batch`.

        The same names in the same order as the general path, whose values they equal;
        deferred (placeholders) when :attr:`deferred` is set.
        """
        truth = self._value_order
        if truth is None or not np.array_equal(truth.values, value):
            truth = self._value_order = ordering(np.array(value, dtype=np.float64))
        own = None
        if scores is not None:
            own = np.asarray(scores, dtype=np.float64)
            if own.shape == clicks.shape and np.array_equal(own, clicks):
                own = clicks  # a popularity policy: the scores share the clicks' metrics
        window = ItemWindow(exposure, clicks, exposure_w, clicks_w, truth, own)
        nan = float("nan")
        if self.deferred:
            self.last_deferred = (*item_names(scores is not None),
                                  *self.user_consumption.names())
            item = dict.fromkeys(self.last_deferred, nan)
            self._windows.append(window)
            if len(self._windows) * 4 * max(1, candidates.size) > _DEFER_MAX:
                self._computed.extend(item_metrics(self._windows, self.k, self._click_pairs))
                self._windows = []
        else:
            item = item_metrics([window], self.k, self._click_pairs)[0]
        out = {name: item[name] for name in ITEM_NAMES}
        out.update(self._window_metrics(candidates, clicks, clicks_w, exposure_w))
        out.update({name: item[name] for name in REWARD_NAMES})
        out["reward_per_session_window"] = (
            self.w_reward / self.w_sessions if self.w_sessions else nan)
        if scores is not None:
            out.update({name: item[name] for name in (*SCORE_NAMES, *ERROR_NAMES)})
        out.update(self.user_consumption.snapshot(defer=self.deferred))
        drift = None if self._preferences is None else preference_drift(self._preferences)
        if drift is not None:
            out["drift_distance"] = drift
        self._reset_window()
        return out

    def resolve(self) -> list[dict[str, float]]:
        """The deferred metrics of the snapshots deferred since the last call, in order."""
        done, self._computed = self._computed, []
        if self._windows:
            done.extend(item_metrics(self._windows, self.k, self._click_pairs))
            self._windows = []
        users = self.user_consumption.resolve()
        for item, user in zip(done, users, strict=True):
            item.update(user)
        return done

    def _window_metrics(self, candidates: np.ndarray, clicks: np.ndarray,
                        clicks_w: np.ndarray, exposure_w: np.ndarray) -> dict[str, float]:
        """The served-quality means of the window, its turnover and the organic metrics
        (``clicks`` and the window's ``clicks_w``/``exposure_w`` of the ``candidates``).

        Moves the turnover's memory on to this window: called once per snapshot.
        """
        nan = float("nan")
        w_imp = int(exposure_w.sum())
        sessions, sampled = self.w_sessions, self.w_sampled
        out = {
            "ctr_window": float(clicks_w.sum()) / w_imp if w_imp else nan,
            "expected_clicks_window": self.w_expected / sessions if sessions else nan,
            "regret_window": self.w_regret / sampled if sampled else nan,
            "ndcg_window": self.w_ndcg / sampled if sampled else nan,
            "sessions_window": float(sessions),
            "n_available": float(candidates.size),
            "turnover_window": self._turnover(candidates, exposure_w),
        }
        if self.organic_sessions:
            out.update(self._organic_metrics(candidates, clicks))
        return out

    def _turnover(self, candidates: np.ndarray, exposure_w: np.ndarray) -> float:
        """Share of the items shown in this window that were not shown in the previous one."""
        shown = exposure_w > 0
        before = self._shown_before[candidates]
        self._shown_before[:] = False
        self._shown_before[candidates[shown]] = True
        n = int(shown.sum())
        return float((shown & ~before).sum()) / n if n else float("nan")

    def _organic_metrics(self, candidates: np.ndarray, clicks: np.ndarray) -> dict[str, float]:
        """Organic consumption, apart from recommended exposure, and both together."""
        organic = self.organic[candidates]
        organic_w = self.organic_window[candidates]
        return {
            "gini_organic": gini(organic),
            "gini_organic_window": gini(organic_w),
            "gini_consumption": gini(organic + clicks),
            "organic_window": float(organic_w.sum()),
        }

    def _ranking_orders(
        self, value: np.ndarray, clicks: np.ndarray, scores: np.ndarray | None
    ) -> tuple[Ordering, Ordering, Ordering | None]:
        """The sorts of the true values, the clicks and the scores (``None``: no scores).

        The true values' sort is kept while they do not change, and scores equal to the
        clicks (a popularity policy) reuse the clicks' sort.
        """
        truth = self._value_order
        if truth is None or not np.array_equal(truth.values, value):
            # A copy: a world may hand out (and later update) its own array.
            truth = self._value_order = ordering(np.array(value, dtype=np.float64))
        by_clicks = ordering(clicks)
        if scores is None:
            return truth, by_clicks, None
        scores = np.asarray(scores, dtype=np.float64)
        same = scores.shape == clicks.shape and np.array_equal(scores, by_clicks.values)
        return truth, by_clicks, by_clicks if same else ordering(scores, "scores")

    def _ranking_metrics(
        self, truth: Ordering, by_clicks: Ordering, by_scores: Ordering | None
    ) -> dict[str, float]:
        """Tau-b, Spearman and precision@k of clicks (and scores) against the true values.

        Each array is sorted once for its three metrics (:meth:`_ranking_orders`), and
        scores sorted like the clicks share their values.
        """
        names = ("tau_popularity", "spearman_popularity", "precision_at_k")
        clicks_values = rank_metrics(truth, by_clicks, self.k, self._click_pairs)
        out = dict(zip(names, clicks_values, strict=True))
        if by_scores is not None:
            values = clicks_values if by_scores is by_clicks else rank_metrics(
                truth, by_scores, self.k)
            out.update(zip(("tau_scores", "spearman_scores", "precision_at_k_scores"),
                           values, strict=True))
        return out

    def _reward_metrics(self, candidates: np.ndarray, clicks: Concentration,
                        clicks_w: Concentration) -> dict[str, float]:
        """Concentration of rewards (downloads, utility...) over the available items.

        Without a reward model the rewards are the clicks: their measures are then the
        clicks' (``clicks``, ``clicks_w``, the same values), not computed again. While
        every reward counted was 1 per click the counters are equal by construction and
        are not even compared.
        """
        if self._rewards_are_clicks:
            rew, rew_w = clicks, clicks_w
        else:
            reward = np.maximum(self.reward[candidates], 0.0)
            reward_w = np.maximum(self.reward_window[candidates], 0.0)
            rew = clicks if np.array_equal(reward, clicks.values) else Concentration(reward)
            rew_w = (clicks_w if np.array_equal(reward_w, clicks_w.values)
                     else Concentration(reward_w))
        return {
            "gini_reward": rew.gini(),
            "gini_reward_window": rew_w.gini(),
            "entropy_reward": rew.normalized_entropy(),
            "top10_share_reward": rew.top_share(0.1),
            "reward_per_session_window": (
                self.w_reward / self.w_sessions if self.w_sessions else float("nan")
            ),
        }
