"""Rank metrics of one snapshot, loopsim's against scipy's (python -m benchmarks.rank_correlation).

The metric path computes Kendall tau-b, Spearman and precision@k of the clicks and of
the policy's scores against the true value at every snapshot, the truth's sort cached
across snapshots (as :class:`loopsim.simulator.metrics.recorder.MetricsRecorder` does).
Prints the best of 9 timings per catalogue size; the values agree to 1e-12.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from loopsim.simulator.metrics.ranking import ordering, precision_at_k, rank_metrics
from scipy import stats


def best(fn: Callable[[], object], repeat: int = 9) -> float:
    """The fastest of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print ours vs scipy per snapshot at 1,000, 10,000 and 100,000 items."""
    rng = np.random.default_rng(0)
    for n in (1_000, 10_000, 100_000):
        truth = rng.random(n)
        clicks = rng.poisson(truth * 30).astype(float)
        scores = truth + rng.normal(0, 0.1, n)
        truth_order = ordering(truth)

        def ours(truth_order=truth_order, sides=(clicks, scores)) -> None:
            for y in sides:
                rank_metrics(truth_order, ordering(y), 10)

        def scipy_side(truth=truth, sides=(clicks, scores)) -> None:
            for y in sides:
                stats.kendalltau(truth, y, variant="b")
                stats.spearmanr(truth, y)
                precision_at_k(truth, y, 10)

        for y in (clicks, scores):
            tau, rho, _ = rank_metrics(truth_order, ordering(y), 10)
            assert abs(tau - stats.kendalltau(truth, y, variant="b").statistic) < 1e-12
            assert abs(rho - stats.spearmanr(truth, y).statistic) < 1e-12
        print(f"n={n:>7,}: loopsim {best(ours) * 1e3:8.2f} ms   scipy "
              f"{best(scipy_side) * 1e3:8.2f} ms per snapshot")


if __name__ == "__main__":
    main()
