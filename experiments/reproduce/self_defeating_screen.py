"""Screen settings of the hypothesis pair on the rows the loop serves, one run each.

    python -m loopsim.experiments.reproduce.self_defeating_screen SEED [OVERRIDE ...]

One run of ``experiment=self_defeating_hypothesis policy=wu_hypothesis_old`` (the dot
upstream serves; the MLP upstream is its shadow, trained and validated on the same
served rows) with the given overrides. Prints one JSON line: the means over days > 5
of both upstreams' progressive-validation MSE (``upstream_mse_window``: the dot head,
``shadow_mse_window``: the MLP head), their difference (MLP - dot: negative where the
MLP head is better on its own metric on the same rows) and the run's regret. A cheap
check of the pair's premise before a sweep over worlds (docs/explanation/self-defeating.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from loopsim.experiments.reproduce.studies import run_preset, trajectory

__all__ = ["screen"]


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


if __name__ == "__main__":
    seed, *rest = sys.argv[1:]
    print(json.dumps({"seed": int(seed), "overrides": rest, **screen(int(seed), rest)}))
