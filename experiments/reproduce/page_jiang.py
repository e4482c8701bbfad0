# ruff: noqa: E501  (Markdown table rows and long names of tests cannot be folded)
"""The Jiang et al. (2019) sections of docs/validation.md (4 and 4b), from measured values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from loopsim.experiments.reproduce.claims import Claim, claims_table, validation_test
from loopsim.experiments.reproduce.results import DriftResult, late_slope


def _r(x: np.ndarray, digits: int = 2) -> str:
    return ", ".join(f"{float(a):.{digits}f}" for a in np.asarray(x).ravel())


def _ms(x: np.ndarray, digits: int = 2) -> str:
    x = np.asarray(x, dtype=np.float64)
    return f"{x.mean():.{digits}f} ± {x.std():.{digits}f}"


def jiang_claims(j: DriftResult, sphere: DriftResult) -> list[Claim]:
    """The claims of section 4 (vector interest and the sphere), with their measures."""
    g, e, r = j.drift["greedy"], j.drift["epsilon 0.3"], j.drift["random"]
    gp = j.drift["greedy, growing pool"]
    sg, sr = sphere.drift["greedy"], sphere.drift["random"]
    seeds, end = g.shape[0], f"{j.times[-1]:.0f}"
    return [
        Claim("*Greedy recommendation makes interest diverge*: beyond the largest distance "
              "the sphere model allows (2), without saturating",
              validation_test("test_greedy_interest_diverges_without_bound"),
              f"none: at day {end} the distance is > 2 in every seed ({seeds} seeds); it grows "
              "at every snapshot; its growth over the last 10 days is ≥ its distance at day 10",
              f"day {end}: {_r(g[:, -1])}"),
        Claim("Its rate: the distance is about `step × clicks per user` times an alignment "
              "that greedy keeps high (each click pushes the same way) and random low",
              validation_test("test_degeneracy_rate_is_step_times_clicks_under_greedy"),
              "alignment ≥ 0.7 for greedy and ≤ 0.3 for uniform random, in every seed",
              f"greedy {_ms(j.alignment('greedy'))}, random {_ms(j.alignment('random'))}"),
        Claim("*Exploration slows it*; random recommendation slows it but does not stop it",
              validation_test("test_exploration_slows_degeneracy"),
              "none: epsilon 0.3 < greedy and random < epsilon 0.3 at every snapshot and "
              "seed; random's distance grows at every snapshot",
              f"day {end}, means: greedy {g[:, -1].mean():.2f}, epsilon 0.3 "
              f"{e[:, -1].mean():.2f}, random {r[:, -1].mean():.2f}"),
        Claim("**Not the paper's result**: a growing candidate pool (30 new items a day) "
              "does not slow greedy degeneracy here",
              validation_test("test_a_growing_pool_does_not_slow_greedy_degeneracy"),
              f"none: greedy with the growing pool ≥ greedy without it at day {end}, in every seed",
              f"{_r(gp[:, -1])} against {_r(g[:, -1])}"),
        Claim("The bounded variant (preferences on the unit sphere): uniform random ends "
              "further from the start than greedy",
              validation_test("test_on_the_sphere_random_ends_further_than_greedy"),
              f"none: every distance ≤ 2; random > greedy at day {sphere.times[-1]:.0f}, "
              f"in every seed ({sg.shape[0]} seeds)",
              f"greedy {_r(sg[:, -1])}; random {_r(sr[:, -1])}"),
    ]


def jiang(j: DriftResult, sphere: DriftResult, figures: Path) -> str:
    """Section 4: unbounded vector interest, and the bounded sphere for contrast."""
    rows = []
    half = j.times.size // 2 - 1
    for setting, d in j.drift.items():
        late = (d[:, -1] - d[:, -2]) / (j.times[-1] - j.times[-2])
        rows.append(f"| {setting} | {_ms(d[:, half])} | {_ms(d[:, -1])} "
                    f"| {_ms(late, 3)} | {_ms(j.alignment(setting))} |")
    table = "\n".join(rows)
    g = j.drift["greedy"]
    return f"""## 4. Degenerate feedback loops (Jiang, Chiappa, Lattimore, György & Kohli 2019)

**The paper** (AIES 2019; abstract): a theoretical analysis that "examines both the role
of user dynamics and the behavior of recommender systems", and "practical solutions to
slow down system degeneracy"; the project's issue 13 summarises its definition:
degeneracy is user interest that diverges, and greedy recommendation causes it. The
body of the paper (its interest-update equations, theorems and any rate) could not be
read through the tools this page was written with: only the abstract is stored. The
model below is therefore loopsim's, built on the summary in the project's issue 13
(interest unbounded; greedy, oracle-like recommendation degenerates; exploration and a
growing candidate pool slow it); no parameter or rate here comes from the paper.

**Model** (`world=interest`, preset `experiment=jiang`): interest `theta_u` in `R^8`,
unbounded, `theta_u(0) ~ Normal(0, I/8)`; items are fixed unit vectors; relevance
`sigmoid(theta_u · v_i)` under the position-based click model; each click moves the
interest toward the item, `theta_u += 0.05 v_i` (`world.step`; `world.negative_step`
pushes away from shown, unclicked items, 0 here). 200 users, 200 items, one session a
day, slates of 10, {j.times[-1]:.0f} days, {g.shape[0]} seeds; the recommender is epsilon-greedy over
the true relevance (epsilon 0: greedy, 1: uniform random). `drift_distance` is the mean
`||theta_u(t) - theta_u(0)||`.

| setting | drift at day {j.times[half]:.0f} | drift at day {j.times[-1]:.0f} | growth per day, last 10 days | drift / (step × clicks per user) |
| --- | --- | --- | --- | --- |
{table}

**Claims** (each asserted seed by seed by the slow test named, on the same runs: the
preset's settings, the same seeds and days):

{claims_table(jiang_claims(j, sphere))}

**Why a growing pool does not slow greedy degeneracy here**: in this model more
candidates give the greedy ranking items better aligned with the current interest, so
each click pushes further. Interest is one vector shared by all items, so a new item does
not start a fresh interest: every click, on an old item or a new one, lengthens the same
`theta_u`, and a larger pool only offers items closer to its direction. Pool growth can
slow degeneracy only where interest is held item by item, so that spreading the shows
over more items keeps each item's interest from running away: the per-item model of
section 4b.

**The bounded variant** (`world=synthetic`, `world.drift > 0`; 200 users, 200 items,
`personalization=0.9`, `drift=0.05`, {sphere.times[-1]:.0f} days): preferences move toward
clicked items but are renormalised onto the unit sphere, so `drift_distance ≤ 2` and
random slates move them too. This is the bounded effect the echo-chamber preset
(`experiment=echo_chamber`) shows; it is not the paper's divergence.

![degeneracy]({figures}/degeneracy.png)
"""


def jiang_items_claims(j: DriftResult) -> list[Claim]:
    """The claims of section 4b (per-item interest), with their measures."""
    d = {k: v[:, -1] for k, v in j.drift.items()}
    end = f"day {j.times[-1]:.0f}"
    others = max((k for k in d if k != "oracle"), key=lambda k: float(d[k].mean()))
    return [
        Claim("*The oracle degenerates fastest*",
              validation_test("test_item_interest_oracle_degenerates_fastest"),
              f"none: the oracle's distance at {end} is above every other setting's, in every seed",
              f"oracle {_r(d['oracle'], 1)}; next largest ({others}) {_r(d[others], 1)}"),
        Claim("*Continuous random exploration slows it*",
              validation_test("test_item_interest_exploration_slows_degeneracy"),
              f"none: epsilon 0.3 and uniform random end below the oracle at {end}, in every seed",
              f"epsilon 0.3 {_r(d['epsilon 0.3'], 1)}; random {_r(d['random'], 1)}"),
        Claim("*A linearly growing pool slows it* (with random exploration): its distance "
              "grows diffusively",
              validation_test("test_item_interest_linear_pool_slows_degeneracy"),
              f"none: random with the linear pool < random with the fixed pool at {end}, in "
              "every seed; log-log slope of the second half < 0.75 in every seed",
              f"{_r(d['random, linear pool'], 1)} against {_r(d['random'], 1)}; slope "
              f"{_r(late_slope(j, 'random, linear pool'))}"),
        Claim("*Sub-linear growth does not suffice*: a `t^0.5` pool",
              validation_test("test_item_interest_sublinear_pool_does_not_suffice"),
              f"none: random with the `t^0.5` pool > random with the linear pool at {end}, "
              "and its slope larger, in every seed",
              f"{_r(d['random, sqrt pool'], 1)} against {_r(d['random, linear pool'], 1)}; "
              f"slope {_r(late_slope(j, 'random, sqrt pool'))} against "
              f"{_r(late_slope(j, 'random, linear pool'))}"),
    ]


def jiang_items(j: DriftResult | None) -> str:
    """Section 4b: per-item interest, the paper's conclusions (empty when not measured)."""
    if j is None:
        return ""
    rows = "\n".join(
        f"| {k} | {_ms(d[:, d.shape[1] // 2 - 1], 1)} | {_ms(d[:, -1], 1)} "
        f"| {_ms(late_slope(j, k))} |" for k, d in j.drift.items())
    seeds = next(iter(j.drift.values())).shape[0]
    return f"""## 4b. Degeneracy with per-item interest: the paper's conclusions

**Model** (`world=item_interest`, preset `experiment=jiang_item_interest`), consistent with
what is quoted of the paper: user `u`'s interest `mu_u(i)` in item `i` is a real number,
`P(click) = sigmoid(mu_u(i))` once examined, and it rises by 0.2 when `u` clicks `i` and
falls by 0.2 when `u` is shown `i` and does not click. An item shown again and again is a
self-reinforcing random walk (its mean step has the sign of `mu`), so a finite pool served
for ever diverges; a linearly growing pool spreads random shows so that each item is
shown only about `log t` times. Degeneracy is `drift_distance`, the mean over users of
`||mu_u(t) - mu_u(0)||` over every item created so far (new items start at their initial
interest, `Normal(0, 1)`). 100 users, 50 initial items, one session a day, slates of 10,
{j.times[-1]:.0f} days, interests updated after each half-day batch, {seeds} seeds; the recommender is
epsilon-greedy over the true click probability (epsilon 0: the oracle; 1: uniform
random); pools: fixed, linear (5 new items a day) or sub-linear (`5 t^0.5` by day `t`,
`world.item_arrival_exponent=0.5`).

| setting | drift at mid-run | drift at day {j.times[-1]:.0f} | log-log slope, second half |
| --- | --- | --- | --- |
{rows}

**Claims** (each asserted seed by seed by the slow test named, on the same runs):

{claims_table(jiang_items_claims(j))}

**Not reproduced, and why**: the paper's own equations, constants and figures could not
be read (only its abstract and the quotes in the project's issue 23), so nothing here is
compared with a number of the paper, only with its qualitative conclusions. Under this
norm (over every item ever created) even the linear pool's distance grows without bound,
as `sqrt(t)`: many short walks add up. What the linear pool changes is the regime, from
linear divergence to diffusive growth; a pool growing faster than linearly would make
each item's number of shows finite. The linear pool also lowers the oracle's and
epsilon-greedy's distance (the table), but the oracle stays the fastest; the slowest
setting is random exploration over a linearly growing pool, the paper's two remedies
together.
"""


__all__ = ["jiang", "jiang_claims", "jiang_items", "jiang_items_claims"]
