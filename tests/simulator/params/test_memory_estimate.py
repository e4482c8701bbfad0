"""The memory estimate: terms named by their fields, refusals against what is available."""

from __future__ import annotations

import pytest
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.memory import check_memory, estimate, format_bytes

CFG = {"horizon": 10.0, "tick": 0.1, "slate_size": 5,
       "world": {"n_users": 1000, "n_items": 500, "n_factors": 8,
                 "sessions_per_user_per_day": 1.0, "organic": 0.0}}


def test_the_batch_scores_term_is_sessions_per_tick_times_items() -> None:
    terms = {t.what.split(" (")[0]: t for t in estimate(CFG)}
    batch = terms["the scores of one served batch"]
    assert batch.bytes == pytest.approx(1000 * 1.0 * 0.1 * 500 * 8)
    assert terms["the users' latent factors"].bytes == pytest.approx(2 * 1000 * 8 * 8)


def test_a_config_that_fits_passes_and_one_that_does_not_is_named() -> None:
    check_memory(CFG, available=1e9)
    with pytest.raises(ConfigError) as err:
        check_memory(CFG, available=1e4)
    assert "`world.n_users == 1000`" in str(err.value)
    assert "of memory is available" in str(err.value) and "9.8 KiB" in str(err.value)


def test_a_pipeline_pool_is_counted() -> None:
    cfg = {**CFG, "policy": {"retrieval": {"n": 10_000_000}}}
    with pytest.raises(ConfigError, match=r"`policy.retrieval.n == 10000000`"):
        check_memory(cfg, available=1e9)


def test_format_bytes() -> None:
    assert format_bytes(74 * 2**30) == "74.0 GiB"
    assert format_bytes(12) == "12 B"
