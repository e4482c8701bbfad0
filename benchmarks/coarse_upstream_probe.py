"""Offline premise check of the coarse-label data mismatch (Wu et al. 2021).

An upstream with a content tower (item side = a linear map of the items' observable
attributes) is trained on a coarse label (the user's click rate on the item's genre) or
on the click, on 10%, 30% and 100% of the same uniform rows of one world. For each, the
script prints how much of the *within-genre* true relevance a per-user linear ranker
could read from the upstream's item outputs ``[1, b_i, V_i]``: the R^2, pooled over
users, of each user's least-squares fit of the true relevance (each (user, genre) mean
removed) on those outputs plus genre indicators, over the whole catalogue. The truth is
used here only to measure, never by the upstream.

    python -m benchmarks.coarse_upstream_probe --seeds 0 1 2 3 4 --factors 3 \
        --attributes 16 --noise 0.2 --prior init --tower-reg 30

(the settings of ``experiment=self_defeating_data``); one table per seed, then the
100% - 10% difference of each label, mean and Student-t 95% interval over the seeds.
"""

from __future__ import annotations

import argparse

import numpy as np
from loopsim.policies.pipeline import FactorUpstream
from loopsim.simulator import SyntheticWorld
from loopsim.simulator.contract.batches import RECOMMENDED, Feedback
from loopsim.simulator.contract.catalogue import ItemCatalogue


def uniform_rows(world: SyntheticWorld, rows: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Users drawn by activity, items uniformly, clicks from the true relevance."""
    w = world.activity() / world.activity().sum()
    users = rng.choice(world.n_users, rows, p=w)
    items = rng.integers(0, world.n_initial_items, rows)
    rel = world.relevance_of_slates(users, items[:, None])[:, 0]
    return users, items, rng.random(rows) < rel


def feedback(users: np.ndarray, items: np.ndarray, clicks: np.ndarray) -> Feedback:
    n = users.size
    return Feedback(t=np.zeros(n), user=users.astype(np.int64), item=items.astype(np.int64),
                    rank=np.ones(n, dtype=np.int64), click=clicks, reward=clicks.astype(float),
                    propensity=np.ones(n), source=np.full(n, RECOMMENDED, dtype=np.int8))


def within_genre_r2(world: SyntheticWorld, item_outputs: np.ndarray,
                    users: np.ndarray) -> float:
    """Pooled R^2 of per-user fits of within-(user, genre) true relevance on the outputs."""
    items = np.arange(world.n_initial_items)
    genre = world.genres_of(items)
    dummies = (genre[:, None] == np.unique(genre)[None, :]).astype(float)
    design = np.hstack([item_outputs, dummies])
    rel = world.relevance(users, items)  # (U, I)
    means = np.stack([rel[:, genre == g].mean(axis=1) for g in np.unique(genre)], 1)
    resid = rel - means[:, genre]
    coef, *_ = np.linalg.lstsq(design, resid.T, rcond=None)  # one fit per user (column)
    fitted = (design @ coef).T
    within = resid - (dummies @ np.linalg.lstsq(dummies, resid.T, rcond=None)[0]).T
    return float(1.0 - ((resid - fitted) ** 2).sum() / (within ** 2).sum())


def probe(seed: int, prior: str, tower_reg: float | None, rows: int, target: str,
          share: float, init: float, factors: int = 8, attributes: int = 8,
          noise: float = 0.5, personalization: float = 0.6) -> float:
    """The within-genre R^2 of one upstream trained on ``share`` of the rows."""
    world = SyntheticWorld(n_users=1500, n_items=300, personalization=personalization,
                           item_arrival_rate=0.0, seed=seed, item_attributes=attributes,
                           attribute_noise=noise)
    world.reset(np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    users, items, clicks = uniform_rows(world, rows, rng)
    up = FactorUpstream(n_factors=factors, item_side="attributes", target=target, share=share,
                        tower_prior=prior, tower_regularization=tower_reg, tower_init=init)
    up.use_policy_stream(np.random.default_rng(seed + 2))
    up.use_item_attributes(ItemCatalogue(world))
    for s in np.array_split(np.arange(rows), 5):  # five daily retrainings
        up.update(feedback(users[s], items[s], clicks[s]))
    all_items = np.arange(world.n_initial_items)
    out = np.column_stack([np.ones(all_items.size), up.item_bias(all_items),
                           up.item_factors(all_items)])
    sample = np.arange(0, world.n_users, 3)
    return within_genre_r2(world, out, sample)


def main() -> None:
    """Print the within-genre R^2 at each share, for the coarse and the click label."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--prior", default="zero")
    parser.add_argument("--tower-reg", type=float, default=None)
    parser.add_argument("--init", type=float, default=1.0)
    parser.add_argument("--rows", type=int, default=90_000)
    parser.add_argument("--factors", type=int, default=8)
    parser.add_argument("--attributes", type=int, default=8)
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument("--personalization", type=float, default=0.6)
    args = parser.parse_args()
    print(f"prior {args.prior}, tower ridge {args.tower_reg}, init {args.init}, "
          f"{args.rows} uniform rows, {args.factors} factors, {args.attributes} attributes, "
          f"noise {args.noise}, personalization {args.personalization}")
    print("| seed | upstream's label | 10% | 30% | 100% |")
    print("| --- | --- | --- | --- | --- |")
    gaps: dict[str, list[float]] = {"genre_rate": [], "click": []}
    for seed in args.seeds:
        for target in ("genre_rate", "click"):
            r2 = [probe(seed, args.prior, args.tower_reg, args.rows, target, share,
                        args.init, args.factors, args.attributes, args.noise,
                        args.personalization)
                  for share in (0.1, 0.3, 1.0)]
            gaps[target].append(r2[2] - r2[0])
            print(f"| {seed} | {target} | " + " | ".join(f"{v:.3f}" for v in r2) + " |")
    if len(args.seeds) > 1:
        from scipy import stats

        for target, d in gaps.items():
            a = np.asarray(d)
            half = stats.t.ppf(0.975, a.size - 1) * a.std(ddof=1) / np.sqrt(a.size)
            print(f"{target}: 100% - 10% = {a.mean():+.3f} ± {half:.3f} "
                  f"(lower in {(a < 0).sum()} of {a.size})")


if __name__ == "__main__":
    main()
