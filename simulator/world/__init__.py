"""Worlds: users, items and the ground truth."""

from loopsim.simulator.contract.world import World
from loopsim.simulator.world.chaney import ChaneyWorld
from loopsim.simulator.world.interest import InterestWorld
from loopsim.simulator.world.item_interest import ItemInterestWorld
from loopsim.simulator.world.musiclab import MusicLabWorld
from loopsim.simulator.world.ratings import RatingsWorld, read_ratings
from loopsim.simulator.world.synthetic import SyntheticWorld

__all__ = ["SyntheticWorld", "World"]
__all__ += ["ChaneyWorld", "InterestWorld", "ItemInterestWorld", "MusicLabWorld", "RatingsWorld",
            "read_ratings"]
