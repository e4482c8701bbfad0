"""The ``tracking`` block of the config (``conf/tracking/*.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass

from loopsim.simulator.errors import ConfigError

#: The trackers loopsim can send runs to (``tracking=<name>``).
BACKENDS = ("none", "mlflow")


@dataclass
class TrackingOptions:
    """Where runs are tracked.

    Attributes:
        backend: ``none`` (no tracking) or ``mlflow``.
        uri: The MLflow tracking URI (``file:///abs/mlruns``, ``sqlite:///mlflow.db``,
            ``http://host:5000``); ``None``: MLflow's own default (the
            ``MLFLOW_TRACKING_URI`` environment variable, else its local default).
        experiment: The MLflow experiment's name (created when missing).
    """

    backend: str = "none"
    uri: str | None = None
    experiment: str = "loopsim"

    def validate(self) -> None:
        """Raise :class:`ConfigError` for an unknown backend or an empty experiment."""
        if self.backend not in BACKENDS:
            raise ConfigError(f"`tracking.backend == {self.backend!r}`: must be one of "
                              f"{list(BACKENDS)} (choose with tracking=mlflow or tracking=none).")
        if not self.experiment:
            raise ConfigError("`tracking.experiment` is empty: name the MLflow experiment.")
