"""The catalogue channel: item attributes handed to the policy parts that ask for them."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.policies.pipeline import FactorUpstream, FeatureRanker, LearnedPipeline
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.contract.catalogue import ItemCatalogue, hand_item_attributes
from loopsim.simulator.contract.policy import UsesItemAttributes
from loopsim.simulator.errors import ConfigError


class Asker:
    """A part that reads the catalogue's metadata when ``needs`` is set."""

    def __init__(self, needs: bool) -> None:
        self.needs = needs
        self.catalogue: ItemCatalogue | None = None

    @property
    def needs_item_attributes(self) -> bool:
        return self.needs

    def use_item_attributes(self, catalogue: object) -> None:
        self.catalogue = catalogue  # type: ignore[assignment]


def tiny(attributes: int) -> SyntheticWorld:
    w = SyntheticWorld(n_users=10, n_items=12, item_arrival_rate=0.0,
                       item_attributes=attributes)
    w.reset(np.random.default_rng(0))
    return w


def test_a_part_that_needs_them_gets_a_read_only_view_and_others_get_nothing() -> None:
    w = tiny(3)
    asker, quiet = Asker(True), Asker(False)
    assert isinstance(asker, UsesItemAttributes)
    hand_item_attributes([asker, quiet], w)
    assert quiet.catalogue is None and asker.catalogue is not None
    items = np.array([3, 1])
    np.testing.assert_array_equal(asker.catalogue.attributes(items), w.attributes_of(items))
    np.testing.assert_array_equal(asker.catalogue.genres(items), w.genres_of(items))
    assert asker.catalogue.dim == 3
    assert not hasattr(asker.catalogue, "relevance")  # metadata, never the truth


def test_asking_a_world_without_attributes_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"world.item_attributes == 0"):
        hand_item_attributes([Asker(True)], tiny(0))
    hand_item_attributes([Asker(False)], tiny(0))  # nobody asks: fine


def test_the_engine_refuses_a_content_tower_in_a_world_without_attributes() -> None:
    policy = LearnedPipeline(FactorUpstream(n_factors=2, item_side="attributes"),
                             FeatureRanker(), n=None)
    config = SimulationConfig(horizon=1.0, slate_size=3, progress=False)
    sim = Simulation(SyntheticWorld(n_users=20, n_items=15, item_arrival_rate=0.0),
                     PositionBasedModel(eta=1.0), policy, config, seed=0)
    with pytest.raises(ConfigError, match="FactorUpstream reads the items' observable"):
        sim.run().raise_for_status()
