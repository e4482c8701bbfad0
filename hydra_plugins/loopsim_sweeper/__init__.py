"""Hydra finds plugins only in the ``hydra_plugins`` namespace: these are loopsim's sweeper
(``hydra/sweeper: loopsim``), defined in :mod:`loopsim.experiments.runs.sweeper`, and its
launcher (``hydra/launcher: loopsim``), defined in
:mod:`loopsim.experiments.runs.fork_launcher`."""

from loopsim.experiments.runs.fork_launcher import ForkLauncher
from loopsim.experiments.runs.sweeper import GuardedBasicSweeper


class LoopsimSweeper(GuardedBasicSweeper):
    """:class:`loopsim.experiments.runs.sweeper.GuardedBasicSweeper` under the name Hydra
    accepts for a plugin."""


class LoopsimLauncher(ForkLauncher):
    """:class:`loopsim.experiments.runs.fork_launcher.ForkLauncher` under the name Hydra
    accepts for a plugin."""
