"""Sliced metrics: the same measures per user cohort and per item cohort.

Aggregate metrics hide a failing slice. :class:`SliceRecorder` keeps window counters per
user cohort (filled as batches are served) and cuts the items into cohorts at every
snapshot. The slices (docs/metrics.md, "Slices"):

* user cohorts, by the user of each session: ``user_activity_low|mid|high`` (tertiles of
  the world's session rates at the start), ``user_new|user_old`` (new: joined within the
  last ``new_days`` days, after the start: the world's ``user_arrival_times()`` when it
  has them, else the first session), ``user_taste_<j>`` (nearest of ``taste_clusters``
  k-means centres of the world's starting preferences, when the world has them);
* item cohorts, among the available items: ``item_new|item_old`` (arrived within the last
  ``new_days`` days, after the start), ``item_head|item_torso|item_tail`` (cumulative
  exposure buckets of the loop detector), ``item_topic_<j>`` (the world's
  ``item_topics(items)``, when it has them).

User slices get the served-quality metrics of their sessions (``ctr_window``,
``expected_clicks_window``, ``regret_window``, ``ndcg_window``, ``sessions_window``) and
the concentration and coverage of what they were shown that window
(``gini_exposure_window``, ``coverage_window``). Item slices get ``gini_exposure``,
``gini_exposure_window``, ``coverage_window``, ``ctr_window``, ``exposure_share_window``
and ``rank_error`` (the loop detector's rank error of the policy's scores, averaged over
the cohort's items). Regret and NDCG are per session, so they are not cut by item.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.metrics.concentration import coverage, gini
from loopsim.simulator.metrics.loop_detector import exposure_buckets
from loopsim.simulator.metrics.ranking import average_ranks

__all__ = ["COHORTS", "SliceOptions", "SliceRecorder"]

#: The cohort families a run can slice by.
COHORTS = ("activity", "arrival", "taste", "item_age", "exposure", "topic")


@dataclass(frozen=True)
class SliceOptions:
    """The ``slices`` block of the config.

    Attributes:
        enabled: Compute sliced metrics (off: only the ``all`` rows).
        cohorts: Cohort families to slice by (a subset of :data:`COHORTS`).
        new_days: Days during which a user or an item counts as new.
        taste_clusters: Number of taste clusters (k-means of the starting preferences).
    """

    enabled: bool = False
    cohorts: tuple[str, ...] = COHORTS
    new_days: float = 7.0
    taste_clusters: int = 3

    def validate(self) -> None:
        """Raise :class:`ConfigError` on an unknown cohort or a bad number."""
        unknown = [c for c in self.cohorts if c not in COHORTS]
        if unknown:
            raise ConfigError(f"`slices.cohorts` names unknown cohorts {unknown}: allowed "
                              f"{list(COHORTS)}.")
        if not self.new_days > 0:
            raise ConfigError(f"`slices.new_days == {self.new_days}`: must be > 0.")
        if isinstance(self.taste_clusters, bool) or int(self.taste_clusters) < 1:
            raise ConfigError(f"`slices.taste_clusters == {self.taste_clusters}`: must be an "
                              "integer >= 1.")


def taste_clusters(preferences: np.ndarray, k: int, rng: np.random.Generator,
                   iterations: int = 10) -> np.ndarray:
    """``(n,)`` k-means cluster (by cosine on unit vectors) of each preference row.

    Started from farthest points (a random first centre, then each next one the row
    least similar to the centres so far), then ``iterations`` Lloyd steps.
    """
    n = preferences.shape[0]
    k = min(k, n)
    chosen = [int(rng.integers(n))]
    for _ in range(k - 1):
        closest = (preferences @ preferences[chosen].T).max(axis=1)
        chosen.append(int(np.argmin(closest)))
    centres = preferences[chosen].copy()
    label = np.zeros(n, dtype=np.int64)
    for _ in range(iterations):
        label = np.argmax(preferences @ centres.T, axis=1)
        for j in range(k):
            members = preferences[label == j]
            if members.shape[0]:
                centres[j] = members.mean(axis=0)
    return label


@dataclass
class _Partition:
    """One way of cutting the users: names and each user's cohort (``-1``: none)."""

    names: list[str]
    of_user: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


class SliceRecorder:
    """Window counters per user cohort, item cohorts cut at each snapshot.

    Args:
        options: Which cohorts, ``new_days``, number of taste clusters.
        world: The world (activity, optional preferences, arrival times and topics).
        rng: A child of the metrics stream (taste clustering only).
    """

    def __init__(self, options: SliceOptions, world: object, rng: np.random.Generator) -> None:
        self.options = options
        self.world = world
        n = int(getattr(world, "n_users", 0))
        self.n_users = n
        self.partitions: list[_Partition] = []
        wanted = set(options.cohorts)
        if "activity" in wanted and n:
            rates = np.asarray(world.activity(), dtype=np.float64)  # type: ignore[attr-defined]
            order = np.argsort(np.argsort(rates, kind="stable"), kind="stable")
            self.partitions.append(_Partition(
                ["user_activity_low", "user_activity_mid", "user_activity_high"],
                np.minimum(order * 3 // n, 2).astype(np.int64)))
        prefs = getattr(world, "initial_preferences", None)
        if "taste" in wanted and prefs is not None and n:
            label = taste_clusters(np.asarray(prefs), int(options.taste_clusters), rng)
            self.partitions.append(_Partition(
                [f"user_taste_{j}" for j in range(int(label.max()) + 1)], label))
        self.arrival_partition = "arrival" in wanted and n > 0
        arrivals = getattr(world, "user_arrival_times", None)
        self.declared_arrival = arrivals is not None
        self.user_arrival = (np.asarray(arrivals(), dtype=np.float64) if arrivals is not None
                             else np.full(n, np.inf))
        names = [name for p in self.partitions for name in p.names]
        if self.arrival_partition:
            names += ["user_new", "user_old"]
        self.user_names = names
        self.offsets = np.cumsum([0] + [len(p.names) for p in self.partitions])
        s = len(names)
        self._sums = np.zeros((5, s))  # sessions, clicks, expected, sampled, regret
        self._ndcg = np.zeros(s)
        self._exposure = np.zeros((s, 0), dtype=np.int64)

    # -- per batch ----------------------------------------------------------------------
    def _session_slices(self, t: float, users: np.ndarray) -> np.ndarray:
        """``(P, B)`` slice index of each session in each user partition."""
        rows = [p.of_user[users] + off for p, off in zip(self.partitions, self.offsets,
                                                         strict=False)]
        if self.arrival_partition:
            if not self.declared_arrival:
                seen = self.user_arrival[users]
                self.user_arrival[users] = np.where(np.isinf(seen), t, seen)
            arrival = self.user_arrival[users]
            new = (arrival > 0) & (arrival > t - self.options.new_days)
            base = self.offsets[len(self.partitions)]
            rows.append(np.where(new, base, base + 1))
        return np.stack(rows) if rows else np.zeros((0, users.shape[0]), dtype=np.int64)

    def record(self, t: float, users: np.ndarray, items: np.ndarray, clicks: np.ndarray,
               expected: np.ndarray, sample: np.ndarray, regret: np.ndarray,
               ndcg: np.ndarray) -> None:
        """Add one served batch to the window counters of the user slices.

        Args:
            t: Serving time.
            users: ``(B,)`` users of the sessions.
            items: ``(B, k)`` served items.
            clicks: ``(B, k)`` clicks.
            expected: ``(B,)`` exact expected clicks of each slate.
            sample: Indices of the sessions sampled for regret and NDCG.
            regret: ``(S,)`` regret of the sampled sessions.
            ndcg: ``(S,)`` NDCG of the sampled sessions.
        """
        if not self.user_names:
            return
        s = len(self.user_names)
        slices = self._session_slices(t, users)
        clicked = clicks.sum(axis=1)
        for row in slices:
            self._sums[0] += np.bincount(row, minlength=s)
            self._sums[1] += np.bincount(row, weights=clicked, minlength=s)
            self._sums[2] += np.bincount(row, weights=expected, minlength=s)
            if sample.size:
                picked = row[sample]
                self._sums[3] += np.bincount(picked, minlength=s)
                self._sums[4] += np.bincount(picked, weights=regret, minlength=s)
                self._ndcg += np.bincount(picked, weights=ndcg, minlength=s)
        need = int(items.max()) + 1 if items.size else 0
        if self._exposure.shape[1] < need:
            wider = np.zeros((s, max(need, 2 * self._exposure.shape[1])), dtype=np.int64)
            wider[:, : self._exposure.shape[1]] = self._exposure
            self._exposure = wider
        cap = self._exposure.shape[1]
        flat = (slices[:, :, None] * cap + items[None, :, :]).reshape(-1)
        np.add.at(self._exposure.reshape(-1), flat, 1)

    # -- per snapshot -------------------------------------------------------------------
    def snapshot(self, t: float, k: int, candidates: np.ndarray, exposure: np.ndarray,
                 exposure_w: np.ndarray, clicks_w: np.ndarray, value: np.ndarray,
                 scores: np.ndarray | None,
                 item_arrival: np.ndarray) -> list[tuple[str, str, float]]:
        """``(slice, metric, value)`` rows of every non-empty slice; resets the window."""
        out = self._user_rows(k, candidates)
        out += self._item_rows(t, candidates, exposure, exposure_w, clicks_w, value, scores,
                               item_arrival)
        self._sums[:] = 0
        self._ndcg[:] = 0
        self._exposure[:] = 0
        return out

    def _user_rows(self, k: int, candidates: np.ndarray) -> list[tuple[str, str, float]]:
        rows: list[tuple[str, str, float]] = []
        nan = float("nan")
        cap = self._exposure.shape[1]
        inside = candidates[candidates < cap]
        for j, name in enumerate(self.user_names):
            sessions, clicks, expected, sampled, regret = self._sums[:, j]
            if sessions == 0:
                continue
            shown = np.zeros(candidates.size, dtype=np.int64)
            shown[: inside.size] = self._exposure[j, inside]
            rows += [
                (name, "sessions_window", float(sessions)),
                (name, "ctr_window", float(clicks / (sessions * k))),
                (name, "expected_clicks_window", float(expected / sessions)),
                (name, "regret_window", float(regret / sampled) if sampled else nan),
                (name, "ndcg_window", float(self._ndcg[j] / sampled) if sampled else nan),
                (name, "gini_exposure_window", gini(shown)),
                (name, "coverage_window", coverage(shown)),
            ]
        return rows

    def _item_rows(self, t: float, candidates: np.ndarray, exposure: np.ndarray,
                   exposure_w: np.ndarray, clicks_w: np.ndarray, value: np.ndarray,
                   scores: np.ndarray | None,
                   item_arrival: np.ndarray) -> list[tuple[str, str, float]]:
        wanted = set(self.options.cohorts)
        cohorts: list[tuple[str, np.ndarray]] = []
        if "item_age" in wanted:
            new = (item_arrival > 0) & (item_arrival > t - self.options.new_days)
            cohorts += [("item_new", new), ("item_old", ~new)]
        if "exposure" in wanted:
            bucket = exposure_buckets(exposure)
            cohorts += [(f"item_{b}", bucket == j)
                        for j, b in enumerate(("head", "torso", "tail"))]
        topics = getattr(self.world, "item_topics", None)
        if "topic" in wanted and topics is not None:
            label = np.asarray(topics(candidates), dtype=np.int64)
            cohorts += [(f"item_topic_{j}", label == j) for j in np.unique(label)]
        error = None
        if scores is not None and candidates.size and not np.isnan(scores).any():
            error = np.abs(average_ranks(scores) - average_ranks(value)) / candidates.size
        total_w = float(exposure_w.sum())
        rows: list[tuple[str, str, float]] = []
        nan = float("nan")
        for name, mask in cohorts:
            if not mask.any():
                continue
            shown = float(exposure_w[mask].sum())
            rows += [
                (name, "n_available", float(mask.sum())),
                (name, "gini_exposure", gini(exposure[mask])),
                (name, "gini_exposure_window", gini(exposure_w[mask])),
                (name, "coverage_window", coverage(exposure_w[mask])),
                (name, "ctr_window", float(clicks_w[mask].sum()) / shown if shown else nan),
                (name, "exposure_share_window", shown / total_w if total_w else nan),
            ]
            if error is not None:
                rows.append((name, "rank_error", float(error[mask].mean())))
        return rows
