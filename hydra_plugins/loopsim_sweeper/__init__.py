"""Hydra finds sweepers only in the ``hydra_plugins`` namespace: this is loopsim's
(``hydra/sweeper: loopsim``), defined in :mod:`loopsim.experiments.runs.sweeper`."""

from loopsim.experiments.runs.sweeper import GuardedBasicSweeper


class LoopsimSweeper(GuardedBasicSweeper):
    """:class:`loopsim.experiments.runs.sweeper.GuardedBasicSweeper` under the name Hydra
    accepts for a plugin."""
