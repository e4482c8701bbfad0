"""The validation cache is JSON: reading a cache never runs code."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from loopsim.experiments.reproduce.cache import read_cache, write_cache
from loopsim.experiments.reproduce.studies import (
    RESULT_CLASSES,
    ChaneyResult,
    DriftResult,
    MusicLabResult,
    TrialOfferTheory,
    Validation,
)
from loopsim.simulator.errors import DataError


def validation() -> Validation:
    music = MusicLabResult(np.array([0.1, 0.2]), np.full((2, 3), 1 / 3), np.array([0.5, 0.2, 0.1]))
    drift = DriftResult(np.array([1.0, 2.0]), {"greedy": np.array([[0.1, 0.2]])},
                        {"greedy": np.array([3.0])}, 0.05)
    return Validation(TrialOfferTheory(np.eye(2), np.array([0.5, 0.5])), np.array([0.9]),
                      music, music, ChaneyResult(np.array([1.0]), 0.5,
                                                 {"homogenization": {"mf": np.ones((1, 1))}}),
                      drift, drift)


def test_a_cache_round_trips(tmp_path: Path) -> None:
    write_cache(tmp_path / "v.json", validation())
    back = read_cache(tmp_path / "v.json", RESULT_CLASSES)
    assert isinstance(back, Validation)
    np.testing.assert_allclose(back.static.shares, np.eye(2))
    np.testing.assert_allclose(back.chaney.values["homogenization"]["mf"], np.ones((1, 1)))
    assert back.jiang.step == pytest.approx(0.05)


class Boom:
    def __reduce__(self):
        return (Path("/tmp/should-not-exist-loopsim").touch, ())


def test_a_pickle_is_refused_without_running_it(tmp_path: Path) -> None:
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(Boom()))
    with pytest.raises(DataError, match="not a loopsim validation cache"):
        read_cache(tmp_path / "evil.pkl", RESULT_CLASSES)
    assert not Path("/tmp/should-not-exist-loopsim").exists()


@pytest.mark.parametrize(("doc", "message"), [
    ('{"loopsim_validation_cache": 1, "values": {"__class__": "Popen"}}', "class 'Popen'"),
    ('{"loopsim_validation_cache": 1, "values": {"__ndarray__": [1], "dtype": "object"}}',
     "dtype 'object'"),
    ('{"loopsim_validation_cache": 9, "values": {}}', "of version 1"),
])
def test_only_known_classes_and_numeric_arrays_are_rebuilt(tmp_path: Path, doc: str,
                                                           message: str) -> None:
    (tmp_path / "c.json").write_text(doc)
    with pytest.raises(DataError, match=message):
        read_cache(tmp_path / "c.json", RESULT_CLASSES)
