"""Training in the loop: the ready feedback becomes a new model version.

Every ``retrain_interval`` days (the training phase) :func:`training` collects the
feedback that has reached the log; the model trained on it is deployed at once, or after
``train_latency`` (the deploy phase). Under online learning
(:attr:`~loopsim.simulator.loop.config.SimulationConfig.online_learning`) there is no
training process: :meth:`Trainer.after_serving` collects right after each served batch.
"""

from __future__ import annotations

import simpy
from loopsim.simulator.contract.batches import Feedback
from loopsim.simulator.loop.clock import DEPLOY, EPS, TRAIN, At, Process, grid
from loopsim.simulator.loop.config import SimulationConfig
from loopsim.simulator.loop.deployment import Deployment
from loopsim.simulator.loop.feedback_queue import FeedbackQueue
from loopsim.simulator.loop.timing import NullTimer, PhaseTimer
from loopsim.simulator.monitoring.monitor import Monitor


class Trainer:
    """Turns the feedback queue's ready batches into model versions of ``deployment``.

    Args:
        env: The loop's environment (deployments after a latency are processes on it).
        queue: Served feedback on its way to the training log.
        deployment: The policy trained and deployed.
        config: ``retrain_interval``, ``train_latency`` and ``horizon``.
        timer: Times the training phase.
        monitor: Told of every deployment (``None``: no monitoring).
    """

    def __init__(self, env: simpy.Environment, queue: FeedbackQueue, deployment: Deployment,
                 config: SimulationConfig, timer: PhaseTimer | NullTimer,
                 monitor: Monitor | None) -> None:
        self.env = env
        self.queue = queue
        self.deployment = deployment
        self.config = config
        self.timer = timer
        self.monitor = monitor

    def collect(self) -> None:
        """Take the ready log; train now, or deploy after ``train_latency``."""
        env, config = self.env, self.config
        self.timer.start()
        batch = self.queue.pop_ready(env.now)  # collecting the log is part of training
        self.timer.lap("training")
        if len(batch) == 0:
            return
        if config.train_latency > 0:
            if env.now + config.train_latency <= config.horizon + EPS:
                env.process(deploy_later(env, self, batch, config.train_latency))
        else:
            self.train(env.now, batch)

    def after_serving(self) -> None:
        """Under online learning, collect right after a served batch; else nothing."""
        if self.config.online_learning:
            self.collect()

    def train(self, t: float, batch: Feedback) -> None:
        """Train the policy on ``batch`` at ``t``: a new model version, deployed now."""
        self.timer.start()
        version = self.deployment.update(t, batch)
        if self.monitor is not None:
            self.monitor.event(t, "deploy", f"trained on {len(batch)} impressions", version)
        self.timer.lap("training")


def training(env: simpy.Environment, trainer: Trainer, interval: float,
             horizon: float) -> Process:
    """Every ``interval`` days (training phase): collect the log and train."""
    for when in grid(interval, horizon):
        yield At(env, when - env.now, TRAIN)
        trainer.collect()


def deploy_later(env: simpy.Environment, trainer: Trainer, batch: Feedback,
                 latency: float) -> Process:
    """Deploy the model trained on ``batch`` after ``latency`` days (deploy phase)."""
    yield At(env, latency, DEPLOY)
    trainer.train(env.now, batch)


__all__ = ["Trainer", "deploy_later", "training"]
