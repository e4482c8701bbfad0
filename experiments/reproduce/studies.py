"""Reproduce published results on the literature worlds (tests and docs/validation.md).

``python -m loopsim.experiments.reproduce`` runs every check, draws the figures into
``docs/figures`` and writes ``docs/validation.md`` from the measured values
(:mod:`loopsim.experiments.reproduce.page`). The functions are also what
``tests/experiments/reproduce/test_validation.py`` runs (smaller and with fewer seeds).

* trial-offer theory (Maldonado et al. 2018; Van Hentenryck et al. 2016): shares under
  a static ranking and social exponent ``r < 1``; monopoly of the best song under
  quality ranking with ``r = 1``;
* MusicLab (Salganik, Dodds & Watts 2006): Gini and unpredictability of downloads in
  the independent and social conditions (the ``musiclab_*`` presets);
* Chaney, Stewart & Engelhardt (2018): homogenization and utility of each policy relative
  to the ideal recommender (the ``chaney`` preset);
* Jiang et al. (2019): divergence of unbounded user interest under greedy, exploring and
  random recommendation, with and without a growing candidate pool (the ``jiang``
  preset), and the bounded sphere variant for contrast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.cli.runner import build_simulation
from loopsim.experiments.reproduce.results import (
    CHANEY_MEASURES,
    ChaneyResult,
    DriftResult,
    MusicLabResult,
    TrialOfferTheory,
    Validation,
)
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import TrueRelevance
from loopsim.policies.selectors import Greedy
from loopsim.simulator import MusicLabWorld, Simulation, SimulationConfig, Slates, TrialOfferModel
from loopsim.simulator.contract.batches import Feedback, SlateRequest
from loopsim.simulator.io.results import RunResult
from loopsim.simulator.metrics import gini
from loopsim.simulator.metrics.markets import market_shares
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


def trajectory(result: RunResult, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """``(t, value)`` of ``metric`` at every snapshot, in time order."""
    m = result.metrics
    rows = m.filter((m["metric"] == metric) & (m["slice"] == "all") if "slice" in m.columns
                    else m["metric"] == metric).sort("t")
    return rows["t"].to_numpy(), rows["value"].to_numpy()


# -- trial-offer theory --------------------------------------------------------------------
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
#: The measures of a Chaney run: random-pair and nearest-neighbour-pair Jaccard, utility.

def chaney(policies: Sequence[str] = ("random", "popularity", "mf", "oracle"),
           seeds: Sequence[int] = range(3), overrides: Sequence[str] = ()) -> ChaneyResult:
    """Run ``experiment=chaney`` for each policy and seed (``oracle`` is always run).

    Runs at the same seed share the world, the users and their arrival times, so each
    policy is compared with the ideal recommender seed by seed, as in the paper.
    """
    names = list(dict.fromkeys([*policies, "oracle"]))
    startup = float(preset("chaney", overrides).startup_days)
    out = ChaneyResult(np.zeros(0), startup, {m: {} for m in CHANEY_MEASURES})
    for policy in names:
        runs: dict[str, list[np.ndarray]] = {m: [] for m in CHANEY_MEASURES}
        for seed in seeds:
            result = run_preset("chaney", seed, [f"policy={policy}", *overrides])
            for measure in CHANEY_MEASURES:
                t, v = trajectory(result, measure)
                runs[measure].append(v)
            out.times = t
        for measure in CHANEY_MEASURES:
            out.values[measure][policy] = np.array(runs[measure])
    return out


# -- Jiang et al. --------------------------------------------------------------------------
#: Settings of the degeneracy comparison: (policy overrides, world overrides).
JIANG_SETTINGS: dict[str, tuple[str, ...]] = {
    "greedy": ("policy.selector.epsilon=0.0",),
    "epsilon 0.3": ("policy.selector.epsilon=0.3",),
    "random": ("policy.selector.epsilon=1.0",),
    "greedy, growing pool": ("policy.selector.epsilon=0.0", "world.item_arrival_rate=30.0"),
    "random, growing pool": ("policy.selector.epsilon=1.0", "world.item_arrival_rate=30.0"),
}


def drift(settings: dict[str, tuple[str, ...]] | None = None, seeds: Sequence[int] = range(3),
          overrides: Sequence[str] = (), name: str = "jiang") -> DriftResult:
    """Run preset ``name`` for each setting and seed; collect ``drift_distance``."""
    settings = JIANG_SETTINGS if settings is None else settings
    cfg = preset(name, overrides)
    traj: dict[str, np.ndarray] = {}
    clicks: dict[str, np.ndarray] = {}
    times = np.zeros(0)
    for setting, extra in settings.items():
        rows, per_user = [], []
        for seed in seeds:
            result = run_preset(name, seed, [*extra, *overrides])
            times, v = trajectory(result, "drift_distance")
            rows.append(v)
            per_user.append(result.items["clicks"].sum() / int(cfg.world.n_users))
        traj[setting], clicks[setting] = np.array(rows), np.array(per_user, dtype=np.float64)
    return DriftResult(times, traj, clicks, float(cfg.world.get("step", float("nan"))))


#: The bounded variant: preferences on the unit sphere (world=synthetic, drift > 0).
SPHERE_SETTINGS: dict[str, tuple[str, ...]] = {
    "greedy": ("policy.selector.epsilon=0.0",),
    "random": ("policy.selector.epsilon=1.0",),
}
SPHERE_OVERRIDES = ("world=synthetic", "world.n_users=200", "world.n_items=200",
                    "world.personalization=0.9", "world.item_arrival_rate=0.0",
                    "world.drift=0.05")


def sphere_drift(seeds: Sequence[int] = range(2), horizon: float = 400.0) -> DriftResult:
    """The bounded sphere model over a long horizon, greedy against random."""
    return drift(SPHERE_SETTINGS, seeds, [*SPHERE_OVERRIDES, f"horizon={horizon}",
                                          f"snapshot_interval={horizon / 8}"])


#: Per-item interest (world=item_interest, preset jiang_item_interest): the paper's levers.
JIANG_ITEM_SETTINGS: dict[str, tuple[str, ...]] = {
    "oracle": ("policy.selector.epsilon=0.0",),
    "oracle, linear pool": ("policy.selector.epsilon=0.0", "world.item_arrival_rate=5.0"),
    "epsilon 0.3": ("policy.selector.epsilon=0.3",),
    "epsilon 0.3, linear pool": ("policy.selector.epsilon=0.3", "world.item_arrival_rate=5.0"),
    "random": ("policy.selector.epsilon=1.0",),
    "random, linear pool": ("policy.selector.epsilon=1.0", "world.item_arrival_rate=5.0"),
    "random, sqrt pool": ("policy.selector.epsilon=1.0", "world.item_arrival_rate=5.0",
                          "world.item_arrival_exponent=0.5"),
}


def item_interest_drift(seeds: Sequence[int] = range(2), overrides: Sequence[str] = ()
                        ) -> DriftResult:
    """Run ``experiment=jiang_item_interest`` for each of :data:`JIANG_ITEM_SETTINGS`."""
    return drift(JIANG_ITEM_SETTINGS, seeds, overrides, name="jiang_item_interest")


# -- report --------------------------------------------------------------------------------

def run_all(seeds: int = 8, chaney_seeds: int = 8, drift_seeds: int = 3) -> Validation:
    """Every check at the page's sizes."""
    s = range(seeds)
    return Validation(trial_offer_static(0.5, s), trial_offer_quality_ranking(s),
                      musiclab("independent", s), musiclab("social", s),
                      chaney(seeds=range(chaney_seeds)), drift(seeds=range(drift_seeds)),
                      sphere_drift(seeds=range(min(drift_seeds, 2))),
                      item_interest_drift(seeds=range(min(drift_seeds, 2))))


#: The classes a validation cache may hold (:mod:`loopsim.experiments.reproduce.cache`).
RESULT_CLASSES = (TrialOfferTheory, MusicLabResult, ChaneyResult, DriftResult, Validation)


def main(argv: Sequence[str] | None = None) -> None:
    """Run every validation, draw the figures and write docs/validation.md."""
    from loopsim.experiments.reproduce.figures import draw_figures
    from loopsim.experiments.reproduce.page import render

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/figures", help="folder of the figures")
    parser.add_argument("--page", default="docs/validation.md", help="the page written")
    parser.add_argument("--seeds", type=int, default=8, help="replicates per market check")
    parser.add_argument("--chaney-seeds", type=int, default=8, help="seeds per Chaney policy")
    parser.add_argument("--drift-seeds", type=int, default=3, help="seeds per drift setting")
    parser.add_argument("--cache", default=None,
                        help="JSON file of the measured values: written after the runs, or "
                             "read instead of running when it exists (to redraw the page only)")
    args = parser.parse_args(argv)
    cache = Path(args.cache) if args.cache else None
    # The module's own classes, not __main__'s, so a cache written by ``python -m`` loads.
    from loopsim.experiments.reproduce import studies as reproduce
    from loopsim.experiments.reproduce.cache import read_cache, write_cache
    from loopsim.simulator.errors import LoopsimError

    try:
        if cache is not None and cache.is_file():
            v = read_cache(cache, RESULT_CLASSES)
        else:
            v = reproduce.run_all(args.seeds, args.chaney_seeds, args.drift_seeds)
            if cache is not None:
                write_cache(cache, v)
    except LoopsimError as exc:
        print(f"loopsim reproduce: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    out = Path(args.out)
    draw_figures(out, v)
    page = Path(args.page)
    page.write_text(render(v, figures=Path("figures") if out.name == "figures" else out))
    print(f"wrote {page} and the figures in {out}")


if __name__ == "__main__":
    main()
