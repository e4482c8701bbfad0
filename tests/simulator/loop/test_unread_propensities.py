"""Propensities nothing reads are not computed, and a run's numbers do not depend on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from loopsim.policies import ComposedPolicy
from loopsim.policies.estimators import BetaCTR, ClicksOverExpected
from loopsim.policies.selectors import Greedy, SoftmaxSelector, ThompsonSelector
from loopsim.simulator import PositionBasedModel, Simulation, SimulationConfig, SyntheticWorld
from loopsim.simulator.contract.batches import RECOMMENDED, Feedback, SlateRequest, Slates
from loopsim.simulator.contract.policy import reads_propensities
from loopsim.simulator.io.impression_log import ImpressionLog


class Seen:
    """A loopsim policy wrapped to keep the propensities it is trained on (tests only).

    It declares that it does not read them, as a built-in part would, so the engine may
    skip them; ``declared=True`` makes it read them.
    """

    def __init__(self, policy: ComposedPolicy, declared: bool = False) -> None:
        self.policy = policy
        self.declared = declared
        self.propensity: list[np.ndarray] = []  # of the recommended rows

    def reads_propensities(self) -> bool:
        return self.declared

    def rank(self, request: SlateRequest) -> Slates:
        return self.policy.rank(request)

    def update(self, feedback: Feedback) -> None:
        self.propensity.append(np.array(feedback.propensity[feedback.source == RECOMMENDED]))
        self.policy.update(feedback)

    def parts(self) -> tuple[object, ...]:
        return (self.policy,)


def _thompson() -> ComposedPolicy:
    return ComposedPolicy(ClicksOverExpected(), ThompsonSelector())


def _softmax() -> ComposedPolicy:
    return ComposedPolicy(BetaCTR(), SoftmaxSelector(temperature=0.05))


def _run(policy: object, log: ImpressionLog | None = None) -> pl.DataFrame:
    world = SyntheticWorld(n_users=150, n_items=40, sessions_per_user_per_day=1.0,
                           item_arrival_rate=2.0)
    config = SimulationConfig(horizon=4.0, progress=False)
    result = Simulation(world, PositionBasedModel(), policy, config, seed=3,  # type: ignore[arg-type]
                        impression_log=log).run()
    result.raise_for_status()
    return result.metrics


@pytest.mark.parametrize("make", [_thompson, _softmax], ids=["thompson", "softmax"])
def test_a_run_is_the_same_whether_or_not_it_computes_its_propensities(
        make, tmp_path: Path) -> None:
    unread = Seen(make())
    logged = Seen(make())
    log = ImpressionLog(tmp_path / "impressions", chunk_rows=10_000)
    a = _run(unread)
    b = _run(logged, log)
    assert a.equals(b)
    served = [p for p in unread.propensity if p.size]
    assert served and all(np.isnan(p).all() for p in served)  # not computed, not read
    computed = np.concatenate(logged.propensity)
    assert np.isfinite(computed).all() and ((computed > 0) & (computed < 1)).all()
    rows = pl.read_parquet(log.files)
    written = rows.filter(pl.col("source") == RECOMMENDED)["propensity"].to_numpy()
    assert np.isfinite(written).all() and ((written > 0) & (written < 1)).all()


def test_a_part_that_reads_them_gets_them_without_a_log() -> None:
    reader = Seen(_thompson(), declared=True)
    _run(reader)
    values = np.concatenate(reader.propensity)
    assert np.isfinite(values).all() and ((values > 0) & (values < 1)).all()


class OwnPolicy:
    """A user's policy from outside loopsim that says nothing about propensities."""

    def rank(self, request: SlateRequest) -> Slates:
        return Slates(np.broadcast_to(request.candidates[: request.k], (request.batch_size,
                                                                         request.k)))

    def update(self, feedback: Feedback) -> None:
        pass


def test_who_reads_propensities() -> None:
    assert not reads_propensities(_thompson())  # loopsim's own parts: only the flag
    assert not reads_propensities(ComposedPolicy(BetaCTR(), Greedy()))
    assert reads_propensities(OwnPolicy())  # undeclared, from outside loopsim
    assert not reads_propensities(Seen(_thompson()))  # declared False, parts loopsim's
    assert reads_propensities(Seen(_thompson(), declared=True))
    assert reads_propensities(Seen(OwnPolicy()))  # type: ignore[arg-type]  # a part reads
