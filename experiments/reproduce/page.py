# ruff: noqa: E501  (Markdown table rows and long names of tests cannot be folded)
"""The text of docs/validation.md, rendered from the values measured by ``reproduce``.

The page is rendered last from the data (:class:`~loopsim.experiments.reproduce.studies.Validation`):
every number on it is a value measured in the same invocation, and every claim is a row of
a claims table (:mod:`~loopsim.experiments.reproduce.claims`) naming its test and tolerance.
The Jiang et al. sections are in :mod:`~loopsim.experiments.reproduce.page_jiang`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from loopsim.experiments.reproduce.claims import (
    MUSICLAB_TESTS,
    VALIDATION_TESTS,
    Claim,
    claims_table,
    musiclab_test,
    validation_test,
)
from loopsim.experiments.reproduce.figures import CHANEY_NAMES

if TYPE_CHECKING:
    from loopsim.experiments.reproduce.results import ChaneyResult, Validation

#: The command that writes the page and its figures.
COMMAND = "python -m loopsim.experiments.reproduce"


def _r(x: np.ndarray, digits: int = 3) -> str:
    return ", ".join(f"{float(a):.{digits}f}" for a in np.asarray(x).ravel())


def _ms(x: np.ndarray, digits: int = 3, sign: bool = True) -> str:
    x = np.asarray(x, dtype=np.float64)
    mean = f"{x.mean():+.{digits}f}" if sign else f"{x.mean():.{digits}f}"
    return f"{mean} ± {x.std():.{digits}f}"


def _count(mask: np.ndarray) -> str:
    mask = np.asarray(mask, dtype=bool)
    return f"{int(mask.sum())}/{mask.size}"


def render(v: Validation, figures: Path = Path("figures")) -> str:
    """The whole page, in Markdown, from the measured values."""
    from loopsim.experiments.reproduce.page_jiang import jiang, jiang_items

    return "\n".join([_intro(), _trial_offer(v, figures), _musiclab(v, figures),
                      _musiclab_data(), _chaney(v.chaney, figures),
                      jiang(v.jiang, v.sphere, figures), jiang_items(v.item_interest),
                      _ratings(), _references()])


def _intro() -> str:
    return f"""# Validation: worlds from the literature, reproduced

A simulator earns trust by reproducing what is known. This page sets what loopsim's
literature worlds produce next to the published results, measured the way each paper
measured them, and says where loopsim does not reproduce a result or where it is
calibrated rather than reproduced. The whole page (text, numbers and figures) is
written by one command:

<!-- snippet: skip runs every check at full size (the slow tests assert the same claims) -->
```bash
{COMMAND}      # docs/validation.md and its figures in docs/figures/
{COMMAND} --cache values.json   # keep the measured values; a second call only redraws
```

(about {MINUTES} minutes at `nice -n 19` on 2 cores shared with other jobs, load 5 to 7). Nothing on the page is
written by hand: its text is `experiments/reproduce/page.py` (`loopsim.experiments.reproduce.page`).

Every claim is a row of a **claims table** that names the test asserting it
(`path::name`, a pytest node id) and the tolerance it is asserted with. The slow tests of
`{VALIDATION_TESTS}` (`python -m pytest -m slow {VALIDATION_TESTS}`) run the same
functions as this command, on the same or smaller runs (the table says which); the
MusicLab data tests (`{MUSICLAB_TESTS}`) need MusicLab's raw files and skip without
them. A fast test (`tests/experiments/reproduce/test_validation_claims.py`) checks that
every test named here exists and every claim states a tolerance. Nothing is downloaded:
every world here is generated. Published values are quoted only with the figure, table
or file they come from; where a source could not be read, the page says so instead of
giving a number.
"""


#: Wall time of the command at the page's sizes, as measured (shared 2-core machine).
MINUTES = 27


def _trial_offer(v: Validation, figures: Path) -> str:
    n = v.best.size
    claims = [
        Claim("Static ranking, `r = 0.5`: market shares converge to `(v q)^(1/(1-r))`, "
              "normalised (Maldonado et al. 2018, the fixed point of their model)",
              validation_test("test_static_ranking_shares_converge_to_the_trial_offer_fixed_point"),
              "max absolute error ≤ 0.03 in every seed (the test runs 4 seeds)",
              f"max abs. error per seed: {_r(v.static.max_abs_error)}"),
        Claim("Quality ranking, `r = 1`: the market goes to a monopoly of the best song "
              "(Van Hentenryck et al. 2016)",
              validation_test("test_quality_ranking_with_linear_social_signal_ends_in_a_monopoly"),
              "share of the best song ≥ 0.95 in at least 6 of 8 seeds",
              f"{_r(v.best)} ({_count(v.best >= 0.95)} ≥ 0.95)"),
    ]
    return f"""## 1. Trial-offer theory

**Model** (`world=musiclab`, `click_model=trial_offer`): in each session the user listens to
the song at rank `r` with probability `v_r (a_i + d_i^r) / (K + sum_j v_j (a_j + d_j^r))`
(visibility `v_r = 1/r`, appeal `a_i`, downloads so far `d_i`, outside option `K = 1`),
then downloads it with probability `q_i` (its quality). 48 songs, 1,000 sessions a day
for 200 days (static ranking) or 50 days (quality ranking); displayed counts refreshed
every 0.05 day. {n} seeds.

{claims_table(claims)}

![trial-offer theory]({figures}/trial_offer_theory.png)
"""


def _musiclab(v: Validation, figures: Path) -> str:
    i, s = v.indep, v.social
    claims = [
        Claim("Social influence raises inequality: the social condition's Gini of downloads "
              "is above the independent one's (Salganik et al. 2006, abstract; the "
              "direction only)",
              validation_test("test_musiclab_social_influence_raises_inequality_and_unpredictability"),
              f"none: social > independent at every seed ({i.gini.size} seeds, the same runs)",
              f"{_count(s.gini > i.gini)} seeds; mean {s.gini.mean():.3f} against {i.gini.mean():.3f}"),
        Claim("Social influence raises unpredictability: `U` social > `U` independent",
              validation_test("test_musiclab_social_influence_raises_inequality_and_unpredictability"),
              "none: the order must hold",
              f"{s.unpredictability:.4f} against {i.unpredictability:.4f}"),
    ]
    return f"""## 2. MusicLab (Salganik, Dodds & Watts 2006): the hand-set presets

**Presets**: `experiment=musiclab_independent` (download counts hidden, songs in a new
random order for every session) and `experiment=musiclab_social` (one column ranked by
downloads, as in the paper's Experiment 2; attractiveness = appeal + 0.03 × downloads).
{i.gini.size} replicate worlds each (`seed=range(8)`) over the same 48 songs
(`world.seed=2006`; appeal and quality ~ Beta(4, 4)), 700 participants × 3 listening
sessions, visibility `(1/rank)^0.2`. Concentration is the Gini of downloads
(`gini_reward`); unpredictability `U` is the mean over songs of the mean absolute
difference of market share between pairs of replicates
(`loopsim.simulator.metrics.markets.unpredictability`), the paper's definition.

| quantity | measured (independent) | measured (social) |
| --- | --- | --- |
| Gini of downloads, per replicate | {_r(i.gini)} (mean {i.gini.mean():.3f}) | {_r(s.gini)} (mean {s.gini.mean():.3f}) |
| unpredictability `U` | {i.unpredictability:.4f} | {s.unpredictability:.4f} |

**Published values: not quoted.** The paper reports its Gini coefficients and
unpredictability per world and condition in its figures and supplementary material.
The text of neither could be read through the tools this page was written with (only
the abstract and the opening of the supplement, which describes the design: 20% of
the participants in the independent condition and 10% in each of eight social worlds,
about 700 per social world and about 1,400 independent, in each experiment), so no
published number is given here; the figures computed from Experiment 1's raw files are
in section 2b.

**Claims** (the paper's direction; its abstract: increasing the strength of social
influence increased both inequality and unpredictability of success):

{claims_table(claims)}

The magnitudes of these presets are not claimed: the social weight 0.03 and the
visibility exponent 0.2 were chosen by hand so that the values land in a plausible
range; they are not fitted to MusicLab's data (Krumme et al. 2012 fit appeal, quality and
a position curve to it). The model calibrated on MusicLab's raw files is section 2b.

![MusicLab presets]({figures}/musiclab_presets.png)

Left: Gini of downloads per replicate. Right: market share against quality, every
replicate.
"""


def musiclab_data_claims() -> list[Claim]:
    """The claims of docs/musiclab.md: the model calibrated on Experiment 1's raw files."""
    page = "[MusicLab](musiclab.md)"
    exp1 = musiclab_test("test_musiclab_exp1_reproduces_the_data")
    exp2 = musiclab_test("test_musiclab_exp2_predicts_more_inequality_and_unpredictability_when_sorted")
    return [
        Claim("The data's figures (Gini per world, U, downloads and participants) are those "
              "of the files' README",
              musiclab_test("test_the_data_figures_match_the_readme_of_the_files"),
              "Gini within 6e-4, social U within 6e-5, independent U within 1e-4; counts "
              "exact; Spearman within [0.74, 0.80]", page),
        Claim("The songs calibrated on the independent world reproduce its ranking",
              musiclab_test("test_calibrated_songs_reproduce_the_independent_ranking"),
              "Spearman of true value with the independent downloads > 0.99", page),
        Claim("The fit (`musiclab_fit`) gives the preset's social parameters",
              musiclab_test("test_the_fit_recovers_the_presets_social_weight"),
              "exact: the fitted `r` and `lambda` (a 3-point grid) are the preset's", page),
        Claim("Experiment 1, social worlds: the model's mean Gini", exp1,
              "within the data's range of the 8 worlds (3 model replicates)", page),
        Claim("Experiment 1, independent world: the model's Gini", exp1,
              "within 0.03 of the data", page),
        Claim("Experiment 1: `U` of the social worlds", exp1, "within 25% of the data", page),
        Claim("Experiment 1: `U` of the independent world (random half-splits)", exp1,
              "within 25% of the data", page),
        Claim("Experiment 1: mean Spearman of independent with social shares", exp1,
              "within 0.05 of the data", page),
        Claim("Experiment 2 **predicted** (not scored: its files are not in the data): "
              "sorted by downloads, the social condition is more unequal than the "
              "independent one in every market", exp2,
              "none: the lowest social Gini > the highest independent Gini (8 markets each)",
              page),
        Claim("Experiment 2 predicted: more unpredictable", exp2,
              "`U` social > 1.5 × `U` independent", page),
        Claim("Experiment 2 predicted: quality decides less", exp2,
              "none: mean Spearman(quality, share) social < independent", page),
    ]


def _musiclab_data() -> str:
    return f"""## 2b. MusicLab calibrated on Experiment 1's raw files, predicting Experiment 2

`experiment=musiclab_exp1` and `experiment=musiclab_exp2` with `world.data_dir=PATH` read
the raw download files of Experiment 1 (licence CC BY-NC-ND: read from a path, never
shipped; the files' README says where to obtain them). The songs come from the
independent world, the social parameters are fitted on the eight social worlds, and
Experiment 2 is predicted with nothing fitted to it. The values, world by world, the fit
and its uncertainty, and the prediction are on [MusicLab](musiclab.md), written by its
own commands, since they need the files this command does not read:

<!-- snippet: skip needs MusicLab's raw data files (PATH), never shipped -->
```bash
python -m loopsim.experiments.reproduce.musiclab_fit --data-dir PATH --out fit.json
python -m loopsim.experiments.reproduce.musiclab_page --data-dir PATH --fit fit.json
```

**Claims** (the tests read the files from `../shared/data/musiclab` beside the
repository, or `LOOPSIM_MUSICLAB_DATA`, and skip without them):

{claims_table(musiclab_data_claims())}
"""


def chaney_claims(ch: ChaneyResult) -> list[Claim]:
    """The claims of section 3, with the counts of seeds measured here."""
    headline = validation_test(
        "test_chaney_confounded_recommenders_homogenize_more_than_the_ideal_and_lose_utility")
    smaller = "(asserted on a smaller run: 300 items shown whole, 40 steps, 3 seeds)"
    out = []
    for policy in ("popularity", "mf"):
        name = CHANEY_NAMES.get(policy, policy)
        name = name[0].upper() + name[1:]
        above = [_count(ch.change(m, policy)[:, -1] > 0)
                 for m in ("homogenization", "homogenization_nn")]
        out += [
            Claim(f"{name} homogenizes users more than the ideal recommender, on random "
                  "pairs and on similar users", headline,
                  f"none: change in Jaccard > 0 on both pairings at every seed {smaller}",
                  f"{above[0]} and {above[1]} seeds above the ideal"),
            Claim(f"{name} gives less utility than the ideal recommender", headline,
                  f"none: utility relative to ideal < 0 at every seed {smaller}",
                  f"{_count(ch.utility_relative(policy) < 0)} seeds below the ideal"),
        ]
    during = ch.times <= ch.startup
    start = max(float(np.abs(ch.change("homogenization", p)[:, during]).max(initial=0.0))
                for p in ("popularity", "mf"))
    out.append(Claim("During the start-up every policy serves the same random slates as the "
                     "ideal at a seed (common random numbers)",
                     validation_test("test_chaney_policies_share_the_start_up"),
                     f"exact: change relative to the ideal = 0 at every start-up snapshot {smaller}",
                     f"largest change during the start-up: {start:.3g}"))
    return out


def _chaney(ch: ChaneyResult, figures: Path) -> str:
    rows = []
    for policy in ch.values["homogenization"]:
        if policy == "oracle":
            continue
        name = CHANEY_NAMES.get(policy, policy)
        rows.append(
            f"| {name} | {_ms(ch.change('homogenization', policy)[:, -1])} "
            f"| {_ms(ch.change('homogenization_nn', policy)[:, -1])} "
            f"| {_ms(ch.utility_relative(policy))} |")
    ideal = ch.values["homogenization"]["oracle"][:, -1]
    ideal_nn = ch.values["homogenization_nn"]["oracle"][:, -1]
    seeds = ideal.size
    table = "\n".join(rows)
    end = f"{ch.times[-1]:.0f}"
    return f"""## 3. Chaney, Stewart & Engelhardt (2018)

**The paper's claim** (abstract): using data confounded by the recommender's own
feedback loop "homogenizes user behavior without increasing utility"; the talk's
claims (RecSys 2018 slides, as stored at sambuz.com): "the recommendation feedback loop
causes homogenization of user behavior" and "users experience losses in utility due to
homogenization effects". Both are measured *relative to the ideal recommender* (the one that ranks
by the true utility), in the same simulated world: the figures plot "change in
Jaccard index" and "utility relative to ideal" (axes -0.25 to 0.50 and -0.6 to 0 in
the slides).

**Setup** (`experiment=chaney`), the paper's as its T-RECS replication runs it
(`sunnymatt/t-recs-experiments`, `algo_confounding/replication_sim.py`, "repeated
training": `--startup_iters 10 --sim_iters 90`, defaults `--num_users 100 --num_attrs 20
--new_items_per_iter 10 --attention_exp -0.8 --mu_n 0.98 --sigma 1e-5`): 100 users, 20
topics, `theta_u ~ Dirichlet(Dirichlet(1) × 10)`, `beta_i ~ Dirichlet(Dirichlet(100) ×
0.1)`; true utility `V_ui ~ Beta` with mean `theta_u · beta_i` and **standard
deviation** 1e-5 (the replication's `mu_sigma_to_alpha_beta` divides by `sigma**2`;
loopsim used to read it as a variance); users know only `nu_ui × V_ui`,
`nu ~ Beta(mean 0.98, sd 1e-5)`, and consume the shown item maximising `rank^-0.8 ×
known utility`, never twice; the reward is the true utility. 10 new items per time step
(`world.item_arrival_rate=10`), 10 steps of random recommendations, then the policy
retrains every step; {end} steps, {seeds} seeds per policy; the world is drawn from the
seed, so each policy meets the same world, users and arrivals as the ideal recommender
at that seed.

**Measures.** `homogenization` (random pairs: 1,000 pairs drawn once per run; the
replication draws 800) and `homogenization_nn` (each user paired with the user of most
similar true preferences, by cosine) are the mean Jaccard index of the pairs'
consumed-item sets, recorded in `metrics.parquet`. The paper's measure is their change
relative to the ideal, `J - J_ideal` at the same seed and step
(`loopsim.simulator.metrics.relative.change_relative_to_ideal`; the replication's
`transform_relative_to_ideal` in `chaney_utils.py`). Utility relative to ideal is
`(u - u_ideal) / u_ideal` of the mean true utility per session after the start-up
(`utility_relative_to_ideal`).

| recommender | change in Jaccard, random pairs (step {end}) | change in Jaccard, similar users (step {end}) | utility relative to ideal |
| --- | --- | --- | --- |
{table}

(mean ± standard deviation over {seeds} seeds; the ideal's own Jaccard index at step {end}:
{ideal.mean():.3f} on random pairs, {ideal_nn.mean():.3f} on similar users.)

**Reproduced: the paper's headline** (claims):

{claims_table(chaney_claims(ch))}

**Magnitudes.** The values behind the paper's figures could not be read (only the
slides' axes), so no magnitude is claimed. The slides' utility axis runs from -0.6 to 0;
loopsim's relative utilities ({", ".join(f"{CHANEY_NAMES.get(p, p)} {ch.utility_relative(p).mean():+.2f}" for p in ch.values["homogenization"] if p != "oracle")})
{"lie" if all(-0.6 <= ch.utility_relative(p).mean() <= 0 for p in ch.values["homogenization"] if p != "oracle") else "do not all lie"} in that range.
What was checked: with a slate of only the top 100 items (an earlier draft of this
preset), users of popularity ranking ran out of unconsumed items they liked and their
utility fell to near 0 by step 100, an artefact of the slate cut; the preset therefore
shows the whole initial catalogue.

**Where loopsim differs** (not tested against the paper): the replication pairs
similar users by the *recommender's* estimated user vectors at each step, loopsim by
the true preferences, fixed for the run (so the same pairs are compared under every
policy); new items arrive as a Poisson stream of mean 10 per step, not exactly 10;
the catalogue starts with 1,000 items and each session is shown the policy's top
1,000 (the replication starts from 10 items, ranks the whole catalogue and interleaves
the 10 newest items at random positions; a loopsim slate cannot grow), so a new item
is seen only when the policy ranks it among the first 1,000; the paper's content-based and social
filtering recommenders are not in loopsim. The definition of relative utility is
loopsim's: the replication does not compute utility, and the paper's exact formula
could not be read (only its figure labels). The preset's earlier setup (1,000 items
fixed from the start, no new items, the spread read as a variance, absolute Jaccard
on random pairs) is not kept: it was not the paper's, and its margin over the ideal
was about 0.02.

![Chaney et al.]({figures}/chaney.png)

Like the paper's figures: each recommender's change from the ideal over time (mean ±
1 sd over seeds; the dotted line ends the start-up, during which every policy serves
the same random slates).
"""


def _ratings() -> str:
    return """## 5. The ratings world

`world=ratings world.path=...` reads MovieLens `ratings.csv` (header
`userId,movieId,rating,timestamp`) or `u.data` (tab-separated, no header). There is no
published value to reproduce; the tests (`tests/simulator/world/test_ratings.py`) check
the calibration against its definitions on generated files.
"""


def _references() -> str:
    return """## References

- M. J. Salganik, P. S. Dodds, D. J. Watts. Experimental study of inequality and
  unpredictability in an artificial cultural market. *Science* 311, 854–856 (2006).
- C. Krumme, M. Cebrian, G. Pickard, S. Pentland. Quantifying social influence in an
  online cultural market. *PLoS ONE* 7(5), e33785 (2012).
- P. Van Hentenryck, A. Abeliuk, F. Berbeglia, F. Maldonado, G. Berbeglia. Aligning
  popularity and quality in online cultural markets. *ICWSM* (2016).
- F. Maldonado, P. Van Hentenryck, G. Berbeglia, F. Berbeglia. Popularity signals in
  trial-offer markets with social influence and position bias. *European Journal of
  Operational Research* 266(2), 775–793 (2018).
- A. J. B. Chaney, B. M. Stewart, B. E. Engelhardt. How algorithmic confounding in
  recommendation systems increases homogeneity and decreases utility. *RecSys* (2018);
  replication code: `sunnymatt/t-recs-experiments`, folder `algo_confounding`.
- R. Jiang, S. Chiappa, T. Lattimore, A. György, P. Kohli. Degenerate feedback loops in
  recommender systems. *AIES* (2019).
"""
