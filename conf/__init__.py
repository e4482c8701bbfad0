"""Hydra configs shipped with loopsim (found as ``pkg://loopsim.conf``)."""
