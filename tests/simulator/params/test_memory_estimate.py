"""The memory estimate: terms named by their fields, refusals against what is available."""

from __future__ import annotations

import pytest
from loopsim.simulator.errors import ConfigError
from loopsim.simulator.params.memory import check_memory, estimate, format_bytes

CFG = {"horizon": 10.0, "tick": 0.1, "slate_size": 5,
       "world": {"n_users": 1000, "n_items": 500, "n_factors": 8,
                 "sessions_per_user_per_day": 1.0, "organic": 0.0}}


def test_terms_follow_their_fields() -> None:
    terms = {t.what.split(" (")[0]: t for t in estimate(CFG)}
    batch = terms["one batch's sessions, slates, clicks and propensities"]
    assert batch.bytes == pytest.approx(1000 * 1.0 * 0.1 * (4 * 5 + 4) * 8)
    assert terms["the users' latent factors"].bytes == pytest.approx(2 * 1000 * 8 * 8)
    assert "the scores of one served batch" not in terms  # scored in bounded chunks


def test_a_dense_world_counts_users_times_items() -> None:
    cfg = {**CFG, "world": {**CFG["world"], "_target_": "loopsim.simulator.ChaneyWorld"}}
    terms = {t.what: t for t in estimate(cfg)}
    assert terms["ChaneyWorld's users x items arrays"].bytes == pytest.approx(17 * 1000 * 500)


def test_a_catalogue_scale_global_run_fits() -> None:
    """1M users x 100k items with a global policy (DESIGN section 9) is not refused."""
    cfg = {"horizon": 2.0, "tick": 0.05, "slate_size": 10,
           "world": {"n_users": 1_000_000, "n_items": 100_000, "n_factors": 8,
                     "item_arrival_rate": 5.0, "organic": 0.2}}
    assert sum(t.bytes for t in estimate(cfg)) < 2**31


def test_a_config_that_fits_passes_and_one_that_does_not_is_named() -> None:
    check_memory(CFG, available=1e9)
    with pytest.raises(ConfigError) as err:
        check_memory(CFG, available=1e4)
    assert "`world.n_users == 1000`" in str(err.value)
    assert "of memory is available" in str(err.value) and "9.8 KiB" in str(err.value)
    assert "Lower world.n_users" in str(err.value)


def test_a_pipeline_pool_is_counted() -> None:
    cfg = {**CFG, "policy": {"retrieval": {"n": 10_000_000}}}
    with pytest.raises(ConfigError, match=r"`policy.retrieval.n == 10000000`"):
        check_memory(cfg, available=1e9)


def test_format_bytes() -> None:
    assert format_bytes(74 * 2**30) == "74.0 GiB"
    assert format_bytes(12) == "12 B"
