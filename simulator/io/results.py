"""A run's results in memory, and their atomic writing to a run folder.

Every file is written to a temporary name and renamed into place (never a half file),
with the permissions of a plain ``open()`` under the process's umask. ``summary.json``,
written last, records the size and SHA-256 of ``metrics.parquet`` and ``items.parquet``
(``summary["outputs"]``); :func:`check_outputs` tells whether the files on disk are
still those.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from loopsim.simulator.io.prior_summary import prior_summary
from loopsim.simulator.io.safe_paths import check_output_target

METRICS_FILE = "metrics.parquet"
ITEMS_FILE = "items.parquet"
SUMMARY_FILE = "summary.json"
EVENTS_FILE = "events.parquet"
#: Columns of ``events.parquet``.
EVENTS_SCHEMA = {"t": pl.Float64, "kind": pl.Utf8, "detail": pl.Utf8, "model_version": pl.Int64}
#: The outputs whose size and checksum ``summary.json`` records.
CHECKED_FILES = (METRICS_FILE, ITEMS_FILE)
#: Version of the layout of a run folder (``summary["schema_version"]``). Raise it when
#: a file's columns or the summary's keys change meaning: ``loopsim-compare`` and
#: ``resume=true`` then treat older run folders as foreign instead of reading them.
#: Version 1 (no field) had no checksums or had them optional.
SCHEMA_VERSION = 2


#: The packages whose versions a summary records, and the module each is imported as.
VERSIONED = {"loopsim": "loopsim", "numpy": "numpy", "simpy": "simpy", "polars": "polars",
             "hydra-core": "hydra"}


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape the results.

    An imported module's own ``__version__`` is read where it has one (a run has imported
    numpy, simpy and polars); the installed package's metadata otherwise. The metadata is
    read once per process: each lookup scans the installed packages (about 10 ms in a
    fresh interpreter, 5% of a small run's CPU when read at every run).
    """
    return dict(_versions(tuple(name for name, module in VERSIONED.items()
                                if not _imported_version(module))))


def _imported_version(module: str) -> str | None:
    """``__version__`` of ``module`` if it is imported and has one, else ``None``."""
    version = getattr(sys.modules.get(module), "__version__", None)
    return version if isinstance(version, str) and version else None


@functools.cache
def _versions(from_metadata: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out = [("python", platform.python_version())]
    for name, module in VERSIONED.items():
        if name not in from_metadata:
            out.append((name, _imported_version(module) or "not installed"))
            continue
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    return tuple(out)


@dataclass
class RunResult:
    """What one run produced.

    Attributes:
        metrics: Tidy metric rows: columns ``t``, ``slice`` (``all``: everyone; else a
            user or item cohort, see :mod:`loopsim.simulator.metrics.slices`),
            ``metric``, ``value``.
        items: Final per-item state: ``item``, ``true_value``, ``exposure``, ``clicks``,
            ``policy_score``, ``arrival_time``, ``available``.
        summary: Final metrics, wall time, impressions per second, seed, status, versions;
            for a policy with a prior, the ``prior`` block
            (:mod:`~loopsim.simulator.io.prior_summary`).
        error: The exception that stopped the run, if it failed.
        events: With the monitor on, its events (``t``, ``kind``, ``detail``,
            ``model_version``: alerts, deploys, accepted versions and rollbacks).
    """

    metrics: pl.DataFrame
    items: pl.DataFrame
    summary: dict[str, Any]
    error: BaseException | None = field(default=None, repr=False)
    events: pl.DataFrame | None = None

    @property
    def status(self) -> str:
        """``"completed"`` or ``"failed"``."""
        return str(self.summary["status"])

    @classmethod
    def build(
        cls,
        rows: list[tuple[float, str, float]],
        items: Mapping[str, np.ndarray],
        wall_time: float,
        impressions: int,
        sessions: int,
        seed: int,
        policy_name: str,
        error: BaseException | None,
        failed_at: float | None,
        slice_rows: list[tuple[float, str, str, float]] | None = None,
        events: list[tuple[float, str, str, int]] | None = None,
    ) -> RunResult:
        """Assemble a result from the engine's rows (slice ``all``) and sliced rows."""
        schema = {"t": pl.Float64, "metric": pl.Utf8, "value": pl.Float64}
        metrics = pl.DataFrame(rows, schema=schema, orient="row").select(
            "t", pl.lit("all").alias("slice"), "metric", "value")
        if slice_rows:
            metrics = pl.concat([metrics, pl.DataFrame(
                slice_rows, schema={"t": pl.Float64, "slice": pl.Utf8, **schema},
                orient="row").select(metrics.columns)])
        final: dict[str, float | None] = {}
        if rows:
            last_t = rows[-1][0]
            final = {m: _json_float(v) for t, m, v in rows if t == last_t}
        summary: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "status": "failed" if error is not None else "completed",
            "policy": policy_name,
            "seed": seed,
            "final_t": rows[-1][0] if rows else None,
            "final_metrics": final,
            "wall_time_s": wall_time,
            "impressions": impressions,
            "sessions": sessions,
            "impressions_per_second": impressions / wall_time if wall_time > 0 else None,
            "versions": versions(),
        }
        if (prior := prior_summary(rows, items)) is not None:
            summary["prior"] = prior
        if error is not None:
            summary["error"] = {"type": type(error).__name__, "message": str(error),
                                "t": failed_at}
        frame = (None if events is None
                 else pl.DataFrame(events, schema=EVENTS_SCHEMA, orient="row"))
        return cls(metrics, pl.DataFrame(dict(items)), summary, error, frame)

    def raise_for_status(self) -> None:
        """Re-raise the error that stopped the run, if any."""
        if self.error is not None:
            raise self.error

    def write(self, out_dir: str | Path, labels: Mapping[str, Any]) -> None:
        """Write ``metrics.parquet``, ``items.parquet`` and ``summary.json`` atomically.

        Args:
            out_dir: The run folder (created if missing).
            labels: Run labels added as constant columns to ``metrics.parquet`` (for
                example ``run_id``, ``policy``, ``seed``) and stored in the summary.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        label_cols = [pl.lit(v).alias(k) for k, v in labels.items()]
        metrics = self.metrics.select([*label_cols, pl.all()]) if label_cols else self.metrics
        atomic_write(out / METRICS_FILE, lambda p: metrics.write_parquet(p))
        atomic_write(out / ITEMS_FILE, lambda p: self.items.write_parquet(p))
        if self.events is not None:
            events = self.events
            atomic_write(out / EVENTS_FILE, lambda p: events.write_parquet(p))
        write_summary(out, {**self.summary, "labels": dict(labels)})


def write_summary(run_dir: str | Path, summary: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``summary.json`` last, sealed: the schema version and the size and SHA-256 of
    every output of :data:`CHECKED_FILES` present in ``run_dir``.

    Returns:
        The summary as written.
    """
    out = Path(run_dir)
    outputs = {name: file_digest(out / name) for name in CHECKED_FILES
               if (out / name).is_file()}
    sealed = {**summary, "schema_version": SCHEMA_VERSION, "outputs": outputs}
    atomic_text(out / SUMMARY_FILE, json.dumps(sealed, indent=2, default=str) + "\n")
    return sealed


def _json_float(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def file_digest(path: Path) -> dict[str, Any]:
    """``{"bytes": size, "sha256": hex digest}`` of a file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return {"bytes": path.stat().st_size, "sha256": h.hexdigest()}


def check_outputs(run_dir: str | Path, summary: Mapping[str, Any]) -> str | None:
    """Why the outputs in ``run_dir`` are not those ``summary`` recorded, or ``None``.

    A summary of another layout (:data:`SCHEMA_VERSION`) or without checksums (written by
    an older loopsim, or not by loopsim) is never vouched for: its files may be another
    run's.
    """
    out = Path(run_dir)
    version = summary.get("schema_version")
    if version != SCHEMA_VERSION:
        return (f"{out / SUMMARY_FILE}: schema version {version!r}, this loopsim reads "
                f"{SCHEMA_VERSION} (written by another loopsim version, or not by loopsim): "
                "rerun it with this version")
    recorded = summary.get("outputs")
    if not isinstance(recorded, Mapping):
        return (f"{out / SUMMARY_FILE}: records no checksums of its outputs, so they may be "
                "another run's: rerun it")
    for name in CHECKED_FILES:
        path = out / name
        if not path.is_file():
            return f"{path}: missing"
        want = recorded.get(name)
        if not isinstance(want, Mapping):
            return f"{path}: {SUMMARY_FILE} records no checksum of it (corrupt summary)"
        size = path.stat().st_size
        if size != want.get("bytes"):
            return (f"{path}: {size} bytes, but {SUMMARY_FILE} recorded {want.get('bytes')!r} "
                    "(truncated, replaced or corrupt)")
        if file_digest(path)["sha256"] != want.get("sha256"):
            return f"{path}: its SHA-256 differs from the one {SUMMARY_FILE} recorded (corrupt)"
    return None


def _umask() -> int:
    """The process's umask (read without changing it where /proc tells it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[str], object], mask: int = 0o666) -> None:
    """Write through ``write(tmp_path)`` then rename over ``path`` (never a half file).

    The file gets the mode a plain ``open()`` would give it (``0o666`` less the umask),
    not the ``0o600`` of a temporary file, so collaborators read what the umask lets them.

    Args:
        path: The file to write.
        write: Writes the content to the temporary path it is given.
        mask: Permission bits allowed besides the umask (``0o600``: the owner only).

    Raises:
        UnsafePathError: ``path`` is a symbolic link, a folder or a special file.
    """
    check_output_target(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & mask & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_text(path: Path, text: str, mask: int = 0o666) -> None:
    """:func:`atomic_write` of a UTF-8 text."""
    atomic_write(path, lambda p: Path(p).write_text(text, encoding="utf-8"), mask)
