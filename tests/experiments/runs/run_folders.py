"""Hand-made run folders, as loopsim writes them, for the compare and resume tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from loopsim.simulator.io.results import versions, write_summary


def make_run(path: Path, policy: str = "popularity", seed: int = 0, gini: float = 0.5,
             config: dict[str, Any] | None = None, **summary: Any) -> Path:
    """A completed, sealed run folder with two snapshots; ``summary`` keys override."""
    (path / ".hydra").mkdir(parents=True, exist_ok=True)
    (path / ".hydra" / "overrides.yaml").write_text(f"- policy={policy}\n- seed={seed}\n")
    pl.DataFrame({"t": [1.0, 2.0], "metric": ["gini_exposure"] * 2, "value": [0.1, gini]}
                 ).write_parquet(path / "metrics.parquet")
    pl.DataFrame({"item": np.arange(4), "true_value": np.linspace(0, 1, 4),
                  "exposure": [3, 1, 0, 0], "clicks": [1, 0, 0, 0], "policy_score": 0.0,
                  "arrival_time": 0.0, "available": True}).write_parquet(path / "items.parquet")
    base = {"status": "completed", "policy": policy, "seed": seed,
            "labels": {"run_id": path.name, "policy": policy, "seed": seed},
            "config": config if config is not None else {"seed": seed, "horizon": 2.0,
                                                         "world": {"seed": None}},
            "versions": versions()}
    write_summary(path, base)
    if summary:  # after sealing: what a stale, foreign or tampered summary looks like
        data = json.loads((path / "summary.json").read_text())
        data.update(summary)
        (path / "summary.json").write_text(json.dumps(data))
    return path
