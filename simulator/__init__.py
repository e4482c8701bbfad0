"""loopsim's simulator: the world, the engine, the metrics and the policy contract.

The simulator knows no concrete policy: it receives any object that honours
:class:`RankingPolicy`.
"""

from loopsim.simulator.checker import check_click_model, check_policy, check_world
from loopsim.simulator.click_models import (
    AttentionChoiceModel,
    CascadeModel,
    ClickModel,
    PositionBasedModel,
    TrialOfferModel,
)
from loopsim.simulator.contract.batches import Feedback, SlateRequest, Slates
from loopsim.simulator.contract.policy import (
    RankingPolicy,
    ReportsMetrics,
    ScoresItems,
    UsesGroundTruth,
)
from loopsim.simulator.contract.world import GroundTruth
from loopsim.simulator.errors import (
    ConfigError,
    ContractError,
    DataError,
    LoopsimError,
    PolicyContractError,
    PolicyRuntimeError,
)
from loopsim.simulator.io.results import RunResult
from loopsim.simulator.loop.config import SimulationConfig
from loopsim.simulator.loop.simulation import Simulation
from loopsim.simulator.world import (
    ChaneyWorld,
    InterestWorld,
    ItemInterestWorld,
    MusicLabWorld,
    RatingsWorld,
    SyntheticWorld,
    World,
)

__all__ = [
    "CascadeModel",
    "ClickModel",
    "ConfigError",
    "ContractError",
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
    "check_click_model",
    "check_policy",
    "check_world",
]
__all__ += ["AttentionChoiceModel", "ChaneyWorld", "InterestWorld", "ItemInterestWorld",
            "MusicLabWorld", "RatingsWorld", "TrialOfferModel"]
