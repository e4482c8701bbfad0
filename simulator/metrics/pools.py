"""Per-stage metrics of a pipeline policy: where the loop narrows the catalogue.

For a policy that reports the pools it ranked
(:class:`~loopsim.simulator.contract.policy.ServesPools`),
:class:`PoolRecorder` measures each stage against the truth, on the same share of
sessions as regret (``quality_sessions_per_day``), and splits the served regret into the
three error terms of Wu et al. 2021 ("Fixes that fail", arXiv 2103.11766) as far as a
simulator can compute them, for a session of user ``u`` with pool ``P``:

* ``upstream_regret_window``: best expected clicks over the catalogue minus the best
  over the pool (what no ranker can recover: the retrieval's error);
* ``ranker_approximation_regret_window``: best over the pool minus the pool ordered by
  true population value (the best a *global* ranker, one score per item, can do: its
  approximation error; a personalized ranker can beat it, making the next term negative);
* ``ranker_estimation_regret_window``: that ordering minus what was served (the ranker's
  estimation error, from finite and loop-shaped data).

The three sum to the regret of the sampled sessions (``regret_window``'s definition, on
a sample drawn independently of its own). ``ranker_regret_window`` is the
last two together (regret within the pool); ``pool_recall_window`` is the share of the
user's true top ``k`` items inside the pool; ``pool_value_recall_window`` the share of the
catalogue's ``n`` items of highest true value inside it (a retrieval team's offline
metric: "does it retrieve the best items?"); ``pool_gini_window``, ``pool_gini`` and
``pool_coverage_window`` are the concentration of pool inclusions over the available
items (all sessions counted).

For a policy whose ranker learns from an upstream's outputs
(:class:`~loopsim.simulator.contract.policy.ExposesRankerFeatures`), the paper's own
decomposition is computed too (:mod:`~loopsim.simulator.metrics.decomposition`):
``upstream_error_window``, ``ranker_approximation_error_window`` and
``ranker_estimation_error_window``, which sum to ``excess_regret_window``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from loopsim.simulator.contract.click_model import ClickModel
from loopsim.simulator.contract.world import GroundTruth
from loopsim.simulator.loop.catalogue import grown
from loopsim.simulator.metrics.concentration import coverage, gini
from loopsim.simulator.metrics.decomposition import wu_terms
from loopsim.simulator.metrics.served import top_k_values

__all__ = ["PoolRecorder"]


class PoolRecorder:
    """Counts pool inclusions and accumulates the per-stage regret terms of a window.

    Args:
        truth: The world's truth.
        click_model: Gives the expected clicks of slates.
        k: Slate size.
        quality_rate: Share of sessions sampled for the truth-based terms.
        ideal: ``ideal(users, candidates) -> (B, k)`` best relevances over the catalogue
            (the metrics recorder's, cached per user).
        rng: The sampling stream.
        features: ``features(users, pools) -> ((B, n, p), (B, n, d))`` the upstream's
            outputs and the ranker's inputs, for a policy whose ranker learns from an
            upstream's outputs
            (:class:`~loopsim.simulator.contract.policy.ExposesRankerFeatures`): the
            decomposition of :mod:`~loopsim.simulator.metrics.decomposition` is then
            computed on up to ``decomposition_sessions`` sampled sessions per batch.
        per_session: The ranker fits weights per user
            (:class:`~loopsim.simulator.contract.policy.FitsRankerPerUser`): the
            decomposition's references are fitted per session.
    """

    #: Sampled sessions per batch on which the feature-based decomposition is fitted.
    decomposition_sessions = 32

    def __init__(self, truth: GroundTruth, click_model: ClickModel, k: int,
                 quality_rate: float, ideal: object, rng: np.random.Generator,
                 features: Callable[[np.ndarray, np.ndarray],
                                    tuple[np.ndarray, np.ndarray]] | None = None,
                 per_session: bool = False) -> None:
        self.truth = truth
        self.click_model = click_model
        self.k = k
        self.quality_rate = quality_rate
        self.ideal = ideal
        self.rng = rng
        self.features = features
        self.per_session = per_session
        self.inclusion = np.zeros(0)
        self.inclusion_window = np.zeros(0)
        self._reset()

    def _reset(self) -> None:
        self.sums = dict.fromkeys(("upstream", "approximation", "estimation", "recall",
                                   "value_recall"), 0.0)
        self.wu = dict.fromkeys(("upstream", "approximation", "estimation", "excess"), 0.0)
        self.sampled = 0
        self.wu_sampled = 0
        if self.inclusion_window.size:
            self.inclusion_window[:] = 0

    def _capacity(self, n: int) -> None:
        if n > self.inclusion.shape[0]:
            self.inclusion = grown(self.inclusion, n)
            self.inclusion_window = grown(self.inclusion_window, n)

    def record(self, users: np.ndarray, pools: np.ndarray, served_relevance: np.ndarray,
               candidates: np.ndarray) -> None:
        """Count one batch's pools and sample its sessions for the regret terms."""
        self._capacity(int(candidates[-1]) + 1 if candidates.size else 0)
        b = users.shape[0]
        shared = pools.ndim == 2 and pools.shape[0] > 0 and pools.strides[0] == 0
        if shared:
            self.inclusion[pools[0]] += b
            self.inclusion_window[pools[0]] += b
        else:
            counts = np.bincount(pools.reshape(-1), minlength=self.inclusion.shape[0])
            self.inclusion += counts
            self.inclusion_window += counts
        sample = (np.arange(b) if self.quality_rate >= 1.0
                  else np.flatnonzero(self.rng.random(b) < self.quality_rate))
        if sample.size == 0:
            return
        u, p = users[sample], np.ascontiguousarray(pools[sample])
        k = min(self.k, p.shape[1])
        ideal = self.ideal(u, candidates)
        best_catalogue = self.click_model.best_expected_clicks(ideal)
        rel = np.asarray(self.truth.relevance_of_slates(u, p), dtype=np.float64)
        best_pool = self.click_model.best_expected_clicks(top_k_values(rel, k))
        value = np.asarray(self.truth.true_value(p.reshape(-1))).reshape(p.shape)
        by_value = np.argsort(-value, axis=1, kind="stable")[:, :k]
        best_global = self.click_model.expected_clicks(np.take_along_axis(rel, by_value, 1))
        served = self.click_model.expected_clicks(served_relevance[sample])
        sums = self.sums
        sums["upstream"] += float((best_catalogue - best_pool).sum())
        sums["approximation"] += float((best_pool - best_global).sum())
        sums["estimation"] += float((best_global - served).sum())
        kth = ideal[:, k - 1: k]
        hit = rel >= kth - 1e-9 * np.maximum(1.0, np.abs(kth))  # einsum vs matmul rounding
        sums["recall"] += float((np.minimum(hit.sum(axis=1), k) / k).sum())
        n = p.shape[1]
        all_values = np.asarray(self.truth.true_value(candidates))
        nth = -np.partition(-all_values, min(n, all_values.size) - 1)[min(n, all_values.size) - 1]
        sums["value_recall"] += float((np.minimum((value >= nth).sum(axis=1), n) / n).sum())
        self.sampled += sample.size
        if self.features is not None:
            m = min(sample.size, self.decomposition_sessions)
            outputs, inputs = self.features(u[:m], p[:m])
            terms = wu_terms(best_catalogue[:m], rel[:m], outputs, inputs, served[:m],
                             self.click_model, k, self.per_session)
            for name, values in terms.items():
                self.wu[name] += float(values.sum())
            self.wu_sampled += m

    def snapshot(self, candidates: np.ndarray) -> dict[str, float]:
        """The window's per-stage metrics on the available ``candidates``; resets it."""
        self._capacity(int(candidates[-1]) + 1 if candidates.size else 0)
        n = self.sampled
        nan = float("nan")
        s = self.sums
        mean = {name: (value / n if n else nan) for name, value in s.items()}
        window = self.inclusion_window[candidates]
        out = {
            "pool_recall_window": mean["recall"],
            "pool_value_recall_window": mean["value_recall"],
            "upstream_regret_window": mean["upstream"],
            "ranker_approximation_regret_window": mean["approximation"],
            "ranker_estimation_regret_window": mean["estimation"],
            "ranker_regret_window": (mean["approximation"] + mean["estimation"]),
            "pool_gini_window": gini(window),
            "pool_gini": gini(self.inclusion[candidates]),
            "pool_coverage_window": coverage(window),
        }
        if self.features is not None:
            m = self.wu_sampled
            names = {"upstream": "upstream_error_window",
                     "approximation": "ranker_approximation_error_window",
                     "estimation": "ranker_estimation_error_window",
                     "excess": "excess_regret_window"}
            for key, name in names.items():
                out[name] = self.wu[key] / m if m else nan
        self._reset()
        return out
