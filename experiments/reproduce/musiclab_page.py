# ruff: noqa: E501  (Markdown table rows cannot be folded)
"""docs/musiclab.md: the calibrated MusicLab model against Experiment 1's data, and its
prediction of Experiment 2.

    python -m loopsim.experiments.reproduce.musiclab_page --data-dir PATH --fit fit.json

reads the raw files from ``--data-dir`` (never copied), runs ``--replicates`` model
replicates of Experiment 1 world by world and 8 replicate markets of each condition of
Experiment 2, draws ``docs/figures/musiclab.png`` and writes the page from the measured
values. ``--fit`` is the JSON of ``python -m loopsim.experiments.reproduce.musiclab_fit``
(its parameters and their bootstrap spread are quoted; without it the page says the
fit was not given).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from loopsim.experiments.reproduce.musiclab_figures import MarketFigures, observed
from loopsim.experiments.reproduce.musiclab_model import (
    ConditionRuns,
    conditions,
    experiment1,
)
from loopsim.simulator.world.musiclab_io import read_musiclab


@dataclass
class MusicLabReport:
    """What the page shows."""

    data: MarketFigures
    model: list[MarketFigures]          # replicates of Experiment 1
    exp2: dict[str, ConditionRuns]      # predicted Experiment 2, per condition
    exp2_u_interval: dict[str, tuple[float, float]]
    fit: dict[str, Any] | None
    exp2_eta_half: dict[str, ConditionRuns] | None = None   # the same with visibility (1/k)^0.5


def measure(data_dir: str, replicates: int = 8, fit: dict[str, Any] | None = None,
            seeds: Sequence[int] = range(8)) -> MusicLabReport:
    """Run the model replicates of Experiment 1 and the Experiment 2 prediction."""
    data = read_musiclab(data_dir)
    model = [experiment1(data, data_dir, 100 + r) for r in range(replicates)]
    exp2 = conditions("musiclab_exp2", data_dir, seeds)
    half = conditions("musiclab_exp2", data_dir, seeds, ["click_model.visibility_exponent=0.5"])
    rng = np.random.default_rng(0)
    return MusicLabReport(observed(data), model, exp2,
                          {k: v.unpredictability_interval(rng) for k, v in exp2.items()}, fit,
                          half)


def interval(x: np.ndarray) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean over replicates and its 95% t-interval."""
    from loopsim.experiments.compare.aggregate import t_quantile_975

    x = np.asarray(x, dtype=np.float64)
    half = t_quantile_975(x.size - 1) * x.std(ddof=1) / np.sqrt(x.size) if x.size > 1 else 0.0
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


def _ci(x: np.ndarray, digits: int = 3) -> str:
    m, lo, hi = interval(x)
    return f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _range(x: np.ndarray, digits: int = 3) -> str:
    x = np.asarray(x)
    return f"{x.mean():.{digits}f} ({x.min():.{digits}f} to {x.max():.{digits}f})"


def draw(report: MusicLabReport, out: Path) -> Path:
    """``out/musiclab.png``: model against data world by world, and the prediction."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(14, 4))     # no pyplot: the user's backend is left alone
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    ax = axes[0]
    worlds = np.arange(1, 10)
    model_g = np.array([[*f.gini_social, f.gini_independent] for f in report.model])
    data_g = np.array([*report.data.gini_social, report.data.gini_independent])
    ax.boxplot(model_g, positions=worlds, widths=0.5)
    ax.scatter(worlds, data_g, color="C3", zorder=3, label="data (Experiment 1)")
    ax.set(xticks=worlds, xticklabels=[*map(str, range(1, 9)), "indep."],
           xlabel="world", ylabel="Gini of downloads",
           title="Experiment 1: model replicates (boxes) vs data")
    ax.legend(loc="upper right")
    ax = axes[1]
    model_sp = np.array([f.spearman for f in report.model])
    ax.boxplot(model_sp, positions=worlds[:8], widths=0.5)
    ax.scatter(worlds[:8], report.data.spearman, color="C3", zorder=3, label="data")
    ax.set(xticks=worlds[:8], xlabel="social world",
           ylabel="Spearman(independent share, social share)",
           title="Experiment 1: quality vs social share")
    ax.legend(loc="lower right")
    ax = axes[2]
    for i, (label, runs) in enumerate(report.exp2.items()):
        ax.scatter(np.full(runs.gini.size, i) + np.linspace(-0.1, 0.1, runs.gini.size),
                   runs.gini, color=f"C{i}", label=f"{label} (8 markets)")
    ax.axhline(report.data.gini_independent, color="C0", ls=":", lw=1,
               label="Exp. 1 data, independent")
    ax.axhline(report.data.gini_social.mean(), color="C1", ls=":", lw=1,
               label="Exp. 1 data, social (mean)")
    ax.set(xticks=[0, 1], xticklabels=list(report.exp2), ylabel="final Gini of downloads",
           title="Experiment 2: PREDICTED (nothing fitted to it)")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path = out / "musiclab.png"
    fig.savefig(path, dpi=110)
    return path


def render(r: MusicLabReport, figure: str = "figures/musiclab.png") -> str:
    """The page, in Markdown."""
    d, m = r.data, r.model
    g_soc = np.array([f.gini_social.mean() for f in m])
    within = [(float(np.min([f.gini_social[w] for f in m])), float(np.max([f.gini_social[w] for f in m])))
              for w in range(8)]
    rows = "\n".join(
        f"| {w + 1} | {int(d.participants_social[w])} | {int(d.downloads_social[w])} | {d.gini_social[w]:.3f} | "
        f"{np.mean([f.gini_social[w] for f in m]):.3f} ({within[w][0]:.3f} to {within[w][1]:.3f}) | "
        f"{d.spearman[w]:.3f} | {np.mean([f.spearman[w] for f in m]):.3f} |"
        for w in range(8))
    fit = r.fit
    if fit is None:
        fit_text = "The fit's JSON was not given to this command: run `musiclab_fit` and pass `--fit`."
    else:
        grid = "\n".join(f"| {g['social_exponent']} | {g['social_weight']} | {g['gini_social']:.3f} | "
                         f"{g['u_social']:.4f} | {g['spearman']:.3f} | {g['loss']:.1f} |" for g in fit["grid"])
        shares = ", ".join(f"r = {k}: {v:.0%}" for k, v in fit["bootstrap_exponent_share"].items())
        bw = fit["bootstrap_weight"]
        fit_text = f"""Fitted: **r = {fit['social_exponent']}, lambda = {fit['social_weight']}** (loss {fit['loss']:.2f}
for 3 figures; {fit['replicates']} model replicates per grid point). Data figures and their
bootstrap standard deviations: mean social Gini {fit['data'][0]:.3f} ± {fit['data_sd'][0]:.3f}, social U
{fit['data'][1]:.4f} ± {fit['data_sd'][1]:.4f}, mean Spearman {fit['data'][2]:.3f} ± {fit['data_sd'][2]:.3f}.

Uncertainty ({fit['bootstraps']} bootstraps over participants, each refitted on the grid): the
exponent is chosen as {shares}; with r = {fit['social_exponent']}, lambda's 2.5%, 50% and 97.5% points are
{bw[0]}, {bw[1]} and {bw[2]} (the grid's step is 0.02, so the interval is no finer than that). The
exponent is weakly identified: r = 0.5 with a larger lambda fits almost as well; the
prediction below is made with the point estimate.

| r | lambda | mean social Gini | social U | mean Spearman | loss |
| --- | --- | --- | --- | --- | --- |
{grid}"""
    e2 = r.exp2
    e2_rows = "\n".join(
        f"| `label={k}` | {_ci(v.gini)} | {v.unpredictability:.4f} [{r.exp2_u_interval[k][0]:.4f}, {r.exp2_u_interval[k][1]:.4f}] | {_ci(v.spearman)} |"
        for k, v in e2.items())
    return f"""# MusicLab: calibrated on Experiment 1, predicting Experiment 2

Salganik, Dodds & Watts (2006) ran an artificial music market: participants listened to
48 unknown songs and could download them. In eight *social* worlds they saw how many
times each song had been downloaded in their world; in an *independent* world they did
not. Experiment 1 showed the songs in a grid, in a random order; Experiment 2 in one
column sorted by download count. This page sets loopsim's MusicLab model, calibrated on
the raw download files of **Experiment 1 only**, against those files world by world, and
states what the same model **predicts** for Experiment 2.

Written by (the data are read from a path, never copied: licence CC BY-NC-ND; the files'
README says where to obtain them):

```bash
python -m loopsim.experiments.reproduce.musiclab_fit --data-dir PATH --out fit.json      # the fit (~10 min)
python -m loopsim.experiments.reproduce.musiclab_page --data-dir PATH --fit fit.json     # this page and figures/musiclab.png
```

## The model

`world=musiclab` with `world.data_dir=PATH`, `click_model=trial_offer`:

* **Songs** (from the independent world, world 9): a song's expected download share `w_i`
  is its measured share with the binomial sampling noise shrunk away (method of moments),
  then corrected for the participants who download many songs, since a participant
  downloads a song at most once (`download_once`): `w` is the weight whose successive
  sampling without repeats, by world 9's participants, gives those shares. Downloads alone
  cannot split `w` into appeal (chance of a listen) and quality (chance of a download
  after a listen): the split is assumed even, `appeal = quality = sqrt(w / max w)`
  (`world.appeal_share = 0.5`).
* **A session is one listen** (outside option `K = 0`): song `i` at rank `k` is chosen with
  probability `v_k A_i / sum_j v_j A_j`, then downloaded with its quality. In a social
  world `A_i = appeal_i + lambda * downloads_i ^ r` (the displayed counts).
* **Participants and downloads as in the data**: each world has its number of downloading
  participants; each participant's activity is drawn from that condition's downloads per
  participant (most download one song, a few nearly all 48); sessions per participant are
  set so the expected downloads equal the world's.
* **Display of Experiment 1**: a grid in a new random order for each participant, so every
  position is equally visible on average: `v_k = 1`.
* **Social influence**: `lambda` and `r`, fitted on the eight social worlds (below).

## The fit (Experiment 1's social worlds)

A grid search over `(r, lambda)` matches three figures of the social worlds, each measured
on the model with the data's estimator: the mean Gini, U over the 8 worlds and the mean
Spearman correlation of the independent shares with each social world's shares. Each
grid point runs Experiment 1 world by world (8 social worlds, each with its own
participants and downloads, and the independent world).

{fit_text}

## Experiment 1: model against data, world by world

```bash
loopsim experiment=musiclab_exp1 world.data_dir=PATH     # the preset as a sweep: 2 conditions x 8 seeds
```

runs the preset with the mean participants and downloads of the social worlds (compare's
summary gives U per condition). The figures below come from the same preset, composed
once per world with that world's participants and downloads
(`loopsim.experiments.reproduce.musiclab_model.experiment1`).

{len(m)} model replicates of the whole experiment (each: 8 social worlds and the independent
one), measured exactly as the data (the data's README: Gini over 48 songs, U over pairs of
social worlds, U of the independent world over 200 random half-splits of its participants,
Spearman of the independent shares with each social world's shares).

![MusicLab: model against data]({figure})

| social world | participants | downloads | data Gini | model Gini, mean (min to max) | data Spearman | model Spearman, mean |
| --- | --- | --- | --- | --- | --- | --- |
{rows}

| figure | data | model (mean over replicates, min to max) | test and tolerance |
| --- | --- | --- | --- |
| Gini, social worlds (mean) | {d.gini_social.mean():.3f} (range {d.gini_social.min():.3f} to {d.gini_social.max():.3f}) | {_range(g_soc)} | `test_musiclab_exp1_reproduces_the_data`: model mean within the data's range of worlds |
| Gini, independent world | {d.gini_independent:.3f} | {_range(np.array([f.gini_independent for f in m]))} | within 0.03 |
| U, social worlds | {d.u_social:.4f} | {_range(np.array([f.u_social for f in m]), 4)} | within 25% |
| U, independent (half-splits) | {d.u_independent:.4f} | {_range(np.array([f.u_independent for f in m]), 4)} | within 25% |
| Spearman, independent vs social share (mean) | {d.spearman.mean():.3f} (range {d.spearman.min():.3f} to {d.spearman.max():.3f}) | {_range(np.array([f.spearman.mean() for f in m]))} | within 0.05 |

What is fitted and what is not: the songs come from the independent world's shares, so
the independent Gini and U are consequences of the song calibration and of the
participants' heterogeneity (not free parameters); `lambda` and `r` are fitted to the
three social figures, so matching them is a calibration, not a validation. World-by-world
Gini and Spearman, and the independent world's Gini and half-split U, are the checks the
fit did not target. {_inside(r)}

## Experiment 2: a PREDICTION

Nothing is fitted to Experiment 2: songs, `lambda`, `r`, participants and downloads are
Experiment 1's (the social condition with the mean participants and downloads of the
social worlds, the independent one with world 9's). Only the display changes: one column,
sorted by download count in the social condition (ties at random; a random order in the
independent condition).

**Position-visibility law (an assumption)**: `v_k = 1 / k` for rank `k` of the column. It is
the position-based examination law `(1/k)^eta` with `eta = 1` that learning-to-rank work
uses to model how attention decays down a single ranked list (e.g. the propensity model
simulated by Joachims, Swaminathan & Schnabel 2017, "Unbiased learning-to-rank with biased
feedback"); it is not measured on MusicLab. MusicLab's own position effect in Experiment 2
was estimated by later work (e.g. Krumme et al. 2012) *from Experiment 2's data*: using it
would fit the prediction to what it predicts, so it is not used. Exp. 1's grid in random
order makes its position law irrelevant there (every song gets every position).

```bash
loopsim experiment=musiclab_exp2 world.data_dir=PATH     # 2 conditions x 8 markets, with compare's summary (gini_reward, U)
```

Predicted (8 replicate markets per condition; mean and 95% t-interval over markets; U over
the 8 markets with a 95% bootstrap interval over markets):

| condition | final `gini_reward` | U | Spearman(quality, share) |
| --- | --- | --- | --- |
{e2_rows}

Here quality is the model's own (its songs' expected independent share, without sampling
noise), so this Spearman is higher than Experiment 1's, which correlates two noisy
shares; compare the two conditions with each other, not with the Experiment 1 table.

{_sensitivity(r)}

{_statement(r)}
"""


def _inside(r: MusicLabReport) -> str:
    lo = np.min([f.gini_social for f in r.model], axis=0)
    hi = np.max([f.gini_social for f in r.model], axis=0)
    inside = (r.data.gini_social >= lo) & (r.data.gini_social <= hi)
    out = [str(w + 1) for w in np.flatnonzero(~inside)]
    return (f"World by world, the data's Gini lies within the model replicates' range in "
            f"{int(inside.sum())} of 8 worlds"
            + (f" (outside: world {', '.join(out)}; the data's worlds spread more than the "
               "model's replicates do)." if out else "."))


def _sensitivity(r: MusicLabReport) -> str:
    if r.exp2_eta_half is None:
        return ""
    rows = "\n".join(f"| `label={k}` | {_ci(v.gini)} | {v.unpredictability:.4f} | {_ci(v.spearman)} |"
                     for k, v in r.exp2_eta_half.items())
    return f"""How much the prediction rests on the assumed law: the same runs with a flatter
column, `v_k = (1/k)^0.5`:

| condition | final `gini_reward` | U | Spearman(quality, share) |
| --- | --- | --- | --- |
{rows}"""


def _statement(r: MusicLabReport) -> str:
    soc, ind = r.exp2["social"], r.exp2["independent"]
    g_lo = interval(soc.gini)[1]
    more_unequal = g_lo > r.data.gini_social.max()
    u_more = r.exp2_u_interval["social"][0] > r.data.u_social
    parts = [
        "more unequal than every social world of Experiment 1 (the lower end of its interval "
        f"of Gini, {g_lo:.3f}, is above the data's highest, {r.data.gini_social.max():.3f})"
        if more_unequal else
        f"a Gini of {interval(soc.gini)[0]:.3f}, not clearly above Experiment 1's social worlds "
        f"(highest {r.data.gini_social.max():.3f})",
        f"{'more' if u_more else 'not clearly more'} unpredictable than Experiment 1's social "
        f"worlds (U {soc.unpredictability:.4f}, interval from {r.exp2_u_interval['social'][0]:.4f}, "
        f"against {r.data.u_social:.4f})",
    ]
    return ("**The prediction**: with a single column sorted by downloads, the social "
            "condition of Experiment 2 is " + "; and ".join(parts) + ", and its quality-share "
            f"correlation ({interval(soc.spearman)[0]:.3f}) is below the independent "
            f"condition's ({interval(ind.spearman)[0]:.3f}). The independent condition "
            f"stays near Experiment 1's independent world (Gini {interval(ind.gini)[0]:.3f}, "
            f"data {r.data.gini_independent:.3f}). Salganik et al. reported that Experiment 2's "
            "stronger social signal raised both inequality and unpredictability; Experiment 2's "
            "files are not in the shared data, so the prediction is not scored here.")


def main(argv: Sequence[str] | None = None) -> None:
    """Measure, draw the figure and write the page."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--fit", default=None, help="JSON of musiclab_fit (quoted on the page)")
    parser.add_argument("--replicates", type=int, default=8)
    parser.add_argument("--out", default="docs/figures")
    parser.add_argument("--page", default="docs/musiclab.md")
    args = parser.parse_args(argv)
    fit = json.loads(Path(args.fit).read_text()) if args.fit else None
    report = measure(args.data_dir, args.replicates, fit)
    draw(report, Path(args.out))
    Path(args.page).write_text(render(report))
    print(f"wrote {args.page} and {Path(args.out) / 'musiclab.png'}")


if __name__ == "__main__":
    main()
