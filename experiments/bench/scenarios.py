"""The scenarios ``loopsim-bench`` can run, in one registry.

A :class:`Scenario` is one measured process: a loopsim run (``kind="loopsim"``, its
Hydra overrides), a bare numpy reference (``"reference"``), the T-RECS peer
(``"trecs"``) or the real main job (``"mainjob"``). Each belongs to groups: ``default``
(``loopsim-bench`` alone, a few minutes at rest), ``full`` (``--full``: the catalogue-scale
pipeline, the whole T-RECS run, the real main job) and ``scaling`` (``--scaling``: the
sizes the growth exponents are fitted on). Adding a scenario is one :func:`register`
call; the figures of :mod:`loopsim.experiments.bench.figures` name the scenarios they
need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The groups a scenario may belong to, and the option that adds each.
GROUPS = {"default": "(always)", "full": "--full", "scaling": "--scaling"}


@dataclass(frozen=True)
class Scenario:
    """One measured process.

    Attributes:
        name: Unique name (``--scenarios NAME``).
        kind: ``loopsim`` | ``reference`` | ``trecs`` | ``mainjob``.
        description: One line for the tables.
        groups: Groups it belongs to (:data:`GROUPS`).
        overrides: ``loopsim`` overrides of the run (kind ``loopsim`` and ``mainjob``).
        args: Keyword arguments of the reference or of the T-RECS run.
        policy: The policy config it needs (skipped with a note when it does not exist).
        after_first_update: Also report serving after the policy's first update.
        size: ``{"users": n, "items": m}`` for the growth fits (``scaling`` scenarios).
        series: The growth series it belongs to (e.g. ``ctr_users``).
        threads: BLAS (and faiss) threads of its process; ``None``: ``--blas-threads``.
    """

    name: str
    kind: str
    description: str
    groups: frozenset[str]
    overrides: tuple[str, ...] = ()
    args: dict[str, Any] = field(default_factory=dict)
    policy: str | None = None
    after_first_update: bool = False
    size: dict[str, int] = field(default_factory=dict)
    series: str | None = None
    threads: int | None = None


#: Every scenario, by name, in the order they run.
REGISTRY: dict[str, Scenario] = {}


def register(scenario: Scenario) -> Scenario:
    """Add ``scenario`` to :data:`REGISTRY` (a name already taken is an error)."""
    if scenario.name in REGISTRY:
        raise ValueError(f"bench scenario {scenario.name!r} is already registered")
    if bad := sorted(set(scenario.groups) - set(GROUPS)):
        raise ValueError(f"bench scenario {scenario.name!r}: unknown groups {bad}")
    REGISTRY[scenario.name] = scenario
    return scenario


def select(groups: set[str], names: list[str] | None = None) -> list[Scenario]:
    """The scenarios of ``groups``, or exactly ``names`` (in registry order)."""
    if names:
        return [s for s in REGISTRY.values() if s.name in names]
    return [s for s in REGISTRY.values() if s.groups & groups]


def _loopsim(name: str, description: str, groups: set[str], *overrides: str,
             **extra: Any) -> Scenario:
    policy = next((o.split("=", 1)[1] for o in overrides if o.startswith("policy=")), None)
    return register(Scenario(name, "loopsim", description, frozenset(groups),
                             tuple(overrides), policy=policy, **extra))


# --- issue 25, figure 1: personalized against global on the default world --------------
_loopsim("default_ctr", "ctr, default world (2,000 users x 1,000 items, 100 days)",
         {"default"}, "policy=ctr")
_loopsim("default_mf", "mf, default world (2,000 users x 1,000 items, 100 days)",
         {"default"}, "policy=mf")

# --- figure 2: the main job, one seed of each of its policies (an estimate) ------------
#: The policies of ``experiment=mitigation`` (conf/experiment/mitigation.yaml).
MAINJOB_POLICIES = ("popularity", "ctr", "epsilon_greedy", "rand_topn", "rand_pair",
                    "softmax", "pal", "coec", "ips", "thompson", "random", "oracle")
#: Its seeds (``seed: range(5)``) and the cores it runs on (joblib, one job per core).
MAINJOB_SEEDS = 5
for _policy in MAINJOB_POLICIES:
    _loopsim(f"mainjob_{_policy}", f"main job's {_policy}, seed 0 (30 days, default world)",
             {"default"}, "experiment=mitigation", f"policy={_policy}", "seed=0")
register(Scenario("mainjob", "mainjob", "loopsim -m experiment=mitigation (the real job)",
                  frozenset({"full"}), ("experiment=mitigation",)))

# --- figure 3: against T-RECS on the same work, closed world -----------------------------
#: 1,000 users x 1,250 items, one session per user per day, 100 days, slate 10, no new
#: items, no organic sessions: T-RECS's PopularityRecommender.run(100) does the same work.
TRECS_WORK = ("policy=popularity", "world.n_users=1000", "world.n_items=1250",
              "world.activity_sigma=0", "world.sessions_per_user_per_day=1",
              "world.item_arrival_rate=0", "world.organic=0", "horizon=100", "tick=1.0",
              "retrain_interval=1.0", "slate_size=10", "seed=0")
#: Metrics nearly off: one snapshot (at the end) and no NDCG/regret sample.
METRICS_OFF = ("snapshot_interval=100", "quality_sessions_per_day=0")
_loopsim("trecs_work", "popularity on T-RECS's work, metrics on (daily snapshots)",
         {"default"}, *TRECS_WORK, "snapshot_interval=1.0")
_loopsim("trecs_work_metrics_off", "the same, metrics nearly off (one snapshot, no NDCG)",
         {"default"}, *TRECS_WORK, *METRICS_OFF)
#: T-RECS runs this many steps by default (its cost per step is constant: the time of
#: 100 steps is extrapolated, 10x); ``--full`` runs all 100.
TRECS_ARGS = {"n_users": 1000, "n_items": 1250, "slate": 10, "seed": 0}
register(Scenario("trecs_10_steps", "trecs", "T-RECS PopularityRecommender, 10 of 100 steps",
                  frozenset({"default"}), args={**TRECS_ARGS, "steps": 10}))
register(Scenario("trecs_100_steps", "trecs", "T-RECS PopularityRecommender, 100 steps",
                  frozenset({"full"}), args={**TRECS_ARGS, "steps": 100}))

# --- figure 4: global ctr against the bare numpy pipeline, 100k x 10k closed world -------
_BIG = ("world.n_users=100000", "world.n_items=10000", "world.organic=0",
        "world.personalization=0", "world.item_arrival_rate=0", "horizon=10")
_loopsim("closed_ctr_100k", "ctr, 100,000 users x 10,000 items, closed global world, 10 days",
         {"default"}, "policy=ctr", *_BIG)
register(Scenario("bare_pipeline_100k", "reference",
                  "bare numpy global pipeline, alias-table user draws, same size",
                  frozenset({"default"}),
                  args={"n_users": 100_000, "n_items": 10_000, "days": 10.0}))

# --- figure 5: a retrieval -> ranker pipeline at catalogue scale -------------------------
#: The world and horizon of the pipeline scenario (``loopsim.experiments.bench.pipeline_full``
#: runs it alone, with its targets).
PIPELINE_USERS, PIPELINE_ITEMS, PIPELINE_DAYS = 1_000_000, 100_000, 7.0


def pipeline_overrides(days: float = PIPELINE_DAYS, users: int = PIPELINE_USERS,
                       items: int = PIPELINE_ITEMS) -> list[str]:
    """The ``loopsim`` overrides of the pipeline scenario."""
    return ["policy=pipeline_mf", f"world.n_users={users}", f"world.n_items={items}",
            f"horizon={days:g}", "retrain_interval=1", f"snapshot_interval={min(1.0, days):g}",
            "policy.retrieval.estimator.dtype=float32", "policy.retrieval.index=approximate"]


def _pipeline_overrides() -> tuple[str, ...]:
    """The scenario's overrides (:func:`pipeline_overrides`)."""
    return tuple(pipeline_overrides())


#: On the issue's 2 cores: two BLAS (and faiss) threads.
_loopsim("pipeline_1m", "pipeline_mf, 1,000,000 users x 100,000 items, 7 days",
         {"full"}, *_pipeline_overrides(), threads=2)

# --- growth: time and memory against users and items (--scaling) -------------------------
#: (series, policy, fixed overrides, the varied key, its sizes); 10 days of the default
#: world (organic sessions and new items included), one size changed at a time.
GROWTH = (
    ("ctr_users", "ctr", ("world.n_items=1000",), "users", (10_000, 30_000, 100_000)),
    ("ctr_items", "ctr", ("world.n_users=10000",), "items", (1_000, 10_000, 100_000)),
    ("mf_users", "mf", ("world.n_items=1000",), "users", (1_000, 2_000, 4_000)),
    ("mf_items", "mf", ("world.n_users=2000",), "items", (500, 1_000, 2_000)),
)
GROWTH_HORIZON = 10
for _series, _policy, _fixed, _axis, _sizes in GROWTH:
    for _n in _sizes:
        _key = "world.n_users" if _axis == "users" else "world.n_items"
        _other = dict(o.split("=", 1) for o in _fixed)
        _size = {"users": int(_other.get("world.n_users", _n)),
                 "items": int(_other.get("world.n_items", _n))}
        _loopsim(f"{_series}_{_n}", f"{_policy}, {_size['users']:,} users x "
                 f"{_size['items']:,} items, {GROWTH_HORIZON} days", {"scaling"},
                 f"policy={_policy}", *_fixed, f"{_key}={_n}", f"horizon={GROWTH_HORIZON}",
                 size=_size, series=_series)

__all__ = ["GROUPS", "REGISTRY", "Scenario", "register", "select"]
