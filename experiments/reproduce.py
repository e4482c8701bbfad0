"""Reproduce published results on the literature worlds (tests and docs/validation.md).

``python -m loopsim.experiments.reproduce --out docs/figures`` runs every check, prints the
measured values next to the published ones and draws the figures. The functions are
also what ``tests/experiments/test_validation.py`` runs (with fewer seeds).

* trial-offer theory (Maldonado et al. 2018; Van Hentenryck et al. 2016): shares under
  a static ranking and social exponent ``r < 1``; monopoly of the best song under
  quality ranking with ``r = 1``;
* MusicLab (Salganik, Dodds & Watts 2006): Gini and unpredictability of downloads in
  the independent and social conditions (the ``musiclab_*`` presets);
* Chaney, Stewart & Engelhardt (2018): homogenization and utility per policy (the
  ``chaney`` preset).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir
from loopsim.experiments.run import CONF_DIR
from loopsim.experiments.runner import build_simulation
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import TrueRelevance
from loopsim.policies.selectors import Greedy
from loopsim.simulator import MusicLabWorld, Simulation, SimulationConfig, Slates, TrialOfferModel
from loopsim.simulator.contract import Feedback, SlateRequest
from loopsim.simulator.metrics import gini
from loopsim.simulator.metrics.markets import market_shares, unpredictability
from loopsim.simulator.results import RunResult
from omegaconf import DictConfig


class StaticRanking:
    """Always the candidates in id order (a fixed ranking, for the trial-offer theory)."""

    def rank(self, request: SlateRequest) -> Slates:
        """The first ``k`` candidates, shared by every session."""
        row = request.candidates[: request.k]
        return Slates(np.broadcast_to(row, (request.batch_size, request.k)))

    def update(self, feedback: Feedback) -> None:
        """Learns nothing."""


def preset(name: str, overrides: Sequence[str] = ()) -> DictConfig:
    """Compose ``experiment=name`` with extra overrides (the sweep itself is not run)."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("config", overrides=[f"experiment={name}", *overrides])


def run_preset(name: str, seed: int, overrides: Sequence[str] = ()) -> RunResult:
    """One run of a preset at ``seed``."""
    cfg = preset(name, [f"seed={seed}", "progress=false", *overrides])
    result = build_simulation(cfg, str(cfg.policy._target_).rsplit(".", 1)[-1]).run()
    result.raise_for_status()
    return result


def final(result: RunResult, metric: str) -> float:
    """The value of ``metric`` at the last snapshot."""
    m = result.metrics
    last = m.filter(m["t"] == m["t"].max())
    return float(last.filter(last["metric"] == metric)["value"][0])


# -- trial-offer theory --------------------------------------------------------------------
@dataclass
class TrialOfferTheory:
    """Measured market shares against the fixed point ``(v q)^(1/(1-r))``."""

    shares: np.ndarray      # (seeds, n)
    predicted: np.ndarray   # (n,)

    @property
    def max_abs_error(self) -> np.ndarray:
        """``(seeds,)`` max over items of ``|share - predicted|``."""
        return np.abs(self.shares - self.predicted).max(axis=1)


def _market(r: float, seed: int, policy: object, horizon: float, eta: float
            ) -> tuple[MusicLabWorld, np.ndarray]:
    world = MusicLabWorld(n_users=1000, social_weight=1.0, social_exponent=r, seed=2016)
    cfg = SimulationConfig(horizon=horizon, tick=0.05, slate_size=48, retrain_interval=0.0,
                           snapshot_interval=horizon, progress=False)
    result = Simulation(world, TrialOfferModel(visibility_exponent=eta), policy, cfg, seed).run()
    result.raise_for_status()
    return world, result.items["reward"].to_numpy()


def trial_offer_static(r: float = 0.5, seeds: Sequence[int] = range(4), horizon: float = 200.0,
                       eta: float = 1.0) -> TrialOfferTheory:
    """Static ranking, social exponent ``r < 1``: shares against ``(v q)^(1/(1-r))``."""
    shares = []
    for seed in seeds:
        world, downloads = _market(r, seed, StaticRanking(), horizon, eta)
        shares.append(downloads / downloads.sum())
    ids = np.arange(48)
    fitness = TrialOfferModel(visibility_exponent=eta).visibility(48) * world.quality(ids)
    predicted = fitness ** (1.0 / (1.0 - r))
    return TrialOfferTheory(np.array(shares), predicted / predicted.sum())


def trial_offer_quality_ranking(seeds: Sequence[int] = range(8), horizon: float = 50.0,
                                eta: float = 1.0) -> np.ndarray:
    """Quality ranking (the oracle), ``r = 1``: ``(seeds,)`` final share of the best song."""
    out = []
    for seed in seeds:
        world, downloads = _market(1.0, seed, ComposedPolicy(TrueRelevance(), Greedy()), horizon,
                                     eta)
        best = int(np.argmax(world.quality(np.arange(48))))
        out.append(downloads[best] / downloads.sum())
    return np.array(out)


# -- MusicLab ------------------------------------------------------------------------------
@dataclass
class MusicLabResult:
    """Per-replicate download Gini and the unpredictability of one condition."""

    gini: np.ndarray        # (seeds,)
    shares: np.ndarray      # (seeds, 48)
    quality: np.ndarray     # (48,)

    @property
    def unpredictability(self) -> float:
        """Salganik et al.'s U across the replicates."""
        return unpredictability(self.shares)


def musiclab(condition: str, seeds: Sequence[int] = range(8)) -> MusicLabResult:
    """Run ``experiment=musiclab_<condition>`` at each seed."""
    ginis, downloads = [], []
    quality = np.zeros(0)
    for seed in seeds:
        result = run_preset(f"musiclab_{condition}", seed)
        d = result.items["reward"].to_numpy()
        ginis.append(gini(d))
        downloads.append(d)
        quality = result.items["true_value"].to_numpy()
    return MusicLabResult(np.array(ginis), market_shares(np.array(downloads)), quality)


# -- Chaney et al. -------------------------------------------------------------------------
@dataclass
class ChaneyResult:
    """Final homogenization and mean utility per session, per policy and seed."""

    homogenization: dict[str, np.ndarray]
    utility: dict[str, np.ndarray]
    trajectories: dict[str, np.ndarray]   # policy -> (seeds, snapshots) homogenization
    times: np.ndarray


def chaney(policies: Sequence[str] = ("random", "popularity", "mf", "oracle"),
           seeds: Sequence[int] = range(3), overrides: Sequence[str] = ()) -> ChaneyResult:
    """Run ``experiment=chaney`` for each policy and seed.

    Utility is the mean reward (the consumed item's true utility) per session after the
    start-up period.
    """
    homog: dict[str, list[float]] = {}
    util: dict[str, list[float]] = {}
    traj: dict[str, list[np.ndarray]] = {}
    times = np.zeros(0)
    for policy in policies:
        for seed in seeds:
            result = run_preset("chaney", seed, [f"policy={policy}", *overrides])
            m = result.metrics
            startup = float(preset("chaney", overrides).startup_days)
            h = m.filter(m["metric"] == "homogenization").sort("t")
            u = m.filter((m["metric"] == "reward_per_session_window") & (m["t"] > startup))
            homog.setdefault(policy, []).append(float(h["value"][-1]))
            util.setdefault(policy, []).append(float(u["value"].mean()))
            traj.setdefault(policy, []).append(h["value"].to_numpy())
            times = h["t"].to_numpy()
    return ChaneyResult({k: np.array(v) for k, v in homog.items()},
                        {k: np.array(v) for k, v in util.items()},
                        {k: np.array(v) for k, v in traj.items()}, times)


# -- figures and report --------------------------------------------------------------------
def _figures(out: Path, static: TrialOfferTheory, best: np.ndarray, indep: MusicLabResult,
             social: MusicLabResult, ch: ChaneyResult) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax = axes[0]
    for s in static.shares:
        ax.scatter(static.predicted, s, s=10, alpha=0.6)
    lim = float(max(static.predicted.max(), static.shares.max())) * 1.05
    ax.plot([0, lim], [0, lim], "k--", lw=1)
    ax.set(xlabel="predicted share $(v q)^{1/(1-r)}$", ylabel="measured download share",
           title="Static ranking, r = 0.5 (one colour per seed)")
    ax = axes[1]
    ax.bar(np.arange(best.size), best)
    ax.axhline(0.95, color="k", ls="--", lw=1)
    ax.set(xlabel="seed", ylabel="share of the best song", ylim=(0, 1.02),
           title="Quality ranking, r = 1")
    fig.tight_layout()
    fig.savefig(out / "trial_offer_theory.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax = axes[0]
    seeds = np.arange(indep.gini.size)
    ax.plot(seeds, indep.gini, "o-", label="independent")
    ax.plot(seeds, social.gini, "s-", label="social (ranked by downloads)")
    ax.set(xlabel="replicate world (seed)", ylabel="Gini of downloads", ylim=(0, 1),
           title=f"Inequality: U indep = {indep.unpredictability:.4f}, "
                 f"U social = {social.unpredictability:.4f}")
    ax.legend()
    ax = axes[1]
    order = np.argsort(indep.quality)
    for cond, res, marker in (("independent", indep, "o"), ("social", social, "s")):
        ax.scatter(np.repeat(indep.quality[order][None], res.shares.shape[0], 0),
                   res.shares[:, order], s=8, alpha=0.5, marker=marker, label=cond)
    ax.set(xlabel="song quality", ylabel="market share of downloads (all replicates)",
           title="Success against quality")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "musiclab.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax = axes[0]
    for policy, tr in ch.trajectories.items():
        ax.plot(ch.times, tr.mean(axis=0), marker="o", label=policy)
    ax.set(xlabel="day (time step)", ylabel="homogenization (mean Jaccard)",
           title="Chaney et al.: homogenization")
    ax.legend()
    ax = axes[1]
    names = list(ch.utility)
    ax.bar(names, [ch.utility[p].mean() for p in names],
           yerr=[ch.utility[p].std() for p in names])
    ax.set(ylabel="mean utility per session (after start-up)", title="Utility")
    fig.tight_layout()
    fig.savefig(out / "chaney.png", dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> None:
    """Run every validation, print the measured values and draw the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/figures", help="folder of the figures")
    parser.add_argument("--seeds", type=int, default=8, help="replicates per check")
    parser.add_argument("--chaney-seeds", type=int, default=3,
                        help="seeds per policy of the (slower) Chaney preset")
    args = parser.parse_args(argv)
    seeds = range(args.seeds)
    static = trial_offer_static(0.5, seeds)
    best = trial_offer_quality_ranking(seeds)
    indep, social = musiclab("independent", seeds), musiclab("social", seeds)
    ch = chaney(seeds=range(args.chaney_seeds))
    print(f"static ranking r=0.5: max |share - (vq)^2 share| per seed: "
          f"{np.round(static.max_abs_error, 4).tolist()}")
    print(f"quality ranking r=1: share of the best song per seed: {np.round(best, 3).tolist()}")
    for name, res in (("independent", indep), ("social", social)):
        print(f"MusicLab {name}: Gini {np.round(res.gini, 3).tolist()} "
              f"(mean {res.gini.mean():.3f}), U = {res.unpredictability:.4f}")
    for policy in ch.homogenization:
        h, u = ch.homogenization[policy], ch.utility[policy]
        print(f"Chaney {policy}: homogenization {h.mean():.4f} ± {h.std():.4f}, "
              f"utility {u.mean():.4f} ± {u.std():.4f}")
    _figures(Path(args.out), static, best, indep, social, ch)


if __name__ == "__main__":
    main()
