"""Screen settings of a self-defeating pair on the rows the loop serves.

    python -m loopsim.experiments.reproduce.self_defeating_screen SEED [OVERRIDE ...]
    python -m loopsim.experiments.reproduce.self_defeating_screen --pair data SEED [OVERRIDE ...]

One run of ``experiment=self_defeating_hypothesis policy=wu_hypothesis_old`` (the dot
upstream serves; the MLP upstream is its shadow, trained and validated on the same
served rows) with the given overrides. Prints one JSON line: the means over days > 5
of both upstreams' progressive-validation MSE (``upstream_mse_window``: the dot head,
``shadow_mse_window``: the MLP head), their difference (MLP - dot: negative where the
MLP head is better on its own metric on the same rows) and the run's regret. A cheap
check of the pair's premise before a sweep over worlds (docs/explanation/self-defeating.md).

``--pair data`` runs both systems of ``experiment=self_defeating_data`` (``policy=
wu_data_coarse_old`` and ``wu_data_coarse_improved``, each training the other's upstream
as its shadow on its rows) on the seed with the overrides, and prints the late means of
the improved upstream's MSE minus the old one's on each system's rows (negative: the
improvement is better on its own metric) and of the improved system's regret minus the
old one's (positive: worse).

``--pair hypothesis-both`` does the same for ``experiment=self_defeating_hypothesis``
(``wu_hypothesis_old`` and ``wu_hypothesis_improved``: the MLP head minus the dot head on
each system's rows); with ``policy.explore`` above 0 it adds the same differences on each
system's exploration rows alone (``mse_explore_on_old_rows``,
``mse_explore_on_improved_rows``: uniform slates no upstream chose; and
``mse_explore_each_deployed``, each deployed upstream on the same exploration rows).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from loopsim.experiments.reproduce.studies import run_preset, trajectory

__all__ = ["screen", "screen_data"]


def screen(seed: int, overrides: Sequence[str] = (), after: float = 5.0) -> dict[str, float]:
    """Late means of the dot (deployed) and MLP (shadow) upstreams' MSE on the same rows."""
    result = run_preset("self_defeating_hypothesis", seed,
                        ["policy=wu_hypothesis_old", *overrides])
    out: dict[str, float] = {}
    for metric in ("upstream_mse_window", "shadow_mse_window", "regret_window"):
        t, v = trajectory(result, metric)
        out[metric] = float(v[t > after].mean())
    out["mlp_minus_dot"] = out["shadow_mse_window"] - out["upstream_mse_window"]
    return out


def _late(result: object, metric: str, after: float) -> float:
    t, v = trajectory(result, metric)
    return float(v[t > after].mean())


def screen_data(seed: int, overrides: Sequence[str] = (), after: float = 5.0,
                policies: str = "wu_data_coarse",
                experiment: str = "self_defeating_data") -> dict[str, float]:
    """Late improved - old differences of a pair: MSE on each system's rows, regret.

    ``policies``: the pair's policy configs, ``{policies}_old`` and
    ``{policies}_improved``, in the preset ``experiment``. The old system serves the old
    upstream and shadows the improved one; the improved system the reverse; so each MSE
    difference is paired on one system's rows. Where the runs report the MSE on their
    exploration rows (``policy.explore > 0``), the same differences on those rows alone
    (``mse_explore_on_old_rows``, ``mse_explore_on_improved_rows``), and the deployed
    improved upstream's minus the deployed old one's (``mse_explore_each_deployed``: the
    two systems explore the same rows).
    """
    runs = {name: run_preset(experiment, seed, [f"policy={policies}_{name}", *overrides])
            for name in ("old", "improved")}
    old, new = runs["old"], runs["improved"]
    out = {
        "mse_on_old_rows": _late(old, "shadow_mse_window", after)
        - _late(old, "upstream_mse_window", after),
        "mse_on_improved_rows": _late(new, "upstream_mse_window", after)
        - _late(new, "shadow_mse_window", after),
        "regret_old": _late(old, "regret_window", after),
        "regret_improved": _late(new, "regret_window", after),
        "regret_improved_minus_old": _late(new, "regret_window", after)
        - _late(old, "regret_window", after),
    }
    if trajectory(old, "upstream_mse_explore_window")[0].size:
        out["mse_explore_on_old_rows"] = (_late(old, "shadow_mse_explore_window", after)
                                          - _late(old, "upstream_mse_explore_window", after))
        out["mse_explore_on_improved_rows"] = (
            _late(new, "upstream_mse_explore_window", after)
            - _late(new, "shadow_mse_explore_window", after))
        out["mse_explore_each_deployed"] = (_late(new, "upstream_mse_explore_window", after)
                                            - _late(old, "upstream_mse_explore_window", after))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Print one JSON line of the screen for the seed and the overrides."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pair", choices=("hypothesis", "data", "hypothesis-both"),
                        default="hypothesis")
    parser.add_argument("--policies", default=None,
                        help="--pair data: the policies PREFIX_old and PREFIX_improved "
                             "(default wu_data_coarse)")
    parser.add_argument("seed", type=int)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args(argv)
    if args.policies is not None and args.pair != "data":
        parser.error("--policies chooses the data pair's policies: add --pair data, or "
                     "leave --policies out")
    args.policies = args.policies or "wu_data_coarse"
    if args.pair == "data":
        out = screen_data(args.seed, args.overrides, policies=args.policies)
    elif args.pair == "hypothesis-both":
        out = screen_data(args.seed, args.overrides, policies="wu_hypothesis",
                          experiment="self_defeating_hypothesis")
    else:
        out = screen(args.seed, args.overrides)
    print(json.dumps({"seed": args.seed, "pair": args.pair, "overrides": args.overrides,
                      **out}))


if __name__ == "__main__":
    main()
