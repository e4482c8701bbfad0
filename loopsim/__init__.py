"""loopsim: a recommender feedback-loop simulator.

The one import root of the distribution. Its parts:

* :mod:`loopsim.simulator` -- the world, the click models, the engine, the metrics and
  the policy contract;
* :mod:`loopsim.policies` -- the built-in estimators and selectors;
* :mod:`loopsim.experiments` -- the ``loopsim`` commands (Hydra), comparison and figures;
* :mod:`loopsim.conf` -- the Hydra configs, found as ``pkg://loopsim.conf``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("loopsim")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
