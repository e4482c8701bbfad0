"""Figures of docs/validation.md, drawn from the values measured by ``reproduce``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from loopsim.experiments.reproduce.results import ChaneyResult, DriftResult, Validation

#: Policies of the Chaney figure and table, with the paper's names.
CHANEY_NAMES = {"popularity": "popularity", "mf": "matrix factorization (implicit ALS)",
                "random": "random", "oracle": "ideal (oracle)"}


def _band(ax: object, t: np.ndarray, rows: np.ndarray, label: str) -> None:
    mean, sd = rows.mean(axis=0), rows.std(axis=0)
    line = ax.plot(t, mean, marker="o", ms=3, label=label)  # type: ignore[attr-defined]
    ax.fill_between(t, mean - sd, mean + sd, alpha=0.2,  # type: ignore[attr-defined]
                    color=line[0].get_color())


def _figure_maker() -> object:
    """``subplots`` and ``close`` as pyplot has them, on plain Agg-canvas figures."""
    from types import SimpleNamespace

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def subplots(*args: object, figsize: tuple[float, float] | None = None,
                 **kwargs: object) -> tuple[Figure, object]:
        fig = Figure(figsize=figsize)
        FigureCanvasAgg(fig)
        return fig, fig.subplots(*args, **kwargs)  # type: ignore[call-overload]

    return SimpleNamespace(subplots=subplots, close=lambda fig: None)


def draw_figures(out: Path, v: Validation) -> None:
    """Draw every figure of the page into ``out``."""
    plt = _figure_maker()  # figures without pyplot: the user's backend is left alone

    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax = axes[0]
    for s in v.static.shares:
        ax.scatter(v.static.predicted, s, s=10, alpha=0.6)
    lim = float(max(v.static.predicted.max(), v.static.shares.max())) * 1.05
    ax.plot([0, lim], [0, lim], "k--", lw=1)
    ax.set(xlabel="predicted share $(v q)^{1/(1-r)}$", ylabel="measured download share",
           title="Static ranking, r = 0.5 (one colour per seed)")
    ax = axes[1]
    ax.bar(np.arange(v.best.size), v.best)
    ax.axhline(0.95, color="k", ls="--", lw=1)
    ax.set(xlabel="seed", ylabel="share of the best song", ylim=(0, 1.02),
           title="Quality ranking, r = 1")
    fig.tight_layout()
    fig.savefig(out / "trial_offer_theory.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax = axes[0]
    seeds = np.arange(v.indep.gini.size)
    ax.plot(seeds, v.indep.gini, "o-", label="independent")
    ax.plot(seeds, v.social.gini, "s-", label="social (ranked by downloads)")
    ax.set(xlabel="replicate world (seed)", ylabel="Gini of downloads", ylim=(0, 1),
           title=f"Inequality: U indep = {v.indep.unpredictability:.4f}, "
                 f"U social = {v.social.unpredictability:.4f}")
    ax.legend()
    ax = axes[1]
    order = np.argsort(v.indep.quality)
    for cond, res, marker in (("independent", v.indep, "o"), ("social", v.social, "s")):
        ax.scatter(np.repeat(v.indep.quality[order][None], res.shares.shape[0], 0),
                   res.shares[:, order], s=8, alpha=0.5, marker=marker, label=cond)
    ax.set(xlabel="song quality", ylabel="market share of downloads (all replicates)",
           title="Success against quality")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "musiclab_presets.png", dpi=110)
    plt.close(fig)

    _chaney_figure(plt, out, v.chaney)
    _drift_figure(plt, out, v.jiang, v.sphere)


def _chaney_figure(plt: object, out: Path, ch: ChaneyResult) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))  # type: ignore[attr-defined]
    panels = (("homogenization", "change in Jaccard index (random pairs)"),
              ("homogenization_nn", "change in Jaccard index (similar users paired)"))
    for ax, (measure, label) in zip(axes[:2], panels, strict=True):
        for policy in ch.values[measure]:
            _band(ax, ch.times, ch.change(measure, policy), CHANEY_NAMES.get(policy, policy))
        ax.axvline(ch.startup, color="grey", ls=":", lw=1)
        ax.set(xlabel="time step", ylabel=label, title="Homogenization relative to ideal")
    ax = axes[2]
    after = ch.times > ch.startup
    for policy in ch.values["reward_per_session_window"]:
        _band(ax, ch.times[after], ch.utility_relative_over_time(policy)[:, after],
              CHANEY_NAMES.get(policy, policy))
    ax.set(xlabel="time step", ylabel="utility relative to ideal, (u - u*) / u*",
           title="Utility relative to ideal (after start-up)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "chaney.png", dpi=110)
    plt.close(fig)  # type: ignore[attr-defined]


def _drift_figure(plt: object, out: Path, jiang: DriftResult, sphere: DriftResult) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))  # type: ignore[attr-defined]
    for setting, rows in jiang.drift.items():
        _band(axes[0], jiang.times, rows, setting)
    axes[0].axhline(2.0, color="k", ls="--", lw=1, label="bound of the sphere model")
    axes[0].set(xlabel="day", ylabel="drift_distance (mean ||theta_t - theta_0||)",
                title="Unbounded interest (world=interest)")
    axes[0].legend(fontsize=8)
    for setting, rows in sphere.drift.items():
        _band(axes[1], sphere.times, rows, setting)
    axes[1].axhline(2.0, color="k", ls="--", lw=1)
    axes[1].set(xlabel="day", ylabel="drift_distance", ylim=(0, 2.1),
                title="Bounded variant: preferences on the unit sphere")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "degeneracy.png", dpi=110)
    plt.close(fig)  # type: ignore[attr-defined]
