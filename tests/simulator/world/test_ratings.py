"""Reading MovieLens-style files and calibrating a world from them (generated files only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from loopsim.simulator import (
    ConfigError,
    DataError,
    PositionBasedModel,
    RatingsWorld,
    Simulation,
    SimulationConfig,
)
from loopsim.simulator.world.ratings import als
from loopsim.simulator.world.ratings_io import read_ratings

from tests.builtins import make_policy

CSV = "userId,movieId,rating,timestamp\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_csv_and_tsv(tmp_path: Path) -> None:
    csv = _write(tmp_path, "ratings.csv", CSV + "1,10,4.0,100\n2,10,3.5,101\n\n")
    r = read_ratings(csv)
    np.testing.assert_array_equal(r.user, [1, 2])
    np.testing.assert_array_equal(r.rating, [4.0, 3.5])
    tsv = _write(tmp_path, "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n")
    r = read_ratings(tsv)
    np.testing.assert_array_equal(r.item, [242, 302])
    np.testing.assert_array_equal(r.timestamp, [881250949, 891717742])


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("a.csv", CSV + "1,10,4.0,100\n2,10,abc,101\n",
         r"a\.csv, line 3: rating 'abc' is not a number"),
        ("b.csv", CSV + "1,10,4.0,100\n2,10,101\n",
         r"b\.csv, line 3: expected 4 comma-separated fields .* got 3"),
        ("c.csv", CSV + "1,10,4.0,100,9\n", r"c\.csv, line 2: expected 4 .* got 5"),
        ("d.tsv", "1\t10\t4\t100\n\n2\t1x\t3\t5\n",
         r"d\.tsv, line 3: item '1x' is not an integer"),
        ("e.tsv", "1\t10\tnan\t100\n", r"e\.tsv, line 1: rating 'nan' is not a finite number"),
        ("f.csv", "user,movie,rating,timestamp\n1,10,4.0,100\n",
         r"f\.csv, line 1: expected the header"),
        ("g.csv", "", r"g\.csv, line 1: the file is empty"),
        ("h.csv", CSV, r"h\.csv: the file holds no ratings"),
    ],
)
def test_malformed_files_name_file_line_and_reason(
    tmp_path: Path, name: str, text: str, match: str
) -> None:
    with pytest.raises(DataError, match=match):
        read_ratings(_write(tmp_path, name, text))


def test_missing_file_and_bad_format(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such ratings file"):
        read_ratings(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match="world.format"):
        read_ratings(_write(tmp_path, "x.csv", CSV), format="xml")
    with pytest.raises(ConfigError, match="world.path"):
        RatingsWorld().reset(np.random.default_rng(0))


def test_als_recovers_a_low_rank_matrix() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(30, 2)) @ rng.normal(size=(2, 20))
    rows, cols = np.nonzero(rng.random(truth.shape) < 0.7)
    p, q = als(rows, cols, truth[rows, cols], truth.shape, 2, 1e-3, 30, rng)
    assert np.abs(p @ q.T - truth).max() < 0.05


def _small_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    lines = [CSV.strip()]
    for u in range(40):
        for i in rng.choice(25, size=int(rng.integers(3, 15)), replace=False):
            raw = 3 + (i % 5) / 2 + rng.normal(0, 0.5)
            rating = float(np.clip(np.round(2 * raw) / 2, 0.5, 5))
            lines.append(f"{u + 100},{i * 3},{rating},{1000 + u}")
    return _write(tmp_path, "ratings.csv", "\n".join(lines) + "\n")


def test_world_is_calibrated_from_the_file(tmp_path: Path) -> None:
    path = _small_file(tmp_path)
    r = read_ratings(path)
    world = RatingsWorld(path=str(path), shrinkage=5.0)
    world.reset(np.random.default_rng(0))
    assert world.n_users == np.unique(r.user).size
    assert world.n_items == np.unique(r.item).size
    items = np.arange(world.n_items)
    # true value: shrunk mean, rescaled to [0, 1]
    mu, lo, hi = r.rating.mean(), r.rating.min(), r.rating.max()
    dense = np.searchsorted(np.unique(r.item), r.item)
    counts = np.bincount(dense)
    shrunk = (np.bincount(dense, weights=r.rating) + 5.0 * mu) / (counts + 5.0)
    np.testing.assert_allclose(world.true_value(items), (shrunk - lo) / (hi - lo))
    np.testing.assert_array_equal(world.initial_popularity(items), counts)
    users_count = np.bincount(np.searchsorted(np.unique(r.user), r.user))
    np.testing.assert_allclose(world.activity(), users_count / users_count.mean())
    rel = world.relevance(np.arange(world.n_users), items)
    assert rel.min() >= 0 and rel.max() <= 1
    history = world.history()
    assert len(history) == len(r) and history.click.all()


def test_warm_start_hands_rating_counts_to_the_policy(tmp_path: Path) -> None:
    path = _small_file(tmp_path)
    world = RatingsWorld(path=str(path), warm_start=True)
    policy = make_policy("popularity")
    cfg = SimulationConfig(horizon=1.0, slate_size=5, progress=False)
    result = Simulation(world, PositionBasedModel(), policy, cfg, seed=0).run()
    result.raise_for_status()
    items = np.arange(world.n_items)
    clicks = result.items["clicks"].to_numpy()
    np.testing.assert_array_equal(policy.item_scores(items), world.initial_popularity(items)
                                  + clicks)
