"""Offline against the truth: a target's OPE estimates beside its exact value on the log.

Two streaming passes over the Parquet chunks (memory: one chunk, the fitted model and
the truth's memory map):

1. sessions before ``train_until`` train the target (a policy config, chunk by chunk as
   retraining would); sessions from ``train_until`` on are counted for the direct
   method's model (:class:`~.dm.PositionBasedDM`);
2. the frozen target ranks every session from ``train_until`` on; the estimators
   (:class:`~.estimators.SlateOPE`) and the exact truth (the click model's expected
   clicks of the target's slate for that session's user) accumulate side by side.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopsim.experiments.ope.dm import PositionBasedDM
from loopsim.experiments.ope.estimators import Estimate, SlateOPE
from loopsim.experiments.ope.log import (
    cascade_propensities,
    check_propensities,
    iter_sessions,
    open_run,
)
from loopsim.experiments.ope.target import SlateMaker, Target, as_feedback, target_rng
from loopsim.experiments.ope.truth_reader import Truth
from loopsim.simulator.contract.policy import UsesGroundTruth, components
from loopsim.simulator.errors import ConfigError


@dataclass
class OPEReport:
    """The estimates of one target on one log, beside the truth.

    Attributes:
        run_dir: The logged run.
        logging_policy: Its policy's label.
        target: The target's label.
        train_until: Sessions before this day trained the target; the rest are evaluated.
        n_sessions: Evaluated sessions.
        estimates: Estimator name -> :class:`Estimate`.
        true_value: The target's exact expected clicks per session on the evaluated sessions.
        logging_value: The logging policy's exact value on the same sessions.
        match_rate: Share of evaluated (session, rank) pairs where the target's item is the
            logged one (the rows IPS can use).
        seconds: Wall time of each pass.
    """

    run_dir: str
    logging_policy: str
    target: str
    train_until: float
    n_sessions: int
    estimates: dict[str, Estimate]
    true_value: float
    logging_value: float
    match_rate: float
    seconds: dict[str, float] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One tidy row per estimator, with the truth and the error."""
        out = []
        for est in self.estimates.values():
            row = est.as_dict()
            row.update(run_dir=self.run_dir, logging_policy=self.logging_policy,
                       target=self.target, true_value=self.true_value,
                       error=est.value - self.true_value,
                       covered=bool(est.low <= self.true_value <= est.high),
                       logging_value=self.logging_value)
            out.append(row)
        return out


def evaluate(run_dir: str | Path, target: Target, train_until: float | None = None) -> OPEReport:
    """Estimate ``target``'s expected clicks per session on a logged run, and its truth.

    Args:
        run_dir: A run folder written with ``log.impressions=true``.
        target: The target (:func:`~.target.policy_target` or :func:`~.target.model_target`).
        train_until: Day splitting training from evaluation; default half the horizon
            for a target that trains, 0 for a frozen model.
    """
    log = open_run(run_dir)
    check_propensities(log)
    truth = Truth(log)
    horizon = float(log.config["horizon"])
    if train_until is None:
        train_until = horizon / 2 if target.trains else 0.0
    check_train_until(train_until, horizon)
    for part in components(target.policy):  # the oracle estimator of a composed policy
        if isinstance(part, UsesGroundTruth):
            part.use_ground_truth(truth)
    clock = time.perf_counter()
    dm = PositionBasedDM(log.k)
    n_late = 0
    for block in iter_sessions(log):
        early = block.t < train_until
        if target.trains and early.any():
            target.policy.update(as_feedback(block.take(early)))
        if not early.all():
            late = block.take(~early)
            dm.add(late.item, late.click)
            n_late += len(late)
    if n_late == 0:
        raise ConfigError(f"`--train-until == {train_until:g}`: no logged session of "
                          f"{log.run_dir} is at or after that day (the log's sessions lie in "
                          f"[0, {horizon:g}]), so nothing is left to evaluate; give a day "
                          "before the last session, e.g. half the horizon.")
    dm.fit()
    passes = {"train_and_fit_s": time.perf_counter() - clock}
    clock = time.perf_counter()
    ope = SlateOPE(log.k, slate_propensity=log.policy_target in ("Random", "RandTopN"))
    make = SlateMaker(target, truth, log.k, target_rng(log))
    truth_sum = logging_sum = matched = 0.0
    n = 0
    for block in iter_sessions(log):
        block = block.take(block.t >= train_until)
        if len(block) == 0:
            continue
        slates = make(block)
        match = slates == block.item
        cascade = cascade_propensities(log, block.propensity)
        ope.add(block.click, block.propensity, match, dm.predict(block.item), dm.predict(slates),
                None if cascade is None else cascade[:, -1])
        truth_sum += float(truth.value(block.user, slates).sum())
        logging_sum += float(truth.value(block.user, block.item).sum())
        matched += float(match.sum())
        n += len(block)
    passes["evaluate_s"] = time.perf_counter() - clock
    nan = float("nan")
    return OPEReport(
        run_dir=str(log.run_dir), logging_policy=log.policy_name, target=target.name,
        train_until=float(train_until), n_sessions=n, estimates=ope.results(),
        true_value=truth_sum / n if n else nan, logging_value=logging_sum / n if n else nan,
        match_rate=matched / (n * log.k) if n else nan, seconds=passes)


def check_train_until(value: float, horizon: float) -> None:
    """Refuse a split day that is not a finite day of the log (``0 <= value < horizon``)."""
    if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value < horizon):
        raise ConfigError(f"`--train-until == {value!r}`: must be a day of the log, "
                          f"0 <= day < {horizon:g} (its horizon); e.g. --train-until "
                          f"{horizon / 2:g} trains on the first half and evaluates the rest.")


__all__ = ["OPEReport", "check_train_until", "evaluate"]
