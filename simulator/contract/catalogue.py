"""What a policy may see of the catalogue: observable item attributes and genres.

A world that gives catalogue metadata (:class:`~loopsim.simulator.contract.world.HasItemAttributes`,
e.g. ``SyntheticWorld`` with ``item_attributes > 0``) hands it to the parts of a policy that
ask for it (:class:`~loopsim.simulator.contract.policy.UsesItemAttributes`) as an
:class:`ItemCatalogue`: two read-only lookups by item id, nothing of the truth (no
relevance, no latent features, no quality). Items that arrive later are looked up the
same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from loopsim.simulator.contract.world import HasItemAttributes
from loopsim.simulator.errors import ConfigError

__all__ = ["ItemCatalogue", "hand_item_attributes"]


class ItemCatalogue:
    """A read-only view of a world's item metadata.

    Args:
        world: The world that gives the metadata (kept private: a policy reads only
            :meth:`attributes` and :meth:`genres`).
    """

    def __init__(self, world: HasItemAttributes) -> None:
        self._world = world

    @property
    def dim(self) -> int:
        """Attributes per item."""
        return int(self._world.attribute_dim)

    def attributes(self, items: np.ndarray) -> np.ndarray:
        """``(I, dim)`` observable attributes of ``items`` (float)."""
        return np.asarray(self._world.attributes_of(np.asarray(items, dtype=np.int64)),
                          dtype=np.float64)

    def genres(self, items: np.ndarray) -> np.ndarray:
        """``(I,)`` genre codes of ``items`` (non-negative integers)."""
        return np.asarray(self._world.genres_of(np.asarray(items, dtype=np.int64)),
                          dtype=np.int64)


def hand_item_attributes(parts: Sequence[object], world: object) -> None:
    """Give an :class:`ItemCatalogue` of ``world`` to every part that needs one.

    Raises:
        ConfigError: A part needs the catalogue's metadata and the world gives none
            (names the part and ``world.item_attributes``).
    """
    from loopsim.simulator.contract.policy import UsesItemAttributes

    askers = [p for p in parts if isinstance(p, UsesItemAttributes) and p.needs_item_attributes]
    if not askers:
        return
    gives = isinstance(world, HasItemAttributes) and int(world.attribute_dim) > 0
    if not gives:
        dim = world.attribute_dim if isinstance(world, HasItemAttributes) else "absent"
        raise ConfigError(
            f"{type(askers[0]).__name__} reads the items' observable attributes, but the "
            f"world ({type(world).__name__}) gives none: `world.item_attributes == {dim}`. "
            "Set world.item_attributes to the number of attributes per item (e.g. 8; "
            "SyntheticWorld), or configure the part not to read them (e.g. "
            "policy.upstream.item_side=free).")
    catalogue = ItemCatalogue(world)
    for part in askers:
        part.use_item_attributes(catalogue)
