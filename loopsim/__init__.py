"""loopsim: a recommender feedback-loop simulator.

The one import root of the distribution. Its parts:

* :mod:`loopsim.simulator` -- the world, the click models, the engine, the metrics and
  the policy contract;
* :mod:`loopsim.policies` -- the built-in estimators and selectors;
* :mod:`loopsim.experiments` -- the ``loopsim`` commands (Hydra), comparison and figures;
* :mod:`loopsim.conf` -- the Hydra configs, found as ``pkg://loopsim.conf``.

For notebooks, :func:`loopsim.run`, :func:`loopsim.sweep` and :func:`loopsim.compare`
(:mod:`loopsim.api`) take
the CLI's config names. They are imported on first use, so ``import loopsim`` stays light.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("loopsim")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
    __version__ = "0+unknown"

__all__ = ["__version__", "compare", "compose", "run", "sweep"]

_API = ("compare", "compose", "run", "sweep")


def __getattr__(name: str) -> object:
    """Import :mod:`loopsim.api` on first use of ``loopsim.run`` / ``compare`` / ``compose``."""
    if name in _API:
        from loopsim import api

        return getattr(api, name)
    raise AttributeError(f"module 'loopsim' has no attribute {name!r}")
