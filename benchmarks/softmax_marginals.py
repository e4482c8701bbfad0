"""Speed and agreement of the Plackett-Luce marginals: guarded deconvolution, product
tree, sequential pass.

Prints, for a few candidate counts ``n`` (k = 10 ranks, CTR-like scores at temperature
0.05, plus one row of very unequal weights), the CPU time of
:func:`loopsim.policies.selectors.softmax.plackett_luce_marginals` (deconvolution where
its error bound allows, product tree elsewhere), of the same with the product tree
alone (the method before), and of the former sequential prefix/suffix pass (kept below
as the reference), and the largest relative difference from the sequential pass.
Nothing is asserted. Run it with one BLAS thread (``OPENBLAS_NUM_THREADS=1``), as the
runs of a sweep are.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.softmax_marginals [--sizes 100,500,1500,10000]

(run from the repository root with ``-m`` so that this tree, not an installed copy, is
imported).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from loopsim.policies.selectors import poisson_binomial, softmax
from loopsim.policies.selectors.softmax import _FLOOR, _grid, floored, plackett_luce_marginals


def tree_marginals(logits: np.ndarray, k: int) -> np.ndarray:
    """:func:`plackett_luce_marginals` with the product tree alone (no deconvolution)."""
    def tree(q: np.ndarray, density: np.ndarray, k: int, p: np.ndarray | None = None
             ) -> np.ndarray:
        return poisson_binomial._tree_integrals(q, density, k, p)

    saved = softmax.rank_integrals
    softmax.rank_integrals = tree
    try:
        return plackett_luce_marginals(logits, k)
    finally:
        softmax.rank_integrals = saved


def sequential_marginals(logits: np.ndarray, k: int) -> np.ndarray:
    """The former implementation: prefix and suffix products over the items in turn."""
    logits = floored(np.atleast_2d(np.asarray(logits, dtype=np.float64)))
    r, n = logits.shape
    k = min(k, n)
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    t, step = _grid(w, k)
    q = -np.expm1(-w[:, :, None] * t[:, None, :])
    prefix = np.zeros((n + 1, r, t.shape[1], k))
    suffix = np.zeros((n + 1, r, t.shape[1], k))
    prefix[0, ..., 0] = 1.0
    suffix[n, ..., 0] = 1.0
    for j in range(n):
        qj = q[:, j, :, None]
        prefix[j + 1] = prefix[j] * (1.0 - qj)
        prefix[j + 1, ..., 1:] += prefix[j, ..., :-1] * qj
        qb = q[:, n - 1 - j, :, None]
        suffix[n - 1 - j] = suffix[n - j] * (1.0 - qb)
        suffix[n - 1 - j, ..., 1:] += suffix[n - j, ..., :-1] * qb
    out = np.zeros((r, n, k))
    density = w[:, :, None] * np.exp(-w[:, :, None] * t[:, None, :]) * t[:, None, :]
    trap = np.ones(t.shape[1])
    trap[[0, -1]] = 0.5
    for m in range(k):
        loo = sum(prefix[:n, ..., a] * suffix[1:, ..., m - a] for a in range(m + 1))
        out[:, :, m] = ((density * np.moveaxis(loo, 0, 1)) @ trap) * step[:, None]
    out /= out.sum(axis=1, keepdims=True)
    return np.maximum(out, _FLOOR)


def _best(fn, *args, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn(*args)
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,1500,10000")
    parser.add_argument("--rows", type=int, default=1, help="rows (users) per call")
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'n':>7} {'weights':>9} {'Q':>5} {'sequential s':>13} {'tree s':>9} "
          f"{'now s':>9} {'vs tree':>8} {'max rel diff':>13} {'max abs diff':>13}")
    for n in (int(x) for x in args.sizes.split(",")):
        for kind in ("ctr", "unequal"):
            if kind == "ctr":
                logits = rng.beta(2.0, 20.0, (args.rows, n)) / 0.05
            else:
                logits = rng.normal(0.0, 8.0, (args.rows, n))
            w = np.exp(floored(logits) - floored(logits).max(axis=1, keepdims=True))
            nq = _grid(w, min(args.k, n))[0].shape[1]
            repeat = 7 if n <= 1500 else 2
            new = plackett_luce_marginals(logits, args.k)
            old = sequential_marginals(logits, args.k)
            t_new = _best(plackett_luce_marginals, logits, args.k, repeat=repeat)
            t_tree = _best(tree_marginals, logits, args.k, repeat=repeat)
            t_old = _best(sequential_marginals, logits, args.k, repeat=min(repeat, 3))
            big = old > 1e-12
            rel = np.abs(new - old)[big] / old[big]
            print(f"{n:>7} {kind:>9} {nq:>5} {t_old:>13.4f} {t_tree:>9.4f} {t_new:>9.4f} "
                  f"{t_tree / t_new:>7.1f}x {rel.max():>13.2e} {np.abs(new - old).max():>13.2e}")


if __name__ == "__main__":
    main()
