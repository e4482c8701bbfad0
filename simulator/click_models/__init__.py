"""Click models: how position matters."""

from loopsim.simulator.click_models.attention import AttentionChoiceModel
from loopsim.simulator.click_models.cascade import CascadeModel
from loopsim.simulator.click_models.pbm import PositionBasedModel
from loopsim.simulator.click_models.sampling import sample_feedback
from loopsim.simulator.click_models.trial_offer import TrialOfferModel
from loopsim.simulator.contract.click_model import ClickModel, ConvertingClickModel

__all__ = [
    "AttentionChoiceModel",
    "CascadeModel",
    "ClickModel",
    "ConvertingClickModel",
    "PositionBasedModel",
    "TrialOfferModel",
    "sample_feedback",
]
