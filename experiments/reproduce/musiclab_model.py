"""Runs of the calibrated MusicLab model, measured like the data.

Each run composes ``experiment=musiclab_exp1`` or ``musiclab_exp2`` with one condition
(``+musiclab=exp1_social`` ...) exactly as the presets' sweeps do, runs it in process
and returns the participants' downloads (:meth:`MusicLabWorld.user_downloads`), so the
figures are computed with the same estimators as the data's
(:func:`loopsim.experiments.reproduce.musiclab_figures.figures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from loopsim.experiments.cli.runner import build_simulation
from loopsim.experiments.reproduce.musiclab_figures import MarketFigures, figures
from loopsim.experiments.reproduce.studies import preset
from loopsim.simulator.metrics import gini, spearman
from loopsim.simulator.metrics.markets import market_shares, unpredictability
from loopsim.simulator.world.musiclab import MusicLabWorld
from loopsim.simulator.world.musiclab_io import MusicLabData, read_musiclab
from omegaconf import DictConfig, open_dict


def condition_config(experiment: str, condition: str, data_dir: str,
                     overrides: Sequence[str] = ()) -> DictConfig:
    """``experiment=<experiment> +musiclab=<condition>`` with the data folder set."""
    return preset(experiment, [f"+musiclab={condition}", f"world.data_dir={data_dir}",
                               "progress=false", *overrides])


def run_market(cfg: DictConfig, seed: int, n_users: int | None = None,
               downloads: float | None = None) -> np.ndarray:
    """One market of ``cfg`` at ``seed``: ``(participants, 48)`` downloads per participant.

    Args:
        cfg: A composed condition (:func:`condition_config`).
        seed: The run's seed.
        n_users: Participants (default: the config's).
        downloads: Expected downloads, by setting the sessions per participant
            (default: the config's sessions).
    """
    cfg = cfg.copy()
    with open_dict(cfg):
        cfg.seed = int(seed)
        if n_users is not None:
            cfg.world.n_users = int(n_users)
        if downloads is not None:
            cfg.world.sessions_per_user_per_day = float(downloads) / (
                cfg.world.n_users * downloads_per_listen(str(cfg.world.data_dir),
                                                         float(cfg.world.appeal_share),
                                                         bool(cfg.world.download_once)))
    sim = build_simulation(cfg, "musiclab")
    sim.run().raise_for_status()
    world = sim.world
    if not isinstance(world, MusicLabWorld):
        raise TypeError(f"expected a MusicLabWorld, got {type(world).__name__}")
    return np.array(world.user_downloads())


def downloads_per_listen(data_dir: str, appeal_share: float, download_once: bool = False
                         ) -> float:
    """Expected downloads per listen in a random order without counts: ``sum a q / sum a``."""
    from loopsim.simulator.world.musiclab import calibrated_songs

    a, q = calibrated_songs(data_dir, appeal_share, download_once)
    return float((a * q).sum() / a.sum())


def experiment1(data: MusicLabData | str, data_dir: str, seed: int,
                overrides: Sequence[str] = (), splits: int = 200) -> MarketFigures:
    """One model replicate of the whole of Experiment 1, world by world as in the data.

    Social world ``w`` runs with the participants and downloads of the data's world
    ``w``; the independent world with world 9's. Runs of different ``seed`` are
    independent replicates.
    """
    if not isinstance(data, MusicLabData):
        data = read_musiclab(data)
    social_cfg = condition_config("musiclab_exp1", "exp1_social", data_dir, overrides)
    # The independent world shows no counts, whatever the overrides say of the social ones.
    indep_cfg = condition_config("musiclab_exp1", "exp1_independent", data_dir,
                                 [*overrides, "world.social_weight=0.0"])
    social = [run_market(social_cfg, 1000 * seed + w.world, w.participants.size,
                         w.downloads.sum()) for w in data.social]
    indep = run_market(indep_cfg, 1000 * seed + 9, data.independent.participants.size,
                       data.independent.downloads.sum())
    return figures(social, indep, np.random.default_rng(seed), splits)


@dataclass(frozen=True)
class ConditionRuns:
    """Replicate markets of one condition: per-run downloads and the songs' quality."""

    label: str
    downloads: np.ndarray    # (runs, 48)
    quality: np.ndarray      # (48,) the model's true value (ranks as the independent share)

    @property
    def gini(self) -> np.ndarray:
        """``(runs,)`` final Gini of downloads (``gini_reward``)."""
        return np.array([gini(d) for d in self.downloads])

    @property
    def spearman(self) -> np.ndarray:
        """``(runs,)`` Spearman of quality with each run's download share."""
        return np.array([spearman(self.quality, d) for d in self.downloads])

    @property
    def unpredictability(self) -> float:
        """U over all pairs of the runs."""
        return unpredictability(market_shares(self.downloads))

    def unpredictability_interval(self, rng: np.random.Generator, n: int = 1000
                                  ) -> tuple[float, float]:
        """95% bootstrap interval of U, resampling the replicate runs (distinct pairs)."""
        runs = self.downloads.shape[0]
        out = []
        for _ in range(n):
            pick = rng.choice(runs, runs, replace=True)
            if np.unique(pick).size < 2:
                continue
            shares = market_shares(self.downloads[pick])
            j, k = np.triu_indices(runs, 1)
            distinct = pick[j] != pick[k]          # a run paired with itself is no pair
            out.append(float(np.abs(shares[j[distinct]] - shares[k[distinct]]).mean()))
        lo, hi = np.quantile(out, [0.025, 0.975])
        return float(lo), float(hi)


def conditions(experiment: str, data_dir: str, seeds: Sequence[int] = range(8),
               overrides: Sequence[str] = ()) -> dict[str, ConditionRuns]:
    """Run both conditions of ``experiment`` (``musiclab_exp1`` or ``musiclab_exp2``)."""
    prefix = "exp1" if experiment.endswith("exp1") else "exp2"
    out = {}
    for label in ("independent", "social"):
        cfg = condition_config(experiment, f"{prefix}_{label}", data_dir, overrides)
        runs = np.stack([run_market(cfg, s).sum(axis=0) for s in seeds])
        world = MusicLabWorld(n_items=48, data_dir=data_dir,
                              appeal_share=float(cfg.world.appeal_share),
                              download_once=bool(cfg.world.download_once))
        world.reset(np.random.default_rng(0))
        out[label] = ConditionRuns(label, runs, world.true_value(np.arange(48)))
    return out


__all__ = ["ConditionRuns", "condition_config", "conditions", "downloads_per_listen",
           "experiment1", "run_market"]
