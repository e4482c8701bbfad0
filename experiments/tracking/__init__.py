"""Experiment trackers: every run (and sweep) of ``loopsim`` sent to a tracking store.

``loopsim tracking=mlflow`` turns it on; :mod:`.callback` is the Hydra callback that
does it after each job has written its own outputs, :mod:`.mlflow_log` the MLflow
calls. See ``docs/tracking.md``.
"""
