"""Cost of softmax's slates for a global score: Gumbel noise on every logit against the
lazy keys (:mod:`loopsim.policies.selectors.gumbel_draws`).

For logits ``score / temperature`` of a catalogue of ``n`` items (scores drawn around a
CTR of 0.3 with spread 0.1, the main job's softmax temperature 0.05, and two other
temperatures), prints the CPU time of drawing ``--sessions`` slates of ``k = 10`` in
batches of ``--batch`` sessions both ways, and the time of one plan (once per model
version). The slates are the same (checked here and in the tests). Nothing is asserted::

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.gumbel_draws
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from loopsim.policies.selectors.gumbel_draws import gumbel_plan, gumbel_top_k
from loopsim.policies.selectors.softmax import floored
from loopsim.policies.selectors.topk import top_k_rows


def _cpu(fn: Callable[..., object], repeat: int, *args: object) -> float:
    start = time.process_time()
    for _ in range(repeat):
        fn(*args)
    return (time.process_time() - start) / repeat


def _every_key(logits: np.ndarray, rng: np.random.Generator, sessions: int, k: int
               ) -> np.ndarray:
    return top_k_rows(logits + rng.gumbel(size=(sessions, logits.size)), k)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    k, batches = 10, max(1, args.sessions // args.batch)
    print(f"{'n':>7} {'temp':>6} {'every key s':>12} {'lazy s':>8} {'ratio':>6} "
          f"{'plan ms':>8}")
    for n in (1_000, 10_000):
        for temp in (0.01, 0.05, 0.5):
            logits = floored(np.random.default_rng(n).normal(0.3, 0.1, n) / temp)
            plan = gumbel_plan(logits, k)
            full_rng, lazy_rng = np.random.default_rng(0), np.random.default_rng(0)
            full = [_every_key(logits, full_rng, args.batch, k) for _ in range(2)]
            lazy = [gumbel_top_k(lazy_rng, plan, args.batch, k) for _ in range(2)]
            same = all(np.array_equal(a, b) for a, b in zip(full, lazy, strict=True))
            rng = np.random.default_rng(1)
            t_full = batches * _cpu(_every_key, 20, logits, rng, args.batch, k)
            t_lazy = batches * _cpu(gumbel_top_k, 20, rng, plan, args.batch, k)
            t_plan = _cpu(gumbel_plan, 20, logits, k)
            print(f"{n:>7} {temp:>6} {t_full:>12.3f} {t_lazy:>8.3f} "
                  f"{t_full / t_lazy:>5.1f}x {1e3 * t_plan:>8.3f}"
                  + ("" if same else "  SLATES DIFFER"))


if __name__ == "__main__":
    main()
