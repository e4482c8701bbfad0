"""Render docs/reference/outputs.md: the files a run writes, with their columns' dtypes.

The dtypes are not typed in by hand: a tiny run (3 days, 200 users, the impression log
and the monitor on) is made at build time, exported with ``loopsim-export``, and every
file is read back. Each column's meaning is kept here; a column the code writes without
a meaning below (or a meaning for a column it no longer writes) fails the build.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

#: What the tiny run is.
RUN = ["horizon=3", "world.n_users=200", "world.n_items=60", "log.impressions=true",
       "monitor.enabled=true", "policy=epsilon_greedy", "progress=false"]

COLUMNS: dict[str, dict[str, str]] = {
    "metrics.parquet": {
        "run_id": "the run folder's name",
        "policy": "the policy's label (`label`, else the policy config's name)",
        "seed": "the run's seed",
        "t": "simulated day of the snapshot",
        "slice": "`all`, or a user or item cohort (with `slices.enabled=true`)",
        "metric": "the metric's name ([metrics](../metrics.md))",
        "value": "its value at `t`",
    },
    "items.parquet": {
        "item": "item id",
        "true_value": "the item's true value (its order is the true ranking)",
        "exposure": "impressions on served slates",
        "clicks": "clicks on served slates",
        "reward": "reward (conversions; the click under click models without one)",
        "organic": "organic picks (users finding the item on their own)",
        "policy_score": "the policy's `item_scores` at the end (null without the hook)",
        "arrival_time": "day the item arrived (0 for the initial catalogue)",
        "available": "still in the catalogue at the end",
    },
    "events.parquet": {
        "t": "simulated day",
        "kind": "`deploy`, `alert`, `accept` or `rollback`",
        "detail": "what was seen (the statistic, its value and band; the version)",
        "model_version": "the model version concerned",
    },
    "impressions/part-*.parquet": {
        "t": "simulated day the slate was served",
        "user": "user id",
        "item": "item id",
        "rank": "1-based position in the slate; 0 for an organic pick",
        "click": "clicked",
        "reward": "reward of the impression",
        "propensity": "probability the item was placed at that rank (1: deterministic; "
                      "NaN: unknown)",
        "source": "0: a served slate, 1: an organic pick",
    },
    "loopsim-export --format parquet": {
        "session": "session id within the export",
        "t": "simulated day",
        "user": "user id",
        "item": "item id (the action)",
        "position": "0-based position in the slate",
        "rank": "1-based position",
        "click": "the reward OPE estimates (a click)",
        "reward": "the run's reward column",
        "propensity": "marginal item-position propensity of the logging policy",
        "expected_click": "exact expected click under the click model (the truth)",
    },
}


def _read(path: Path) -> pl.Schema:
    return pl.read_parquet(path).schema


def _table(name: str, schema: pl.Schema) -> list[str]:
    means = COLUMNS[name]
    undocumented = sorted(set(schema) - set(means))
    stale = sorted(set(means) - set(schema))
    if undocumented or stale:
        raise SystemExit(f"docs/gen/outputs_reference.py: {name}: columns without a meaning "
                         f"{undocumented}, meanings of columns not written {stale}")
    rows = [f"| `{col}` | `{dtype}` | {means[col]} |" for col, dtype in schema.items()]
    return [f"## `{name}`", "", "| column | dtype | meaning |", "| --- | --- | --- |", *rows, ""]


def page() -> str:
    """The page, as Markdown (makes one tiny run in a temporary folder)."""
    import loopsim

    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        loopsim.run(RUN, out_dir=run)
        export = Path(tmp) / "export.parquet"
        subprocess.run([sys.executable, "-c", "from loopsim.experiments.ope.export import main; "
                        f"main([{str(run)!r}, '--format', 'parquet', '--out', {str(export)!r}])"],
                       check=True, capture_output=True)
        lines = ["# Output files", "",
                 "Generated at build time from a tiny run (`docs/gen/outputs_reference.py`:",
                 f"`loopsim {' '.join(RUN)}`): each file as the code writes it, read back.",
                 "Every Parquet file is written atomically (a temporary name, then a rename).",
                 ""]
        for name in ("metrics.parquet", "items.parquet", "events.parquet"):
            lines += _table(name, _read(run / name))
        lines += _table("impressions/part-*.parquet",
                        _read(sorted((run / "impressions").glob("*.parquet"))[0]))
        lines += _table("loopsim-export --format parquet", _read(export))
        summary = json.loads((run / "summary.json").read_text())
        lines += ["## `summary.json`", "", "Written last. Its top-level keys:", "",
                  "| key | JSON type |", "| --- | --- |"]
        kinds = {dict: "object", list: "array", str: "string", int: "integer",
                 float: "number", bool: "boolean", type(None): "null"}
        lines += [f"| `{k}` | {kinds[type(v)]} |" for k, v in summary.items()]
        lines += ["", "`status` is `completed` or `failed` (then `error` holds the message);",
                  "`outputs` records the size and SHA-256 of `metrics.parquet` and",
                  "`items.parquet`.", "", "## `truth/` (with `log.impressions=true`)", "",
                  "The ground truth beside the log, for off-policy evaluation "
                  "([OPE](../ope.md)).", "", "| file | dtype | shape |", "| --- | --- | --- |"]
        for path in sorted((run / "truth").glob("*.npy")):
            array = np.load(path, mmap_mode="r")
            if array.ndim == 1:
                shape = "(items,)"
            elif path.name.startswith("relevance"):
                shape = "(users, items)"
            else:
                shape = f"({path.name.split('_')[0]}s, factors)"
            lines.append(f"| `{path.name}` | `{array.dtype}` | {shape} |")
        lines += ["", "`truth.json` holds the sizes, the examination curve and whether the",
                  "world is stationary."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(page())
