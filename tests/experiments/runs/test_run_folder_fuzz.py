"""Malformed run folders fed to loopsim-compare and to resume: never a traceback, never
a number from a run that is not sealed and completed (issue 24, item 4)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopsim.experiments.compare.cli import main
from loopsim.experiments.runs.faults import completion
from loopsim.experiments.runs.table import read_run
from omegaconf import OmegaConf
from run_folders import make_run

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=8)

SUMMARY_KEYS = ("status", "schema_version", "outputs", "config", "labels", "seed", "error",
                "versions", "overrides", "policy")

#: One way to break a sealed run folder.
damage = st.one_of(
    st.tuples(st.just("summary_bytes"), st.binary(max_size=40)),
    st.tuples(st.just("summary_key"), st.sampled_from(SUMMARY_KEYS), json_values),
    st.tuples(st.just("drop_key"), st.sampled_from(SUMMARY_KEYS)),
    st.tuples(st.just("file_bytes"), st.sampled_from(["metrics.parquet", "items.parquet"]),
              st.binary(max_size=40)),
    st.tuples(st.just("file_frame"), st.sampled_from(["metrics.parquet", "items.parquet"])),
    st.tuples(st.just("remove"), st.sampled_from(["metrics.parquet", "items.parquet",
                                                  "summary.json"])),
    st.tuples(st.just("overrides"), st.binary(max_size=40)),
    st.tuples(st.just("multirun"), st.binary(max_size=60)),
)


#: Summary keys compare does not vouch with (labels and bookkeeping); resume also needs
#: ``versions`` (this loopsim's), compare does not.
LABEL_KEYS = ("config", "labels", "seed", "error", "overrides", "policy")


def apply(run: Path, how: tuple, harmless: tuple[str, ...] = LABEL_KEYS) -> bool:
    """Break ``run``; True when it may still be a sealed completed run."""
    kind = how[0]
    summary = run / "summary.json"
    if kind == "summary_bytes":
        summary.write_bytes(how[1])
    elif kind in ("summary_key", "drop_key"):
        try:
            data = json.loads(summary.read_text())
        except (OSError, ValueError):
            return False  # already broken
        if not isinstance(data, dict):
            return False
        if kind == "summary_key":
            data[how[1]] = how[2]
        else:
            data.pop(how[1], None)
        summary.write_text(json.dumps(data))
        return how[1] in harmless or (
            kind == "summary_key" and how[1] == "status" and how[2] == "completed")
    elif kind == "file_bytes":
        (run / how[1]).write_bytes(how[2])
    elif kind == "file_frame":
        pl.DataFrame({"t": ["x"], "metric": [1], "value": ["y"]}).write_parquet(run / how[1])
    elif kind == "remove":
        (run / how[1]).unlink(missing_ok=True)
    elif kind == "overrides":
        (run / ".hydra" / "overrides.yaml").write_bytes(how[1])
        return True
    elif kind == "multirun":
        (run.parent / "multirun.yaml").write_bytes(how[1])
        return True
    return False


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hows=st.lists(damage, min_size=1, max_size=3))
def test_compare_never_counts_a_broken_run_and_never_crashes(hows: list[tuple]) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        sweep = root / "sweep"
        make_run(sweep / "0", seed=0, gini=0.5)
        broken = make_run(sweep / "1", seed=1, gini=0.9)
        may_count = all([apply(broken, how, (*LABEL_KEYS, "versions")) for how in hows])
        code = main([str(sweep), "--no-plots", "--out", str(root / "out")])
        assert code in (0, 2)
        if code == 0:
            runs = pl.read_csv(root / "out" / "runs.csv")
            counted = runs.filter(pl.col("status") == "completed")["path"].to_list()
            assert str((sweep / "0").resolve()) in counted
            if not may_count:
                assert str(broken.resolve()) not in counted
            info = read_run(broken)
            if info.status != "completed":
                assert info.reason
    finally:
        shutil.rmtree(root)


@settings(max_examples=40, deadline=None)
@given(hows=st.lists(damage, min_size=1, max_size=3))
def test_resume_reruns_every_broken_run_and_never_crashes(hows: list[tuple]) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        config = {"seed": 1, "horizon": 2.0}
        run = make_run(root / "0", seed=1, config=config)
        cfg = OmegaConf.create(config)
        assert completion(run, cfg) == (True, "")
        may_keep = all([apply(run, how) for how in hows])
        done, why = completion(run, cfg)
        assert done or why
        if done:
            assert may_keep
    finally:
        shutil.rmtree(root)
