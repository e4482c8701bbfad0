"""Monitoring in the loop: what a team sees, bands, alerts, and a deployment guard.

The monitor runs on the SimPy clock (every ``monitor.interval`` days) and sees only what
a real team can see, never the truth:

* the **logged CTR** (clicks over impressions of the window) per model version and per
  observable user slice (``all``, ``user_new`` and ``user_old``: users whose first
  session is within the last ``new_days`` days, or not);
* the **score distribution** of the deployed model over the available items: the
  Kolmogorov-Smirnov distance between this check's scores and the previous check's (a
  model whose scores grow steadily, such as click counts, moves it steadily, and the
  band learns that; a jump leaves the band);
* **drift of served items' features** against the training window (the served items of
  the window before): the two-sample Kolmogorov-Smirnov statistic of each feature
  dimension (``scipy.stats.ks_2samp``) on at most ``sample`` served items per window,
  the largest over the dimensions (computed with numpy; scipy gives the p-value of a
  value out of band). Only worlds that give ``item_features(items)`` have
  features.

Each statistic has a band: the mean of its last ``history`` values plus or minus ``z``
standard deviations (for a CTR, the larger of their spread and the binomial standard
error of this window). A value outside the band raises an alert (for the feature
statistic, only when its test's p-value is also below ``alpha`` / dimensions: served
items move every day under a feedback loop, so a test against the previous window alone
fires every day; the band learns that normal movement). Alerts, deploys and rollbacks
are the run's events (``events.parquet``: ``t``, ``kind``, ``detail``, ``model_version``).

With ``guard_threshold`` set, every check is a **guarded deployment**: the logged CTR of
the window just served (by the version current at the previous check and its updates)
is compared with the last accepted window's. When it is lower by more than
``guard_threshold`` (relative), the policy is rolled back to the last accepted version
(its state copied when it was deployed) and the next window re-measures it; otherwise
the version that started the window is accepted. See docs/monitoring.md.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from loopsim.simulator.contract.world import HasItemFeatures
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.checks import check_in_range, check_positive_int, check_schedule

__all__ = ["EVENT_KINDS", "Band", "Monitor", "MonitorOptions", "judge"]

#: Kinds of events in ``events.parquet``.
EVENT_KINDS = ("deploy", "alert", "rollback", "accept")


#: Most monitor checks one run may schedule (each computes every watched statistic).
MAX_MONITOR_CHECKS = 1_000_000


@dataclass(frozen=True)
class MonitorOptions:
    """The ``monitor`` block of the config.

    Attributes:
        enabled: Run the monitor process.
        interval: Days between checks (also the window of every statistic).
        history: Number of past windows that set a band.
        warmup: Days before the first value enters a band (the loop's start-up moves
            everything).
        z: Width of a band, in standard deviations.
        min_impressions: A window with fewer impressions is not judged.
        alpha: Significance of the feature-drift test (Bonferroni over dimensions).
        sample: Served items per window kept for the feature test.
        new_days: Days during which a user counts as new (the ``user_new`` slice).
        guard_threshold: Relative CTR drop that rolls a model back (``None``: no guard).
        detect_window: Days after a known shift time within which an alert is a true
            alarm.
    """

    enabled: bool = False
    interval: float = 1.0
    history: int = 7
    warmup: float = 3.0
    z: float = 4.0
    min_impressions: int = 500
    alpha: float = 0.001
    sample: int = 1000
    new_days: float = 7.0
    guard_threshold: float | None = None
    detect_window: float = 3.0

    def validate(self, horizon: float | None = None) -> None:
        """Raise :class:`ConfigError` naming the first bad field."""
        if self.guard_threshold is not None and not self.enabled:
            raise ConfigError(
                f"`monitor.guard_threshold == {self.guard_threshold}` needs the monitor: set "
                "monitor.enabled=true (the guard compares the CTR the monitor logs), or "
                "monitor.guard_threshold=null.")
        if not self.enabled:
            return
        check_in_range("monitor.interval", self.interval, 0.0, horizon, low_open=True)
        if horizon is not None:
            check_schedule("monitor.interval", self.interval, horizon, MAX_MONITOR_CHECKS)
        check_positive_int("monitor.history", self.history, minimum=2)
        check_in_range("monitor.warmup", self.warmup, 0.0, None)
        check_in_range("monitor.z", self.z, 0.0, None, low_open=True)
        check_positive_int("monitor.min_impressions", self.min_impressions)
        check_in_range("monitor.alpha", self.alpha, 0.0, 1.0, low_open=True, high_open=True)
        check_positive_int("monitor.sample", self.sample, minimum=10)
        check_in_range("monitor.new_days", self.new_days, 0.0, None, low_open=True)
        check_in_range("monitor.detect_window", self.detect_window, 0.0, None, low_open=True)
        if self.guard_threshold is not None:
            check_in_range("monitor.guard_threshold", self.guard_threshold, 0.0, 1.0)


class Band:
    """The expected band of one statistic: mean ± z sd of its last ``history`` values."""

    def __init__(self, history: int, z: float) -> None:
        self.values: deque[float] = deque(maxlen=history)
        self.z = z

    def check(self, value: float, floor: float = 0.0) -> tuple[float, float] | None:
        """The band ``(low, high)`` when ``value`` leaves it (``None``: inside or too early).

        ``floor`` is a lower bound of the band's standard deviation (a binomial error).
        The value then joins the history, so a lasting change becomes the new normal.
        """
        out = None
        if len(self.values) >= 3 and not math.isnan(value):
            mean = float(np.mean(self.values))
            sd = max(float(np.std(self.values, ddof=1)), floor)
            low, high = mean - self.z * sd, mean + self.z * sd
            if not low <= value <= high:
                out = (low, high)
        if not math.isnan(value):
            self.values.append(value)
        return out


def _ks_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between two samples (the largest gap of their CDFs)."""
    grid = np.concatenate([a, b])
    fa = np.searchsorted(np.sort(a), grid, side="right") / a.size
    fb = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return float(np.abs(fa - fb).max())


class Monitor:
    """Window counters of what a team logs, bands, alerts and the guard's decisions.

    Args:
        options: The monitor's settings.
        n_users: Number of users (for the first-session times).
        rng: The monitor's own stream (sampling served items for the feature test).
        features: The world's ``item_features`` hook, or ``None``.
    """

    def __init__(self, options: MonitorOptions, n_users: int, rng: np.random.Generator,
                 features: HasItemFeatures | None) -> None:
        self.options = options
        self.rng = rng
        self.features = features
        self.first_seen = np.full(n_users, np.inf)
        self.events: list[tuple[float, str, str, int]] = []
        self.bands: dict[str, Band] = {}
        self._window = np.zeros((3, 2))  # (all, new, old) x (impressions, clicks)
        self._by_version: dict[int, list[float]] = {}
        self._served: list[np.ndarray] = []
        self._reference: np.ndarray | None = None
        self._scores: np.ndarray | None = None
        self.accepted_ctr: float | None = None

    def _band(self, name: str) -> Band:
        if name not in self.bands:
            self.bands[name] = Band(self.options.history, self.options.z)
        return self.bands[name]

    def event(self, t: float, kind: str, detail: str, version: int) -> None:
        """Record an event (``deploy``, ``alert``, ``rollback``, ``accept``)."""
        self.events.append((float(t), kind, detail, int(version)))

    # -- per batch ----------------------------------------------------------------------
    def observe(self, t: float, users: np.ndarray, items: np.ndarray, clicks: np.ndarray,
                version: int) -> None:
        """Log one served batch (what the team's logging pipeline sees)."""
        seen = self.first_seen[users]
        fresh = np.isinf(seen)
        if fresh.any():
            self.first_seen[users[fresh]] = t
            seen = self.first_seen[users]
        new = seen > t - self.options.new_days
        k = items.shape[1]
        per_session = clicks.sum(axis=1)
        n_new = int(new.sum())
        c_new = float(per_session[new].sum())
        c_all = float(per_session.sum())
        self._window += [[users.size * k, c_all], [n_new * k, c_new],
                         [(users.size - n_new) * k, c_all - c_new]]
        tally = self._by_version.setdefault(version, [0.0, 0.0])
        tally[0] += users.size * k
        tally[1] += c_all
        if self.features is not None:
            flat = items.reshape(-1)
            keep = min(flat.size, self.options.sample)
            self._served.append(flat[self.rng.integers(0, flat.size, keep)])

    # -- per check ----------------------------------------------------------------------
    def window_ctr(self) -> tuple[float, float]:
        """``(ctr, impressions)`` of the current window, all users."""
        imp, clk = self._window[0]
        return (clk / imp if imp else math.nan), imp

    def check(self, t: float, version: int, scores: np.ndarray | None) -> None:
        """Judge this window's statistics against their bands; raise alerts; reset."""
        o = self.options
        judged = t > o.warmup + 1e-9
        for j, name in enumerate(("all", "user_new", "user_old")):
            imp, clk = self._window[j]
            if imp < o.min_impressions:
                continue
            ctr = clk / imp
            band = self._band(f"ctr[{name}]")
            if not judged:
                band.values.append(ctr)
                continue
            out = band.check(ctr, floor=math.sqrt(max(ctr * (1 - ctr), 1e-12) / imp))
            if out is not None:
                self.event(t, "alert", f"logged_ctr slice={name} value={ctr:.4f} "
                           f"band=[{out[0]:.4f}, {out[1]:.4f}]", version)
        if scores is not None and scores.size > 1 and np.isfinite(scores).all():
            if self._scores is not None:
                d = _ks_distance(scores, self._scores)
                band = self._band("score_ks")
                out = band.check(d) if judged else None
                if not judged:
                    band.values.append(d)
                if out is not None:
                    self.event(t, "alert", f"score_distribution ks={d:.4f} "
                               f"band=[{out[0]:.4f}, {out[1]:.4f}]", version)
            self._scores = scores.copy()
        self._check_features(t, version, judged)
        self._window[:] = 0

    def _check_features(self, t: float, version: int, judged: bool) -> None:
        if self.features is None or not self._served:
            return
        served = np.concatenate(self._served)
        self._served = []
        if served.size > self.options.sample:
            served = served[self.rng.choice(served.size, self.options.sample, replace=False)]
        current = np.asarray(self.features.item_features(served), dtype=np.float64)
        reference, self._reference = self._reference, current
        if reference is None or not judged:
            return
        d = current.shape[1]
        stats = [_ks_distance(current[:, j], reference[:, j]) for j in range(d)]
        worst = int(np.argmax(stats))
        out = self._band("feature_ks").check(stats[worst])
        if out is None:
            return
        from scipy.stats import ks_2samp  # the test's p-value, only for a value out of band

        test = ks_2samp(current[:, worst], reference[:, worst], method="asymp")
        if test.pvalue < self.options.alpha / d:
            self.event(t, "alert", f"feature_drift dim={worst} ks={test.statistic:.4f} "
                       f"p={test.pvalue:.2e} band=[{out[0]:.4f}, {out[1]:.4f}]", version)

    def version_ctr(self, version: int) -> float:
        """Logged CTR of one model version over all its impressions."""
        imp, clk = self._by_version.get(version, (0.0, 0.0))
        return clk / imp if imp else math.nan


def judge(alerts: np.ndarray, shift_times: tuple[float, ...], window: float) -> dict[str, float]:
    """True and false alarms, and time to detect, of alert times against known shifts.

    An alert within ``window`` days after a shift time is a true alarm; any other is
    false. Time to detect: from each shift to its first alert within the window (the
    mean over detected shifts; NaN when none is detected).

    Returns:
        ``alerts``, ``true_alarms``, ``false_alarms``, ``detected_shifts``,
        ``missed_shifts``, ``time_to_detect``.
    """
    a = np.sort(np.asarray(alerts, dtype=np.float64))
    true = np.zeros(a.size, dtype=bool)
    delays = []
    for s in shift_times:
        hit = (a >= s - 1e-9) & (a <= s + window + 1e-9)
        true |= hit
        if hit.any():
            delays.append(float(a[hit][0] - s))
    return {
        "alerts": float(a.size),
        "true_alarms": float(true.sum()),
        "false_alarms": float((~true).sum()),
        "detected_shifts": float(len(delays)),
        "missed_shifts": float(len(shift_times) - len(delays)),
        "time_to_detect": float(np.mean(delays)) if delays else math.nan,
    }
