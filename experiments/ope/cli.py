"""``loopsim-ope``: a target's OPE estimates on a logged run, beside its exact value.

```
loopsim-ope RUN_DIR --policy ctr                       # a policy config, trained on the log
loopsim-ope RUN_DIR --policy coec policy.estimator.propensity=known  # the curve (1/rank)^1
loopsim-ope RUN_DIR --model OTHER_RUN_DIR               # a frozen model: another run's scores
loopsim-ope RUN_DIR --model scores.parquet --score-column score
loopsim-ope --sweep multirun/2026-12-01/10-00-00 --targets popularity,ctr,coec
```
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from loopsim.experiments.ope.evaluate import OPEReport, evaluate
from loopsim.experiments.ope.log import open_run
from loopsim.experiments.ope.target import model_target, policy_target
from loopsim.simulator.errors import LoopsimError
from loopsim.simulator.io.results import atomic_text
from loopsim.simulator.io.safe_paths import check_output_target


def render(report: OPEReport) -> str:
    """The report as a console table."""
    lines = [f"target {report.target} on {report.run_dir} (logging: {report.logging_policy}), "
             f"{report.n_sessions:,} sessions from day {report.train_until:g}; target's item "
             f"= logged item on {100 * report.match_rate:.1f}% of (session, rank)",
             f"{'estimator':<10} {'estimate':>9} {'95% interval':>21} {'error':>8}"]
    for est in report.estimates.values():
        lines.append(f"{est.name:<10} {est.value:9.4f} [{est.low:9.4f}, {est.high:9.4f}] "
                     f"{est.value - report.true_value:+8.4f}")
    lines.append(f"{'truth':<10} {report.true_value:9.4f}   (exact expected clicks per "
                 "session of the target's slates)")
    lines.append(f"{'logging':<10} {report.logging_value:9.4f}   (the logging policy's exact "
                 "value on the same sessions)")
    lines.append(f"passes: {', '.join(f'{k} {v:.2f}' for k, v in report.seconds.items())}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The ``loopsim-ope`` command."""
    parser = argparse.ArgumentParser(prog="loopsim-ope", description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path, nargs="?", help="a run with log.impressions=true")
    parser.add_argument("--policy", help="target policy config (conf/policy/<name>.yaml)")
    parser.add_argument("--model", type=Path, help="frozen model: a run folder or a Parquet file")
    parser.add_argument("--score-column", default="score")
    parser.add_argument("--train-until", type=float, default=None,
                        help="day splitting training from evaluation (default: half the "
                             "horizon for a policy config, 0 for a model)")
    parser.add_argument("--json", type=Path, help="also write the report rows as JSON")
    parser.add_argument("--sweep", type=Path, help="analyse a sweep of logged runs instead")
    parser.add_argument("--targets", default="popularity,ctr,coec,pal,oracle")
    parser.add_argument("overrides", nargs="*", help="policy.key=value overrides of --policy")
    args = parser.parse_intermixed_args(argv)
    try:
        if args.sweep is not None:
            from loopsim.experiments.ope.offline_vs_online import analyse, write_report

            print(write_report(args.sweep, analyse(args.sweep, args.targets.split(","),
                                                   args.train_until)))
            return 0
        if args.run_dir is None or (args.policy is None) == (args.model is None):
            parser.error("give RUN_DIR and exactly one of --policy or --model")
        if args.json is not None:  # before the work: a folder or a device is no report file
            check_output_target(args.json)
        log = open_run(args.run_dir)
        target = (policy_target(log, args.policy, args.overrides) if args.policy
                  else model_target(log, args.model, args.score_column))
        report = evaluate(args.run_dir, target, args.train_until)
    except LoopsimError as exc:
        print(f"loopsim-ope: {exc}", file=sys.stderr)
        return 2
    print(render(report))
    if args.json:
        atomic_text(args.json, json.dumps(report.rows(), indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
