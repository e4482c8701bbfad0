"""MusicLab against its raw data (Experiment 1), and the Experiment 2 prediction.

The data are read from ``../shared/data/musiclab`` (beside the repository; licence
CC BY-NC-ND: never copied into the repository). Without that folder these tests skip.
The tolerances are those docs/musiclab.md states.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from loopsim.simulator.errors import ConfigError

#: ``../shared/data/musiclab`` beside the repository (``LOOPSIM_MUSICLAB_DATA`` overrides it).
DATA = Path(os.environ.get("LOOPSIM_MUSICLAB_DATA")
            or Path(__file__).resolve().parents[3].parent / "shared" / "data" / "musiclab")
needs_data = pytest.mark.skipif(
    not (DATA / "dynamics_downloads_download_w9_v1.txt").is_file(),
    reason=f"MusicLab's raw download files are not at {DATA} (they are not shipped: "
           "CC BY-NC-ND; see DESIGN.md section 10)")


@needs_data
def test_the_data_figures_match_the_readme_of_the_files() -> None:
    from loopsim.experiments.reproduce.musiclab_figures import observed

    f = observed(DATA)
    np.testing.assert_allclose(f.gini_social, [.334, .374, .418, .333, .379, .284, .300, .300],
                               atol=6e-4)
    assert f.gini_independent == pytest.approx(0.244, abs=6e-4)
    assert f.u_social == pytest.approx(0.0082, abs=6e-5)
    assert f.u_independent == pytest.approx(0.0049, abs=1e-4)
    assert f.downloads_social.sum() == 6625 and f.downloads_independent == 1578
    assert f.participants_social.min() == 205 and f.participants_social.max() == 233
    assert f.participants_independent == 403
    assert 0.74 <= f.spearman.min() and f.spearman.max() <= 0.80


@needs_data
def test_calibrated_songs_reproduce_the_independent_ranking() -> None:
    from loopsim.simulator import MusicLabWorld
    from loopsim.simulator.metrics import spearman
    from loopsim.simulator.world.musiclab_io import read_musiclab

    world = MusicLabWorld(n_items=48, data_dir=str(DATA), download_once=True)
    world.reset(np.random.default_rng(0))
    ids = np.arange(48)
    indep = read_musiclab(DATA).independent.downloads
    assert spearman(world.true_value(ids), indep) > 0.99
    np.testing.assert_allclose(world.appeal(ids), world.quality(ids))  # theta = 0.5
    with pytest.raises(ConfigError, match="world.n_items=48"):
        MusicLabWorld(n_items=10, data_dir=str(DATA)).reset(np.random.default_rng(0))


@needs_data
@pytest.mark.slow
def test_musiclab_exp1_reproduces_the_data() -> None:
    from loopsim.experiments.reproduce.musiclab_figures import observed
    from loopsim.experiments.reproduce.musiclab_model import experiment1

    data = observed(DATA)
    model = [experiment1(str(DATA), str(DATA), 100 + r, splits=50) for r in range(3)]
    gini_social = np.mean([f.gini_social.mean() for f in model])
    assert data.gini_social.min() <= gini_social <= data.gini_social.max()
    assert np.mean([f.gini_independent for f in model]) == pytest.approx(
        data.gini_independent, abs=0.03)
    assert np.mean([f.u_social for f in model]) == pytest.approx(data.u_social, rel=0.25)
    assert np.mean([f.u_independent for f in model]) == pytest.approx(data.u_independent,
                                                                       rel=0.25)
    assert np.mean([f.spearman.mean() for f in model]) == pytest.approx(data.spearman.mean(),
                                                                         abs=0.05)


@needs_data
@pytest.mark.slow
def test_the_fit_recovers_the_presets_social_weight(tmp_path: Path) -> None:
    from loopsim.experiments.reproduce.musiclab_fit import fit
    from loopsim.experiments.reproduce.studies import preset

    cfg = preset("musiclab_exp1", ["world.data_dir=x"])
    result = fit(str(DATA), grid=((1.0, 0.04), (1.0, 0.08), (1.0, 0.12)), replicates=2,
                 bootstraps=20)
    assert result.social_exponent == cfg.world.social_exponent
    assert result.social_weight == pytest.approx(cfg.world.social_weight)


@needs_data
@pytest.mark.slow
def test_musiclab_exp2_predicts_more_inequality_and_unpredictability_when_sorted() -> None:
    from loopsim.experiments.reproduce.musiclab_model import conditions

    runs = conditions("musiclab_exp2", str(DATA), range(8))
    social, indep = runs["social"], runs["independent"]
    assert social.gini.min() > indep.gini.max()
    assert social.unpredictability > 1.5 * indep.unpredictability
    assert social.spearman.mean() < indep.spearman.mean()


def test_the_exp2_preset_changes_only_the_display() -> None:
    from loopsim.experiments.reproduce.musiclab_model import condition_config

    for c in ("independent", "social"):
        one = condition_config("musiclab_exp1", f"exp1_{c}", "x")
        two = condition_config("musiclab_exp2", f"exp2_{c}", "x")
        assert one.label == two.label == c
        assert one.world == two.world
        assert one.click_model.visibility_exponent == 0.0
        assert two.click_model.visibility_exponent == 1.0
    social = condition_config("musiclab_exp2", "exp2_social", "x")
    assert social.policy.selector._target_.endswith("Greedy")
    assert condition_config("musiclab_exp1", "exp1_social", "x").policy.selector._target_ \
        .endswith("UniformRandom")


def test_the_page_renders_and_draws_from_measured_values(tmp_path: Path) -> None:
    """The page and figure from a hand-made report (no data needed)."""
    from loopsim.experiments.reproduce.musiclab_figures import MarketFigures
    from loopsim.experiments.reproduce.musiclab_model import ConditionRuns
    from loopsim.experiments.reproduce.musiclab_page import MusicLabReport, draw, render

    rng = np.random.default_rng(0)
    f = MarketFigures(np.full(8, 0.3), 0.24, 0.008, 0.005, np.full(8, 0.75), np.full(8, 800.0),
                      1500.0, np.full(8, 210), 400)
    g = MarketFigures(np.full(8, 0.5), 0.24, 0.008, 0.005, np.full(8, 0.75), np.full(8, 800.0),
                      1500.0, np.full(8, 210), 400)
    runs = ConditionRuns("social", rng.random((8, 48)) * np.arange(1, 49), np.arange(48.0))
    report = MusicLabReport(f, [f, g], {"independent": runs, "social": runs},
                            {"independent": (0.001, 0.002), "social": (0.01, 0.02)}, None)
    assert draw(report, tmp_path).is_file()
    page = render(report)
    assert "PREDICTION" in page and "`label=social`" in page
    assert "within the model replicates' range in 8 of 8 worlds" in page
    assert "The fit's JSON was not given" in page
