"""The contracts of every extension point and the registry of their optional hooks.

One module per extension point, each holding its required Protocol and its optional
hooks (small runtime-checkable Protocols, checked once when a run starts):

* :mod:`.batches` -- the columnar data crossing every contract: :class:`SlateRequest`,
  :class:`Slates`, :class:`Feedback`;
* :mod:`.policy` -- :class:`RankingPolicy` and its hooks;
* :mod:`.estimator` -- :class:`Estimator` and :class:`HasPosterior`;
* :mod:`.selector` -- :class:`Selector` and :class:`ChecksEstimator`;
* :mod:`.retrieval` -- :class:`RetrievalStage` and its :class:`Pool`;
* :mod:`.world` -- :class:`GroundTruth`, :class:`World` and the world's hooks;
* :mod:`.click_model` -- :class:`ClickModel` and :class:`ConvertingClickModel`;
* :mod:`.registry` -- :data:`~.registry.HOOKS`: every optional hook with its meaning.

The checkers that run a user's class against its contract are in
:mod:`loopsim.simulator.checker`.
"""

from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.contract.catalogue import ItemCatalogue
from loopsim.simulator.contract.click_model import ClickModel, ConvertingClickModel
from loopsim.simulator.contract.estimator import Estimator, HasPosterior
from loopsim.simulator.contract.policy import (
    Composite,
    DeclaresPropensities,
    ExposesRankerFeatures,
    FitsRankerPerUser,
    RankingPolicy,
    ReadsPropensities,
    ReportsMetrics,
    ScoresItems,
    ServesPools,
    UsesGroundTruth,
    UsesItemAttributes,
    UsesPolicyStream,
)
from loopsim.simulator.contract.registry import HOOKS, Hook, hooks_of
from loopsim.simulator.contract.retrieval import Pool, RetrievalStage
from loopsim.simulator.contract.selector import ChecksEstimator, Selector
from loopsim.simulator.contract.world import (
    ConvertsSlates,
    GroundTruth,
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
    World,
)

__all__ = [
    "HOOKS", "ChecksEstimator", "ClickModel", "Composite", "ConvertingClickModel",
    "ConvertsSlates", "DeclaresPropensities", "Estimator", "Feedback", "GroundTruth",
    "HasArrivalSchedule", "HasHistory", "HasItemAttributes", "HasItemFeatures",
    "HasOrganic", "HasPosterior",
    "HasOrganic", "HasPosterior",
    "HasPreferences", "HasRelevanceVersion", "HasUsers", "Hook", "ItemCatalogue",
    "PairsSimilarUsers", "Pool", "RankingPolicy", "ReadsPropensities", "ReportsMetrics",
    "RetrievalStage",
    "ExposesRankerFeatures", "FitsRankerPerUser", "ScoresItems", "Selector", "ServesPools",
    "ShiftingWorld",
    "SlateRequest", "Slates",
    "UsesGroundTruth", "UsesItemAttributes", "UsesPolicyStream", "World", "hooks_of",
]
