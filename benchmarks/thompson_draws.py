"""Cost of Thompson sampling's slates: every value drawn against the lazy draws.

Runs one default ``policy=thompson`` run of the main job's settings (``--horizon``
days), keeps the Beta posteriors of every ``--every``-th model version, and prints for
each the CPU time of drawing ``--sessions`` slates

* with every candidate's value drawn (``rng.beta`` over all ``n``, then the top ``k``),
* lazily (:func:`loopsim.policies.selectors.thompson_draws.draw_top_k`: the head in full,
  the tail by inversion where it can matter),

in batches of ``--batch`` sessions (the main job's batches hold about 100). Nothing is
asserted. Run it with one BLAS thread::

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.thompson_draws [--every 40]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from loopsim.policies.selectors.thompson_draws import draw_plan, draw_top_k
from loopsim.policies.selectors.topk import top_k_rows

from benchmarks.thompson_marginals import posteriors


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=float, default=30.0)
    parser.add_argument("--every", type=int, default=40)
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    kept = posteriors(args.horizon, args.every)
    rng = np.random.default_rng(0)
    batches = max(1, args.sessions // args.batch)
    print(f"{'n':>6} {'head':>5} {'every value s':>14} {'lazy s':>8} {'ratio':>6}")
    totals = np.zeros(2)
    for alpha, beta, k in kept:
        start = time.process_time()
        for _ in range(batches):
            top_k_rows(rng.beta(alpha, beta, size=(args.batch, alpha.size)), k)
        full = time.process_time() - start
        start = time.process_time()
        plan = draw_plan(alpha, beta, k)
        for _ in range(batches):
            draw_top_k(rng, plan, args.batch, k)
        lazy = time.process_time() - start
        totals += (full, lazy)
        print(f"{alpha.size:>6} {plan.head.size:>5} {full:>14.3f} {lazy:>8.3f} "
              f"{full / lazy:>5.1f}x")
    print(f"total  {'':>5} {totals[0]:>14.3f} {totals[1]:>8.3f} {totals[0] / totals[1]:>5.1f}x")


if __name__ == "__main__":
    main()
