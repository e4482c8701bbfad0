"""docs/validation.md is rendered from the measured values (no simulation here)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from loopsim.experiments.reproduce.figures import draw_figures
from loopsim.experiments.reproduce.page import render
from loopsim.experiments.reproduce.results import (
    ChaneyResult,
    DriftResult,
    MusicLabResult,
    TrialOfferTheory,
    Validation,
)


def fake_validation() -> Validation:
    """Hand-made values of every section (no simulation)."""
    rng = np.random.default_rng(0)
    t = np.arange(5.0, 45.0, 5.0)
    measures = ("homogenization", "homogenization_nn", "reward_per_session_window")
    base = {"oracle": 0.2, "popularity": 0.5, "mf": 0.3}
    values = {m: {p: np.full((3, t.size), b) + 0.01 * rng.random((3, t.size))
                  for p, b in base.items()} for m in measures}
    values["reward_per_session_window"]["oracle"] += 0.2
    drift_t = np.arange(10.0, 90.0, 10.0)
    settings = ("greedy", "epsilon 0.3", "random", "greedy, growing pool",
                "random, growing pool")
    jiang = DriftResult(drift_t, {s: np.outer(np.ones(3), drift_t) / (i + 1)
                                  for i, s in enumerate(settings)},
                        {s: np.full(3, 200.0) for s in settings}, 0.05)
    sphere = DriftResult(drift_t, {"greedy": np.full((2, 8), 0.5), "random": np.full((2, 8), 0.9)},
                         {"greedy": np.full(2, 100.0), "random": np.full(2, 50.0)}, float("nan"))
    market = MusicLabResult(rng.random(8), rng.dirichlet(np.ones(48), 8), rng.random(48))
    items_t = np.arange(30.0, 330.0, 30.0)
    item_settings = ("oracle", "oracle, linear pool", "epsilon 0.3", "epsilon 0.3, linear pool",
                     "random", "random, linear pool", "random, sqrt pool")
    item_interest = DriftResult(items_t, {s: np.outer(np.ones(2), items_t) ** (1 - i / 10)
                                          for i, s in enumerate(item_settings)},
                                {s: np.full(2, 300.0) for s in item_settings}, 0.2)
    return Validation(TrialOfferTheory(rng.dirichlet(np.ones(48), 4), rng.dirichlet(np.ones(48))),
                      rng.random(8), market, market, ChaneyResult(t, 10.0, values), jiang, sphere,
                      item_interest)


def test_the_page_quotes_the_measured_values_and_names_its_tests(tmp_path: Path) -> None:
    v = fake_validation()
    page = render(v)
    assert page.startswith("# Validation")
    for section in ("Trial-offer", "MusicLab", "Experiment 1's raw files", "Chaney",
                    "Degenerate feedback loops", "per-item interest"):
        assert section in page
    change = v.chaney.change("homogenization", "popularity")[:, -1]
    assert f"{change.mean():+.3f} ± {change.std():.3f}" in page
    assert "Not reproduced" in page and "could not be read" in page
    named = set(re.findall(r"test_validation\.py::(test_\w+)`", page))
    assert len(named) >= 14, named  # every slow test of the generated worlds
    draw_figures(tmp_path, v)
    assert {p.name for p in tmp_path.glob("*.png")} == {
        "trial_offer_theory.png", "musiclab_presets.png", "chaney.png", "degeneracy.png"}
