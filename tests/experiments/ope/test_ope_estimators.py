"""Each OPE estimator against its definition, on hand-made logs."""

from __future__ import annotations

import numpy as np
import pytest
from loopsim.experiments.ope.dm import PositionBasedDM
from loopsim.experiments.ope.estimators import Z95, SlateOPE, estimate_all

# Three sessions of two ranks: logged clicks, propensities, whether the target agrees.
CLICK = np.array([[1, 0], [0, 1], [1, 1]], dtype=float)
P = np.array([[0.5, 0.25], [0.5, 0.5], [0.2, 0.8]])
MATCH = np.array([[True, False], [True, True], [False, True]])
QL = np.array([[0.3, 0.1], [0.2, 0.2], [0.4, 0.3]])
QT = np.array([[0.3, 0.2], [0.2, 0.2], [0.1, 0.3]])


def _loops() -> dict[str, np.ndarray]:
    """The per-session terms written as the definitions' sums, loop by loop."""
    ips, dm, dr = [], [], []
    for i in range(3):
        ips.append(sum(CLICK[i, k] * MATCH[i, k] / P[i, k] for k in range(2)))
        dm.append(sum(QT[i, k] for k in range(2)))
        dr.append(sum(QT[i, k] + MATCH[i, k] / P[i, k] * (CLICK[i, k] - QL[i, k])
                      for k in range(2)))
    return {"ips": np.array(ips), "dm": np.array(dm), "dr": np.array(dr)}


@pytest.mark.parametrize("name", ["ips", "dm", "dr"])
def test_mean_estimators_and_their_intervals(name: str) -> None:
    terms = _loops()[name]
    est = estimate_all(CLICK, P, MATCH, QL, QT)[name]
    assert est.value == pytest.approx(terms.mean())
    half = Z95 * terms.std(ddof=1) / np.sqrt(3)
    assert (est.low, est.high) == pytest.approx((terms.mean() - half, terms.mean() + half))
    assert est.n == 3


def test_ips_by_hand() -> None:
    # session 1: 1/0.5; session 2: 1/0.5; session 3: 1/0.8 -> (2 + 2 + 1.25) / 3
    assert estimate_all(CLICK, P, MATCH, QL, QT)["ips"].value == pytest.approx(5.25 / 3)


def test_snips_normalizes_per_rank() -> None:
    w = MATCH / P
    want = sum((CLICK[:, k] * w[:, k]).sum() / w[:, k].sum() for k in range(2))
    # rank 1: (2 + 0) / (2 + 2) = 0.5; rank 2: (2 + 1.25) / (2 + 1.25) = 1
    assert want == pytest.approx(1.5)
    assert estimate_all(CLICK, P, MATCH, QL, QT)["snips"].value == pytest.approx(want)


def test_snips_interval_is_the_delta_method() -> None:
    w = MATCH / P
    a, b = CLICK * w, w
    v = a.mean(0) / b.mean(0)
    influence = ((a - v * b) / b.mean(0)).sum(1)
    half = Z95 * np.sqrt(influence.var(ddof=1) / 3)
    est = estimate_all(CLICK, P, MATCH, QL, QT)["snips"]
    assert (est.low, est.high) == pytest.approx((1.5 - half, 1.5 + half))


def test_slate_ips_counts_only_whole_matching_slates() -> None:
    pslate = np.array([0.1, 0.25, 0.5])
    est = estimate_all(CLICK, P, MATCH, QL, QT, pslate)["slate_ips"]
    assert est.value == pytest.approx((1 / 0.25) / 3)  # only session 2 matches whole: 1 click
    assert "slate_ips" not in estimate_all(CLICK, P, MATCH, QL, QT)


def test_streaming_equals_one_block() -> None:
    rng = np.random.default_rng(0)
    c = rng.random((50, 3)) < 0.3
    p = rng.uniform(0.1, 1, (50, 3))
    m = rng.random((50, 3)) < 0.5
    q = rng.random((50, 3))
    whole = estimate_all(c, p, m, q, q)
    ope = SlateOPE(3, slate_propensity=False)
    for part in np.array_split(np.arange(50), 4):
        ope.add(c[part], p[part], m[part], q[part], q[part])
    for name, est in ope.results().items():
        assert (est.value, est.low, est.high) == pytest.approx(
            (whole[name].value, whole[name].low, whole[name].high))


def test_ips_is_unbiased_on_uniform_logs_of_a_pbm() -> None:
    """Uniform random logging of a PBM: IPS recovers a fixed slate's exact value."""
    rng = np.random.default_rng(1)
    n_items, k, n = 6, 3, 200_000
    rel = np.array([0.9, 0.7, 0.5, 0.3, 0.2, 0.1])
    e = np.array([1.0, 0.5, 0.25])
    items = np.argsort(rng.random((n, n_items)), axis=1)[:, :k]
    clicks = rng.random((n, k)) < rel[items] * e
    target = np.array([0, 1, 2])
    est = estimate_all(clicks, np.full((n, k), 1 / n_items), items == target,
                       np.zeros((n, k)), np.zeros((n, k)))["ips"]
    assert est.low < float(rel[target] @ e) < est.high


def test_dm_recovers_a_pbm_from_its_counts() -> None:
    rng = np.random.default_rng(2)
    n_items, k, n = 5, 3, 100_000
    theta = np.array([0.8, 0.6, 0.4, 0.3, 0.1])
    e = np.array([1.0, 0.6, 0.3])
    items = np.argsort(rng.random((n, n_items)), axis=1)[:, :k]
    clicks = rng.random((n, k)) < theta[items] * e
    dm = PositionBasedDM(k, prior_strength=0.0)
    dm.add(items, clicks)
    dm.fit()
    assert dm.examination == pytest.approx(e, abs=0.03)
    assert dm.theta == pytest.approx(theta, abs=0.03)
    assert dm.predict(np.array([[0, 1, 2]]))[0] == pytest.approx(theta[:3] * e, abs=0.03)
