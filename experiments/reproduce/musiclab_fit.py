"""Fit MusicLab's social-influence parameters on Experiment 1, with their uncertainty.

    python -m loopsim.experiments.reproduce.musiclab_fit --data-dir PATH [--out fit.json]

What is fitted, and on what (Experiment 1 only):

* the songs: from the independent world (world 9) at every run, by the world itself
  (:func:`loopsim.simulator.world.musiclab.calibrated_songs`); nothing to fit here;
* the social weight ``lambda`` and exponent ``r`` of the attractiveness
  ``appeal + lambda * downloads ** r``: on the eight social worlds, by a grid search
  that matches three figures of the data, each measured on the model with the data's
  estimator: the mean Gini of the social worlds, U over the social worlds and the mean
  Spearman correlation of the independent shares with each social world's shares.
  The loss is ``sum_f ((model_f - data_f) / sd_f) ** 2``, ``model_f`` the mean over
  ``replicates`` model replicates of Experiment 1 (world by world, with each world's
  participants and downloads) and ``sd_f**2`` the data figure's bootstrap variance plus
  the model mean's simulation variance.

Uncertainty: a bootstrap over participants (within each world) redraws the data's
figures (centred on the data's own: resampling with repeats inflates Gini and U); each
redraw is refitted on the same grid (the model runs are reused, so the
songs stay at their point estimate), and the spread of the refitted parameters is
reported. The output is a small JSON of parameters and figures: no song-level value
and nothing copied from the files (the data's licence forbids redistributing them).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from loopsim.experiments.reproduce.musiclab_figures import MarketFigures, figures
from loopsim.experiments.reproduce.musiclab_model import experiment1
from loopsim.simulator.world.musiclab_io import MusicLabData, read_musiclab

#: The grid searched: (social_exponent, social_weight).
GRID: tuple[tuple[float, float], ...] = (
    *((1.0, lam) for lam in (0.02, 0.04, 0.06, 0.08, 0.10, 0.12)),
    *((0.5, lam) for lam in (0.2, 0.4, 0.6, 0.8)),
)
FIGURES = ("gini_social", "u_social", "spearman")


def summary(f: MarketFigures) -> np.ndarray:
    """``(3,)`` the fitted figures: mean social Gini, social U, mean Spearman."""
    return np.array([f.gini_social.mean(), f.u_social, f.spearman.mean()])


def bootstrap_figures(data: MusicLabData, n: int, seed: int = 0, splits: int = 20
                      ) -> np.ndarray:
    """``(n, 3)`` the data's fitted figures over ``n`` bootstraps of participants."""
    rng = np.random.default_rng(seed)
    social = [w.per_participant() for w in data.social]
    indep = data.independent.per_participant()
    out = np.empty((n, len(FIGURES)))
    for b in range(n):
        s = [x[rng.integers(0, x.shape[0], x.shape[0])] for x in social]
        i = indep[rng.integers(0, indep.shape[0], indep.shape[0])]
        out[b] = summary(figures(s, i, rng, splits))
    return out


@dataclass
class Fit:
    """The fitted parameters, the grid's figures and the bootstrap's spread."""

    social_exponent: float
    social_weight: float
    loss: float
    data: list[float]                 # the data's figures (FIGURES order)
    data_sd: list[float]              # their bootstrap standard deviations
    grid: list[dict[str, float]]      # per grid point: parameters, model figures, loss
    bootstrap_weight: list[float]     # 2.5%, 50%, 97.5% of the refitted social_weight
    bootstrap_exponent_share: dict[str, float]  # share of refits choosing each exponent
    replicates: int
    bootstraps: int


def fit(data_dir: str, grid: Sequence[tuple[float, float]] = GRID, replicates: int = 4,
        bootstraps: int = 200, seed: int = 0) -> Fit:
    """Grid-search ``(r, lambda)`` on Experiment 1's social worlds; bootstrap the data."""
    data = read_musiclab(data_dir)
    target = summary(figures([w.per_participant() for w in data.social],
                             data.independent.per_participant(), np.random.default_rng(seed)))
    boot = bootstrap_figures(data, bootstraps, seed)
    data_var = boot.var(axis=0, ddof=1)
    # Resampling participants with repeats inflates Gini and U (more sampling noise):
    # the redraws are centred on the data's figures, keeping only their spread.
    boot = boot - boot.mean(axis=0) + target
    rows, means, variances = [], [], []
    for r, lam in grid:
        over = [f"world.social_exponent={r}", f"world.social_weight={lam}"]
        runs = np.array([summary(experiment1(data, data_dir, seed + k, over, splits=20))
                         for k in range(replicates)])
        means.append(runs.mean(axis=0))
        variances.append(runs.var(axis=0, ddof=1) / replicates if replicates > 1
                         else np.zeros(len(FIGURES)))
    means_a, var_a = np.array(means), np.array(variances)
    loss = (((means_a - target) ** 2) / (data_var + var_a)).sum(axis=1)
    for (r, lam), m, value in zip(grid, means_a, loss, strict=True):
        rows.append({"social_exponent": r, "social_weight": lam, "loss": float(value),
                     **{f: float(x) for f, x in zip(FIGURES, m, strict=True)}})
    best = int(np.argmin(loss))
    refit = [int(np.argmin((((means_a - b) ** 2) / (data_var + var_a)).sum(axis=1)))
             for b in boot]
    exps = np.array([grid[i][0] for i in refit])
    same = np.array([grid[i][1] for i in refit if grid[i][0] == grid[best][0]])
    weights = same if same.size else np.array([grid[best][1]])
    return Fit(
        social_exponent=float(grid[best][0]), social_weight=float(grid[best][1]),
        loss=float(loss[best]), data=[float(x) for x in target],
        data_sd=[float(x) for x in np.sqrt(data_var)], grid=rows,
        bootstrap_weight=[float(x) for x in np.quantile(weights, [0.025, 0.5, 0.975])],
        bootstrap_exponent_share={str(e): float((exps == e).mean()) for e in sorted(set(exps))},
        replicates=replicates, bootstraps=bootstraps,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the fit and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True, help="folder of the MusicLab files")
    parser.add_argument("--out", default="musiclab_fit.json", help="the JSON written")
    parser.add_argument("--replicates", type=int, default=4, help="model replicates per point")
    parser.add_argument("--bootstraps", type=int, default=200, help="bootstraps of participants")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = fit(args.data_dir, GRID, args.replicates, args.bootstraps, args.seed)
    Path(args.out).write_text(json.dumps(asdict(result), indent=2) + "\n")
    print(f"social_exponent={result.social_exponent} social_weight={result.social_weight} "
          f"(bootstrap 95%: {result.bootstrap_weight[0]:.3g}-{result.bootstrap_weight[2]:.3g}); "
          f"wrote {args.out}")


if __name__ == "__main__":
    main()
