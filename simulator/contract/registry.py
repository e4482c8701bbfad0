"""Every optional hook of every extension point, with its meaning: one registry.

The engine checks hooks once when a run starts, never inside the loop; the checkers
(:mod:`loopsim.simulator.checker`) report which hooks a component declares, and the
docs' hook tables are generated from :data:`HOOKS`. A hook is a small
runtime-checkable :class:`typing.Protocol`; a component declares it by having its
members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from loopsim.simulator.contract.click_model import ConvertingClickModel
from loopsim.simulator.contract.estimator import HasPosterior
from loopsim.simulator.contract.policy import (
    Composite,
    DeclaresPropensities,
    ExposesRankerFeatures,
    FitsRankerPerUser,
    ReadsPropensities,
    ReportsMetrics,
    ScoresItems,
    ServesPools,
    UsesGroundTruth,
    UsesItemAttributes,
    UsesPolicyStream,
    components,
)
from loopsim.simulator.contract.selector import ChecksEstimator
from loopsim.simulator.contract.world import (
    ConvertsSlates,
    HasArrivalSchedule,
    HasHistory,
    HasItemAttributes,
    HasItemFeatures,
    HasOrganic,
    HasPreferences,
    HasRelevanceVersion,
    HasUsers,
    PairsSimilarUsers,
    ShiftingWorld,
)

#: The extension points: where a user's own class plugs in.
ExtensionPoint = Literal["policy", "estimator", "selector", "world", "click_model"]


@dataclass(frozen=True)
class Hook:
    """One optional hook.

    Attributes:
        name: The hook's name (its first member), as :func:`hooks_of` reports it.
        point: The extension point it belongs to.
        protocol: The runtime-checkable protocol a component declares it by.
        members: The methods or attributes the protocol requires.
        meaning: What the loop does with it.
    """

    name: str
    point: ExtensionPoint
    protocol: type
    members: tuple[str, ...]
    meaning: str


#: Every optional hook, by extension point (policy-side hooks in the order
#: :func:`hooks_of` reports them).
HOOKS: tuple[Hook, ...] = (
    Hook("item_scores", "policy", ScoresItems, ("item_scores",),
         "the policy's current belief about items, for the ranking-recovery metrics "
         "(tau_scores, precision_at_k_scores)"),
    Hook("policy_metrics", "policy", ReportsMetrics, ("policy_metrics",),
         "extra values recorded at every snapshot as policy_<name> (on the policy or any "
         "part)"),
    Hook("use_ground_truth", "policy", UsesGroundTruth, ("use_ground_truth",),
         "the oracle: the only kind of component handed the world's truth, once at start"),
    Hook("use_policy_stream", "policy", UsesPolicyStream, ("use_policy_stream",),
         "a component that draws outside rank() gets a child of the run's policy stream"),
    Hook("use_item_attributes", "policy", UsesItemAttributes,
         ("needs_item_attributes", "use_item_attributes"),
         "a part that reads the catalogue's observable metadata (item attributes, genres): "
         "when it needs it, handed a read-only ItemCatalogue once at start, or the run "
         "stops with a ConfigError naming world.item_attributes if the world gives none"),
    Hook("posterior", "estimator", HasPosterior, ("posterior",),
         "an estimator's Beta posterior of each item's CTR (Thompson sampling, UCB)"),
    Hook("parts", "policy", Composite, ("parts",),
         "the components a policy is made of; each part is checked for the hooks above"),
    Hook("last_pools", "policy", ServesPools, ("last_pools", "stage_metrics"),
         "a multi-stage policy shows its retrieved pools; the loop measures each stage"),
    Hook("ranker_features", "policy", ExposesRankerFeatures, ("ranker_features",),
         "a pipeline whose ranker learns from an upstream's outputs shows the ranker's "
         "inputs; the loop splits the regret into upstream, approximation and estimation "
         "errors (Wu et al. 2021)"),
    Hook("ranker_per_user", "policy", FitsRankerPerUser, ("ranker_per_user",),
         "with ranker_features: the ranker's class is linear in its inputs per user; the "
         "decomposition's references are then fitted per session"),
    Hook("propensity_kind", "policy", DeclaresPropensities, ("propensity_kind",),
         "how the logged propensities are computed (exact, approximate (...), unknown): "
         "recorded in summary.json; loopsim-ope refuses approximate ones (on the policy "
         "or any part, e.g. its selector)"),
    Hook("reads_propensities", "policy", ReadsPropensities, ("reads_propensities",),
         "whether the policy (or a part) reads the values of Feedback.propensity; when "
         "no part does and no impression log is written, Thompson sampling and softmax "
         "skip their exact marginals (NaN: randomized, not computed). A part from outside "
         "loopsim that does not declare it is assumed to read them"),
    Hook("check_estimator", "selector", ChecksEstimator, ("check_estimator",),
         "a selector refuses, when composed, an estimator it cannot work over"),
    Hook("history", "world", HasHistory, ("history",),
         "logged feedback the policy learns from before the first session"),
    Hook("relevance_version", "world", HasRelevanceVersion, ("relevance_version",),
         "changes only when existing items' relevance changes, so metrics keep their "
         "per-user ideal slates across item arrivals"),
    Hook("preferences", "world", HasPreferences, ("preferences", "initial_preferences"),
         "latent user vectors, for drift_distance"),
    Hook("conversion_of_slates", "world", ConvertsSlates, ("conversion_of_slates",),
         "the probability of a conversion after a click, for click models with a "
         "conversion step"),
    Hook("item_arrival_exponent", "world", HasArrivalSchedule, ("item_arrival_exponent",),
         "the candidate pool grows as item_arrival_rate * t^exponent (sub-linear below 1)"),
    Hook("organic", "world", HasOrganic, ("organic", "organic_sharpness"),
         "an open world: users also find items outside the recommender"),
    Hook("n_users", "world", HasUsers, ("n_users",),
         "the number of users, for metrics given a bare ground truth"),
    Hook("data_shift", "world", ShiftingWorld, ("data_shift", "advance"),
         "a world whose truth changes at known times (data shift)"),
    Hook("item_features", "world", HasItemFeatures, ("item_features",),
         "what a team's monitor sees of served items (feature drift)"),
    Hook("attribute_dim", "world", HasItemAttributes,
         ("attribute_dim", "attributes_of", "genres_of"),
         "observable catalogue metadata (noisy item attributes, a genre), handed to the "
         "policy parts that ask for it (use_item_attributes); attribute_dim 0: none"),
    Hook("nearest_neighbour_pairs", "world", PairsSimilarUsers, ("nearest_neighbour_pairs",),
         "each user paired with the user of most similar taste (homogenization_nn)"),
    Hook("sample_conversions", "click_model", ConvertingClickModel, ("sample_conversions",),
         "a conversion step after a click (listen, then download with the item's quality)"),
)

#: The hooks a policy or one of its parts (an estimator, a selector, a stage) may have.
POLICY_SIDE: tuple[ExtensionPoint, ...] = ("policy", "estimator", "selector")


def hooks_for(point: ExtensionPoint) -> tuple[Hook, ...]:
    """The optional hooks of one extension point."""
    return tuple(h for h in HOOKS if h.point == point)


def declared(component: object, points: tuple[ExtensionPoint, ...]) -> list[str]:
    """The names of the hooks of ``points`` that ``component`` declares."""
    return [h.name for h in HOOKS if h.point in points and isinstance(component, h.protocol)]


def hooks_of(policy: object) -> dict[str, list[str]]:
    """Which optional hooks the policy and each of its parts implement.

    Returns:
        ``{"<ClassName>": [hook names]}`` for the policy and, recursively, its parts
        (``"<ClassName> (part)"``), in order.
    """
    out: dict[str, list[str]] = {}
    for i, part in enumerate(components(policy)):
        name = type(part).__name__ + ("" if i == 0 else " (part)")
        out[name] = declared(part, POLICY_SIDE)
    return out


def hook_table(point: ExtensionPoint) -> str:
    """A Markdown table of one extension point's hooks (for the docs)."""
    rows = ["| hook | protocol | members | what the loop does with it |",
            "| --- | --- | --- | --- |"]
    for h in hooks_for(point):
        members = ", ".join(f"`{m}`" for m in h.members)
        rows.append(f"| `{h.name}` | `{h.protocol.__name__}` | {members} | {h.meaning} |")
    return "\n".join(rows)


__all__ = ["HOOKS", "POLICY_SIDE", "ExtensionPoint", "Hook", "declared", "hook_table",
           "hooks_for", "hooks_of"]

