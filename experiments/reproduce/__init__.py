"""Reproduce published results: ``python -m loopsim.experiments.reproduce``.

:mod:`.studies` runs the checks, :mod:`.figures` draws them and :mod:`.page` renders
docs/validation.md.
"""
