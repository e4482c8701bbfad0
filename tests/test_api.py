"""The notebook API: loopsim.run and loopsim.compare take the CLI's config names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from loopsim.simulator.errors import ConfigError
from omegaconf import open_dict

import loopsim

TINY = ["horizon=3", "world.n_users=100", "world.n_items=40", "slate_size=5",
        "progress=false"]


def test_import_loopsim_is_light() -> None:
    code = ("import sys, loopsim; "
            "print(sorted(m for m in ('hydra', 'polars', 'numpy', 'matplotlib', 'simpy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_run_returns_frames_and_the_summary_of_the_cli_run(tmp_path: Path) -> None:
    result = loopsim.run(["policy=thompson", "seed=2", *TINY], out_dir=tmp_path / "r")
    assert isinstance(result.metrics, pl.DataFrame) and isinstance(result.items, pl.DataFrame)
    assert set(result.metrics.columns) == {"t", "slice", "metric", "value"}
    assert result.summary["status"] == "completed"
    assert result.summary["labels"] == {"policy": "thompson", "seed": 2}
    written = pl.read_parquet(tmp_path / "r" / "metrics.parquet")
    assert written.select("t", "slice", "metric", "value").equals(result.metrics)


def test_run_is_the_cli_run_bit_for_bit(tmp_path: Path) -> None:
    from loopsim.experiments.cli.runner import run_config

    cfg = loopsim.compose(["policy=ctr", *TINY])
    name = cfg.hydra.runtime.choices.policy
    with open_dict(cfg):
        del cfg["hydra"]
    via_runner = run_config(cfg, tmp_path / "cli", name)
    assert loopsim.run(["policy=ctr", *TINY]).metrics.equals(via_runner.metrics)


def test_a_bad_override_raises_before_the_run() -> None:
    with pytest.raises(ConfigError, match=r"`policy.selector.epsilon == 2`: must be in"):
        loopsim.run(["policy=epsilon_greedy", "policy.selector.epsilon=2", *TINY])


def test_compare_groups_results_by_their_overrides(tmp_path: Path) -> None:
    runs = [loopsim.run(["policy=thompson", f"policy/estimator={est}", f"seed={seed}", *TINY])
            for est in ("ctr", "coec") for seed in (0, 1)]
    folder = loopsim.run(["policy=random", *TINY], out_dir=tmp_path / "random")
    assert folder.summary["status"] == "completed"
    c = loopsim.compare([*runs, tmp_path / "random"], out=tmp_path / "cmp")
    assert c.summary["group"].to_list() == ["random", "thompson estimator=coec",
                                            "thompson estimator=ctr"]
    assert c.summary["runs"].to_list() == [1, 2, 2]
    assert {"trajectories", "tradeoff"} <= set(c.figures)
    assert hasattr(c.figures["tradeoff"], "savefig")  # a matplotlib figure
    assert (tmp_path / "cmp" / "summary.csv").is_file()


def test_a_typo_in_a_key_raises_loopsims_config_error() -> None:
    with pytest.raises(ConfigError, match="polcy"):
        loopsim.run(["polcy=ctr", *TINY])
    with pytest.raises(ConfigError, match="policy/nope"):
        loopsim.compose(["policy=nope"])


def test_compare_leaves_no_folder_behind(tmp_path: Path, monkeypatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    runs = [loopsim.run(["policy=ctr", f"seed={s}", *TINY]) for s in (0, 1)]
    c = loopsim.compare(runs)
    assert list(tmp_path.iterdir()) == []
    assert c.files == () and "tradeoff" in c.figures and c.summary.height == 1


def test_sweep_runs_in_parallel_and_returns_the_comparison(tmp_path: Path, capsys) -> None:
    from matplotlib.figure import Figure

    c = loopsim.sweep(["policy=ctr,random", "seed=range(2)", *TINY], out=tmp_path / "s",
                      n_jobs=2)
    assert sorted(c.summary["group"].to_list()) == ["ctr", "random"]
    assert c.summary["runs"].to_list() == [2, 2]
    assert c.reference == "ctr" and c.differences.height > 0
    assert all(isinstance(f, Figure) for f in c.figures.values())
    assert (tmp_path / "s" / "report.html").is_file()
    err = capsys.readouterr().err
    assert "sweep: 4/4 runs done, 0 failed" in err
    assert not list((tmp_path / "s").rglob(".loopsim.lock"))
    assert "```" in c._repr_markdown_()


def test_a_sweep_checks_every_job_before_running(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="epsilon"):
        loopsim.sweep(["policy=epsilon_greedy", "policy.selector.epsilon=0.1,2", *TINY],
                      out=tmp_path / "s")
    assert not (tmp_path / "s").exists() or not list((tmp_path / "s").iterdir())


def test_tables_convert_to_pandas_with_the_notebook_extra() -> None:
    pytest.importorskip("pyarrow")
    pytest.importorskip("pandas")
    c = loopsim.compare([loopsim.run(["policy=ctr", *TINY])], plots=False)
    assert c.summary.to_pandas().shape[0] == 1


def test_loopsim_leaves_the_matplotlib_backend_alone() -> None:
    code = ("import matplotlib; matplotlib.use('svg'); import loopsim; "
            "r = loopsim.run(['policy=ctr', 'seed=0', " + ", ".join(repr(t) for t in TINY)
            + "]); c = loopsim.compare([r]); "
            "print(matplotlib.get_backend(), c.figures['tradeoff']._repr_png_()[:4])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "svg b'\\x89PNG'"
