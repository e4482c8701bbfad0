"""The values docs/validation.md reports, as data: what :mod:`.studies` measures and
:mod:`.figures` and :mod:`.page` draw and render."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from loopsim.simulator.metrics.markets import unpredictability
from loopsim.simulator.metrics.relative import change_relative_to_ideal, utility_relative_to_ideal


@dataclass
class TrialOfferTheory:
    """Measured market shares against the fixed point ``(v q)^(1/(1-r))``."""

    shares: np.ndarray      # (seeds, n)
    predicted: np.ndarray   # (n,)

    @property
    def max_abs_error(self) -> np.ndarray:
        """``(seeds,)`` max over items of ``|share - predicted|``."""
        return np.abs(self.shares - self.predicted).max(axis=1)




@dataclass
class MusicLabResult:
    """Per-replicate download Gini and the unpredictability of one condition."""

    gini: np.ndarray        # (seeds,)
    shares: np.ndarray      # (seeds, 48)
    quality: np.ndarray     # (48,)

    @property
    def unpredictability(self) -> float:
        """Salganik et al.'s U across the replicates."""
        return unpredictability(self.shares)



CHANEY_MEASURES = ("homogenization", "homogenization_nn", "reward_per_session_window")


@dataclass
class ChaneyResult:
    """Trajectories of each policy at each seed; ``oracle`` is the ideal recommender."""

    times: np.ndarray                                   # (T,)
    startup: float
    values: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    # measure -> policy -> (seeds, T)

    def change(self, measure: str, policy: str) -> np.ndarray:
        """``(seeds, T)`` the measure of ``policy`` minus the ideal's, seed by seed."""
        return change_relative_to_ideal(self.values[measure][policy],
                                        self.values[measure]["oracle"])

    def utility(self, policy: str) -> np.ndarray:
        """``(seeds,)`` mean utility per session after the start-up (mean of its windows)."""
        after = self.times > self.startup
        return self.values["reward_per_session_window"][policy][:, after].mean(axis=1)

    def utility_relative(self, policy: str) -> np.ndarray:
        """``(seeds,)`` ``(u - u_ideal) / u_ideal`` of the post-start-up utility."""
        return utility_relative_to_ideal(self.utility(policy), self.utility("oracle"))

    def utility_relative_over_time(self, policy: str) -> np.ndarray:
        """``(seeds, T)`` the relative utility of each window."""
        m = self.values["reward_per_session_window"]
        return utility_relative_to_ideal(m[policy], m["oracle"])



@dataclass
class DriftResult:
    """``drift_distance`` trajectories and clicks per user of each setting."""

    times: np.ndarray                    # (T,)
    drift: dict[str, np.ndarray]         # setting -> (seeds, T)
    clicks_per_user: dict[str, np.ndarray]  # setting -> (seeds,)
    step: float                          # interest step per click (unbounded world)

    def alignment(self, setting: str) -> np.ndarray:
        """``(seeds,)`` final distance over ``step x clicks per user``: 1 when every click
        moved the interest straight away from its start (the largest possible rate)."""
        return self.drift[setting][:, -1] / (self.step * self.clicks_per_user[setting])



@dataclass
class Validation:
    """Everything docs/validation.md reports."""

    static: TrialOfferTheory
    best: np.ndarray
    indep: MusicLabResult
    social: MusicLabResult
    chaney: ChaneyResult
    jiang: DriftResult
    sphere: DriftResult
    item_interest: DriftResult | None = None



def late_slope(result: DriftResult, setting: str) -> np.ndarray:
    """``(seeds,)`` log-log slope of ``drift_distance`` over the second half of the run.

    About 1 for a distance growing linearly in time (walks in their divergent regime),
    about 0.5 for a sum of walks that each stay short (diffusive growth).
    """
    t, d = result.times, result.drift[setting]
    half = t >= t[-1] / 2
    x = np.log(t[half])
    return np.array([np.polyfit(x, np.log(row[half]), 1)[0] for row in d])


__all__ = ["CHANEY_MEASURES", "ChaneyResult", "DriftResult", "MusicLabResult",
           "TrialOfferTheory", "Validation", "late_slope"]
