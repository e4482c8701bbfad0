"""Click models: how position matters."""

from loopsim.simulator.click_models.attention import AttentionChoiceModel
from loopsim.simulator.click_models.base import ClickModel, ConvertingClickModel, sample_feedback
from loopsim.simulator.click_models.cascade import CascadeModel
from loopsim.simulator.click_models.pbm import PositionBasedModel
from loopsim.simulator.click_models.trial_offer import TrialOfferModel

__all__ = [
    "AttentionChoiceModel",
    "CascadeModel",
    "ClickModel",
    "ConvertingClickModel",
    "PositionBasedModel",
    "TrialOfferModel",
    "sample_feedback",
]
