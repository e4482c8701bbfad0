"""Seeding: named independent streams, a world seed that can be held fixed."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.loop.seeding import Streams


def _first(streams: Streams) -> dict[str, float]:
    return {name: getattr(streams, name).random() for name in
            ("world", "catalogue", "arrivals", "clicks", "policy", "metrics")}


def test_same_seed_same_streams_and_streams_differ_from_each_other() -> None:
    a, b = _first(Streams.from_seed(7)), _first(Streams.from_seed(7))
    assert a == b
    assert len(set(a.values())) == len(a)


def test_world_seed_fixes_world_streams_only() -> None:
    a, b = _first(Streams.from_seed(1, world_seed=99)), _first(Streams.from_seed(2, world_seed=99))
    assert a["world"] == b["world"] and a["catalogue"] == b["catalogue"]
    assert a["arrivals"] != b["arrivals"] and a["policy"] != b["policy"]


def test_world_seed_does_not_alias_a_run_stream() -> None:
    s = _first(Streams.from_seed(5, world_seed=5))
    assert s["world"] not in (s["arrivals"], s["clicks"], s["policy"], s["metrics"])


def test_negative_seed_is_rejected_with_the_field() -> None:
    with pytest.raises(ConfigError, match="`seed == -1`"):
        Streams.from_seed(-1)


def test_streams_are_generators() -> None:
    assert isinstance(Streams.from_seed(0).clicks, np.random.Generator)
