"""Where the CPU of ``loopsim-bench``'s ``closed_ctr_100k`` goes, part by part.

Runs the scenario (global ``ctr``, 100,000 users x 10,000 items, closed world, 10 days)
``--runs`` times in this process with the parts of the serving path timed (process CPU
time around each call; the parts nest: ``head draw`` is inside ``select``, ``quality``
inside ``record``), and prints the mean per run next to the CPU of the whole event
loop (``cpu_loop_s``, the figure ``loopsim-bench`` divides the impressions by). The
timers cost a few percent. Nothing is asserted::

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.ctr_path --runs 3

Compare the total with ``loopsim-bench --scenarios closed_ctr_100k,bare_pipeline_100k``
(the ratio to the bare numpy pipeline) measured side by side with an older commit
(``python -m benchmarks.against_commit BASE --bench closed_ctr_100k``).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import loopsim.policies.selectors.greedy as greedy
import loopsim.policies.selectors.ties as ties
import loopsim.simulator.loop.serving as serving
import loopsim.simulator.loop.snapshots as snapshots
import loopsim.simulator.loop.user_sampler as user_sampler
import loopsim.simulator.metrics.recorder as recorder
import loopsim.simulator.world.synthetic as synthetic
from loopsim.experiments.bench.scenarios import REGISTRY
from loopsim.experiments.bench.timed_run import build, cpu_after_preparation

#: (owner, attribute, label) of every timed part, outermost first.
PARTS = (
    (serving, "serve", "serve (all of it)"),
    (greedy.Greedy, "select", "select (ties drawn)"),
    (ties.RankedHead, "draw", "  head draw"),
    (greedy.HeadCache, "get", "  head per model version"),
    (user_sampler.UserSampler, "draw", "user draws"),
    (serving, "sample_feedback", "clicks"),
    (synthetic.SyntheticWorld, "relevance_of_slates", "relevance"),
    (serving, "count_batch", "count per item"),
    (recorder.MetricsRecorder, "record", "record"),
    (recorder.MetricsRecorder, "_record_quality", "  quality (NDCG, regret)"),
    (serving.Feedback, "from_slates", "feedback rows"),
    (serving.Trainer, "train", "training"),
    (snapshots, "snapshot", "snapshots"),
    (recorder.MetricsRecorder, "resolve", "deferred metrics (end)"),
)


def _timed(fn: Callable[..., Any], label: str, totals: Counter[str]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[label] += time.process_time() - start
    return timed


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    totals: Counter[str] = Counter()
    for owner, name, label in PARTS:
        fn = vars(owner)[name]
        if isinstance(fn, classmethod):  # time the bound method, keep it a class call
            setattr(owner, name, staticmethod(_timed(getattr(owner, name), label, totals)))
        else:
            setattr(owner, name, _timed(fn, label, totals))
    loop = 0.0
    for _ in range(args.runs):
        sim = build(list(REGISTRY["closed_ctr_100k"].overrides), "closed_ctr_100k")
        sim.timing = False
        mark = cpu_after_preparation(sim)
        result = sim.run()
        loop += time.process_time() - mark[0]
        impressions = int(result.summary["impressions"])
    loop /= args.runs
    print(f"closed_ctr_100k: {impressions:,} impressions, event loop {loop:.3f} s CPU "
          f"({impressions / loop / 1e6:.1f}M impressions/s), mean of {args.runs} runs")
    for _, _, label in PARTS:
        share = totals[label] / args.runs
        print(f"  {label:28s} {share * 1e3:7.1f} ms  {100 * share / loop:5.1f}%")


if __name__ == "__main__":
    main()
