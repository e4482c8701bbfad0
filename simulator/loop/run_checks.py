"""Checks of a world against the run, once, before the loop starts.

* the catalogue holds at least one slate (``slate_size <= world.n_items``);
* the catalogue's rates are finite (an infinite ``item_arrival_rate`` would never let
  simulated time move; an infinite ``item_lifetime`` is written ``None``), and the
  expected arrivals stay below :data:`~loopsim.simulator.loop.config.MAX_STEPS`;
* the world and the click model read relevance the same way: a world whose relevance is
  an *attractiveness* weight, not a click probability (MusicLab's appeal plus displayed
  downloads, which grows without bound), runs only under a click model that reads it as
  such (the trial-offer model). A world declares it with the class attribute
  ``relevance_kind = "attractiveness"``; a click model with
  ``accepts_attractiveness = True``.
"""

from __future__ import annotations

from typing import Any

from loopsim.simulator.errors import ConfigError
from loopsim.simulator.loop.config import MAX_STEPS
from loopsim.simulator.params.checks import check_in_range

__all__ = ["check_world"]


def check_world(world: Any, click_model: Any, slate_size: int, horizon: float) -> None:
    """Raise :class:`ConfigError` naming the field, the value and what is allowed.

    Args:
        world: The world, after ``reset``.
        click_model: The run's click model.
        slate_size: The run's ``slate_size``.
        horizon: The run's ``horizon`` (bounds the expected number of item arrivals).
    """
    if slate_size > world.n_initial_items:
        raise ConfigError(
            f"`slate_size == {slate_size}` is larger than the catalogue "
            f"(`world.n_items == {world.n_initial_items}`): use slate_size <= n_items."
        )
    rate = check_in_range("world.item_arrival_rate", world.item_arrival_rate, 0.0, None)
    if rate * horizon > MAX_STEPS:
        raise ConfigError(
            f"`world.item_arrival_rate == {rate!r}` brings {rate * horizon:.3g} items in "
            f"`horizon == {horizon!r}` days, more than {MAX_STEPS:,} (one event each): use "
            f"item_arrival_rate <= {MAX_STEPS / horizon:.3g} or a shorter horizon."
        )
    lifetime = world.item_lifetime
    if lifetime is not None:
        check_in_range("world.item_lifetime", lifetime, 0.0, None, low_open=True)
    if getattr(world, "relevance_kind", "probability") == "attractiveness" and not getattr(
        click_model, "accepts_attractiveness", False
    ):
        raise ConfigError(
            f"the world {type(world).__name__} gives an attractiveness weight, not a click "
            f"probability (it can exceed 1), and the click model "
            f"{type(click_model).__name__} reads it as a probability: the expected clicks "
            "would be meaningless. Use click_model=trial_offer with this world."
        )

