"""The README's policy table: every built-in policy config on one small world, one seed.

Prints a Markdown table: mean ``regret_window`` of the last 5 days, final
``gini_exposure``, final ``tau_scores`` and the run's wall seconds (the event loop,
``summary["wall_time_s"]``), each run in this interpreter with one BLAS thread.
Run it on a quiet machine (the wall seconds are meant to be compared within the
column)::

    python -m benchmarks.policy_table              # the README's settings
    python -m benchmarks.policy_table seed=3 horizon=40
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread, before numpy is imported

import math  # noqa: E402
import sys  # noqa: E402

import polars as pl  # noqa: E402

#: The world and run of the table (any of them can be overridden on the command line).
SETTINGS = ["world.n_users=1000", "world.n_items=300", "world.item_arrival_rate=2",
            "world.personalization=0.3", "click_model.eta=1", "horizon=20", "seed=0",
            "progress=false"]
#: Policy configs, in the README's order.
POLICIES = ["popularity", "ctr", "random", "oracle", "epsilon_greedy", "rand_topn",
            "rand_pair", "softmax", "pal", "coec", "ips", "thompson", "ucb", "mf"]
#: Selector and estimator keys shown beside the policy's name when present.
_SHOWN = ("epsilon", "n", "temperature", "exploration")


#: Estimator classes by their config name (``conf/policy/estimator/<name>.yaml``).
_ESTIMATORS = {"BetaCTR": "ctr", "ClicksOverExpected": "coec", "InversePropensityCTR": "ips",
               "PositionAwareLogistic": "pal", "ClickCount": "popularity", "ImplicitMF": "mf",
               "TrueRelevance": "oracle", "RewardCount": "reward"}


def label(cfg: object, name: str) -> str:
    """``name`` with its selector's main parameter and estimator, e.g. ``rand_topn (20, ctr)``."""
    policy = cfg.policy  # type: ignore[attr-defined]
    parts: list[str] = []
    selector = policy.get("selector")
    if selector is not None:
        parts += [str(selector[key]) for key in _SHOWN if key in selector]
    estimator = policy.get("estimator")
    if estimator is not None:
        short = str(estimator["_target_"]).rsplit(".", 1)[-1]
        config_name = _ESTIMATORS.get(short, short)
        if config_name != name:
            parts.append(config_name)
        elif estimator.get("propensity") == "known":
            parts.append(f"known eta={estimator['examination_eta']:g}")
        elif estimator.get("propensity") is not None:
            parts.append(f"{estimator['propensity']} curve")
    return f"{name} ({', '.join(parts)})" if parts else name


def measure(name: str, overrides: list[str]) -> tuple[str, float, float, float, float]:
    """``(label, regret, gini, tau, seconds)`` of one run of policy ``name``."""
    from loopsim.experiments.bench.timed_run import compose_config
    from loopsim.experiments.cli.runner import build_simulation

    cfg = compose_config([f"policy={name}", *overrides])
    result = build_simulation(cfg, name).run()
    result.raise_for_status()
    m = result.metrics.filter(pl.col("slice") == "all")
    horizon = float(m["t"].max())

    def final(metric: str) -> float:
        rows = m.filter((pl.col("metric") == metric) & (pl.col("t") == horizon))["value"]
        return float(rows[0]) if len(rows) else math.nan

    regret = m.filter((pl.col("metric") == "regret_window") & (pl.col("t") > horizon - 5))
    return (label(cfg, name), float(regret["value"].mean()), final("gini_exposure"),
            final("tau_scores"), float(result.summary["wall_time_s"]))


def main(argv: list[str]) -> None:
    """Print the table for the README settings plus the ``key=value`` overrides in ``argv``."""
    overrides = [*SETTINGS, *argv]
    print(f"settings: {' '.join(overrides)}")
    print("| policy | regret | gini | tau | s |\n| --- | --- | --- | --- | --- |")
    for name in POLICIES:
        row, regret, gini, tau, seconds = measure(name, overrides)
        tau_text = "–" if math.isnan(tau) else f"{tau:.2f}"
        print(f"| {row} | {regret:.3f} | {gini:.2f} | {tau_text} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
