"""Cost of Thompson sampling's propensities per model version: exact against Monte Carlo.

Runs one default ``policy=thompson`` run of the main job's settings
(``experiment=mitigation``, ``--horizon`` days), keeps the Beta posteriors of every
``--every``-th model version, then prints for each kept version the CPU time of

* the exact marginals (:func:`loopsim.policies.selectors.thompson_marginals.thompson_marginals`:
  leave-one-out Poisson-binomial integrals by guarded deconvolution),
* the same with the product tree alone (the method before),
* the Monte-Carlo estimate (``M = 200`` posterior slates and their top-k),

and the largest relative difference between the first two. Nothing is asserted. Run it
with one BLAS thread, as the runs of a sweep are::

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.thompson_marginals [--horizon 30] [--every 40]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from loopsim.experiments.bench.timed_run import compose_config
from loopsim.experiments.cli.runner import build_simulation
from loopsim.policies.selectors import bandits, poisson_binomial, thompson_marginals
from loopsim.policies.selectors.topk import top_k_rows


def posteriors(horizon: float, every: int) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """The ``(alpha, beta, k)`` of every ``every``-th marginal table of one run."""
    kept: list[tuple[np.ndarray, np.ndarray, int]] = []
    calls = [0]
    exact = bandits.marginals_and_regime

    def spy(alpha: np.ndarray, beta: np.ndarray, k: int) -> tuple[np.ndarray, bool]:
        if calls[0] % every == 0:
            kept.append((alpha.copy(), beta.copy(), k))
        calls[0] += 1
        return exact(alpha, beta, k)

    bandits.marginals_and_regime = spy
    try:
        cfg = compose_config(["experiment=mitigation", "hydra.mode=RUN", "policy=thompson",
                              "seed=0", "progress=false", f"horizon={horizon}"])
        build_simulation(cfg, "thompson").run()
    finally:
        bandits.marginals_and_regime = exact
    print(f"{calls[0]} marginal tables in the run; {len(kept)} kept")
    return kept


def tree_only(alpha: np.ndarray, beta: np.ndarray, k: int) -> np.ndarray:
    """The exact marginals with the product tree alone (no deconvolution)."""
    def tree(q: np.ndarray, density: np.ndarray, k: int, p: np.ndarray | None = None,
             heavy: np.ndarray | None = None) -> np.ndarray:
        return poisson_binomial._tree_integrals(q, density, k, p)

    saved = thompson_marginals.rank_integrals
    thompson_marginals.rank_integrals = tree
    try:
        return thompson_marginals.thompson_marginals(alpha, beta, k)
    finally:
        thompson_marginals.rank_integrals = saved


def monte_carlo(alpha: np.ndarray, beta: np.ndarray, k: int, draws: int = 200) -> np.ndarray:
    """``(count + 1) / (M + 1)`` over ``M`` posterior slates (as the selector's option)."""
    rng = np.random.default_rng(0)
    idx = top_k_rows(rng.beta(alpha, beta, size=(draws, alpha.size)), k)
    counts = np.zeros((alpha.size, k))
    np.add.at(counts, (idx, np.broadcast_to(np.arange(k), idx.shape)), 1.0)
    return (counts + 1.0) / (draws + 1.0)


def cpu(fn: Callable[..., np.ndarray], *args: object, repeat: int = 3) -> float:
    """Smallest CPU time of ``repeat`` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=float, default=30.0)
    parser.add_argument("--every", type=int, default=40)
    args = parser.parse_args()
    kept = posteriors(args.horizon, args.every)
    print(f"{'n':>6} {'exact s':>9} {'tree s':>9} {'MC s':>8} {'exact/MC':>9} "
          f"{'max rel diff':>13}")
    totals = np.zeros(3)
    for alpha, beta, k in kept:
        now = thompson_marginals.thompson_marginals(alpha, beta, k)
        before = tree_only(alpha, beta, k)
        times = np.array([cpu(thompson_marginals.thompson_marginals, alpha, beta, k),
                          cpu(tree_only, alpha, beta, k), cpu(monte_carlo, alpha, beta, k)])
        totals += times
        big = before > 1e-25
        rel = float(np.abs(now / before - 1.0)[big].max())
        print(f"{alpha.size:>6} {times[0]:>9.4f} {times[1]:>9.4f} {times[2]:>8.4f} "
              f"{times[0] / times[2]:>8.1f}x {rel:>13.2e}")
    print(f"mean   {totals[0] / len(kept):>9.4f} {totals[1] / len(kept):>9.4f} "
          f"{totals[2] / len(kept):>8.4f} {totals[0] / totals[2]:>8.1f}x")


if __name__ == "__main__":
    main()
