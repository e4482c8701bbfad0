"""loopsim's simulator: the world, the engine, the metrics and the policy contract.

The simulator knows no concrete policy: it receives any object that honours
:class:`RankingPolicy`.
"""

from loopsim.simulator.checker import check_policy
from loopsim.simulator.click_models import (
    AttentionChoiceModel,
    CascadeModel,
    ClickModel,
    PositionBasedModel,
    TrialOfferModel,
)
from loopsim.simulator.loop.config import SimulationConfig
from loopsim.simulator.contract.policy import (
    Feedback,
    GroundTruth,
    RankingPolicy,
    ReportsMetrics,
    ScoresItems,
    SlateRequest,
    Slates,
    UsesGroundTruth,
)
from loopsim.simulator.loop.simulation import Simulation
from loopsim.simulator.errors import (
    ConfigError,
    DataError,
    LoopsimError,
    PolicyContractError,
    PolicyRuntimeError,
)
from loopsim.simulator.io.results import RunResult
from loopsim.simulator.world import (
    ChaneyWorld,
    InterestWorld,
    MusicLabWorld,
    RatingsWorld,
    SyntheticWorld,
    World,
)

__all__ = [
    "CascadeModel",
    "ClickModel",
    "ConfigError",
    "DataError",
    "Feedback",
    "GroundTruth",
    "LoopsimError",
    "PolicyContractError",
    "PolicyRuntimeError",
    "PositionBasedModel",
    "RankingPolicy",
    "ReportsMetrics",
    "RunResult",
    "ScoresItems",
    "Simulation",
    "SimulationConfig",
    "SlateRequest",
    "Slates",
    "SyntheticWorld",
    "UsesGroundTruth",
    "World",
    "check_policy",
]
__all__ += ["AttentionChoiceModel", "ChaneyWorld", "InterestWorld", "MusicLabWorld",
            "RatingsWorld", "TrialOfferModel"]
