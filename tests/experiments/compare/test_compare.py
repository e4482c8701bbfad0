"""loopsim-compare on hand-made run folders: numbers, labels, failed/missing runs, figures."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import polars as pl
import pytest
from loopsim.experiments.compare.cli import compare, main
from loopsim.simulator.errors import DataError
from loopsim.simulator.io.results import write_summary
from scipy import stats


def make_run(path: Path, policy: str, seed: int, overrides: list[str] | None = None,
             gini: tuple[float, float] = (0.5, 0.6), regret: tuple[float, float] = (0.2, 0.1),
             clicks=(3, 1, 0, 0), status: str = "completed", world_seed: int | None = 0,
             outputs: bool = True) -> Path:
    """A run folder as loopsim writes it, with two snapshots (t = 1, 2)."""
    (path / ".hydra").mkdir(parents=True)
    ov = overrides if overrides is not None else [f"policy={policy}", f"seed={seed}"]
    (path / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in ov))
    if not outputs:
        return path
    rows = [(t, m, v) for t, g, r in zip((1.0, 2.0), gini, regret, strict=True)
            for m, v in (("gini_exposure", g), ("regret_window", r))]
    pl.DataFrame(rows, schema={"t": pl.Float64, "metric": pl.Utf8, "value": pl.Float64},
                 orient="row").select(
        pl.lit(path.name).alias("run_id"), pl.lit(policy).alias("policy"),
        pl.lit(seed).alias("seed"), pl.all()).write_parquet(path / "metrics.parquet")
    n = len(clicks)
    pl.DataFrame({"item": np.arange(n), "true_value": np.linspace(0, 1, n),
                  "exposure": np.asarray(clicks) * 10, "clicks": np.asarray(clicks),
                  "policy_score": 0.0, "arrival_time": 0.0, "available": True}
                 ).write_parquet(path / "items.parquet")
    summary = {"status": status, "policy": policy, "seed": seed,
               "final_metrics": {"gini_exposure": gini[-1]},
               "labels": {"run_id": path.name, "policy": policy, "seed": seed},
               "config": {"seed": seed, "world": {"seed": world_seed}}}
    if status == "failed":
        summary["error"] = {"type": "PolicyRuntimeError", "message": "boom at t=1.5"}
    write_summary(path, summary)
    return path


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    """popularity x 3 seeds, random x 2 seeds + 1 failed + 1 missing."""
    d = tmp_path / "sweep"
    ginis = [(0.5, 0.90), (0.5, 0.95), (0.5, 0.97)]
    for i, g in enumerate(ginis):
        make_run(d / str(i), "popularity", i, gini=g, regret=(0.3, 0.8 + 0.1 * i),
                 clicks=(5, 0, 0, 1) if i else (0, 6, 0, 0))
    make_run(d / "3", "random", 0, gini=(0.2, 0.1), regret=(1.0, 1.1), clicks=(1, 1, 1, 1))
    make_run(d / "4", "random", 1, gini=(0.2, 0.2), regret=(1.0, 1.3), clicks=(1, 1, 1, 1))
    make_run(d / "5", "random", 2, status="failed")
    make_run(d / "6", "random", 3, outputs=False)
    return d


def test_summary_matches_a_direct_computation(sweep: Path):
    result = compare([sweep], plots=False)
    s = {r["group"]: r for r in result.summary.iter_rows(named=True)}
    finals = np.array([0.90, 0.95, 0.97])
    half = stats.t.ppf(0.975, 2) * finals.std(ddof=1) / np.sqrt(3)
    assert s["popularity"]["gini_exposure_mean"] == pytest.approx(finals.mean())
    assert s["popularity"]["gini_exposure_ci95"] == pytest.approx(half, rel=1e-4)
    assert s["popularity"]["regret_window_mean"] == pytest.approx(0.9)
    assert s["random"]["gini_exposure_mean"] == pytest.approx(0.15)
    assert (s["random"]["runs"], s["random"]["failed"], s["random"]["missing"]) == (2, 1, 1)
    assert s["random"]["unpredictability"] == pytest.approx(0.0)
    # shares (0,1,0,0), (5/6,0,0,1/6) twice: pairs differ by (5/6,1,0,1/6) twice, 0 once.
    assert s["popularity"]["unpredictability"] == pytest.approx(1 / 3)


def test_failed_and_missing_runs_are_listed_not_dropped(sweep: Path):
    result = compare([sweep], plots=False)
    status = dict(zip(result.runs["run"], result.runs["status"], strict=True))
    assert status["sweep/5"] == "failed" and status["sweep/6"] == "missing"
    md = (sweep / "summary.md").read_text()
    assert "**failed**, PolicyRuntimeError: boom at t=1.5" in md
    assert "**missing**" in md and str(sweep / "6") in md
    assert "| random | 2 (+1 failed) (+1 missing) |" in md
    runs_csv = pl.read_csv(sweep / "runs.csv")
    assert runs_csv.height == 7


def test_a_group_with_only_failed_runs_keeps_its_row(tmp_path: Path):
    make_run(tmp_path / "s" / "0", "popularity", 0)
    make_run(tmp_path / "s" / "1", "ctr", 0, status="failed")
    summary = compare([tmp_path / "s"], plots=False).summary
    ctr = summary.filter(pl.col("group") == "ctr").row(0, named=True)
    assert ctr["runs"] == 0 and ctr["failed"] == 1 and ctr["gini_exposure_mean"] is None


def test_swept_settings_become_groups_and_seeds_replicates(tmp_path: Path):
    for i, (eps, seed) in enumerate([("0.01", 0), ("0.01", 1), ("0.05", 0), ("0.05", 1)]):
        make_run(tmp_path / "s" / str(i), "epsilon_greedy", seed, gini=(0.5, float(eps)),
                 overrides=["policy=epsilon_greedy", f"policy.selector.epsilon={eps}",
                            f"seed={seed}", "experiment=mitigation", "world.seed=0"])
    result = compare([tmp_path / "s"], plots=False)
    assert result.summary["group"].to_list() == [
        "epsilon_greedy selector.epsilon=0.01", "epsilon_greedy selector.epsilon=0.05"]
    assert result.summary["gini_exposure_mean"].to_list() == pytest.approx([0.01, 0.05])
    assert "experiment" not in result.runs.columns  # the same in every run: not a label


def test_swept_estimators_read_as_short_labels(tmp_path: Path):
    for i, est in enumerate(["ctr", "coec"]):
        make_run(tmp_path / "s" / str(i), "thompson", 0,
                 overrides=["policy=thompson", f"policy/estimator={est}", "seed=0"])
    groups = compare([tmp_path / "s"], plots=False).summary["group"].to_list()
    assert sorted(groups) == ["thompson estimator=coec", "thompson estimator=ctr"]


def test_runs_from_different_sweeps_with_the_same_job_names(tmp_path: Path):
    make_run(tmp_path / "a" / "0", "popularity", 0, gini=(0.5, 0.8))
    make_run(tmp_path / "b" / "0", "popularity", 1, gini=(0.5, 0.9))
    result = compare([tmp_path / "a", tmp_path / "b" / "0"], out=tmp_path / "cmp",
                     plots=False)
    assert result.runs["run"].to_list() == ["a/0", "b/0"]
    row = result.summary.row(0, named=True)
    assert row["runs"] == 2 and row["gini_exposure_mean"] == pytest.approx(0.85)
    assert (tmp_path / "cmp" / "summary.csv").is_file()


def test_figures_exist_and_load_as_images(sweep: Path):
    result = compare([sweep])
    for name in ("trajectories", "lorenz", "value_exposure", "tradeoff"):
        png, svg = sweep / f"{name}.png", sweep / f"{name}.svg"
        assert png in result.files and svg in result.files
        image = mpimg.imread(png)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
        assert svg.read_text().lstrip().startswith("<?xml")


def test_command_line(sweep: Path, capsys):
    assert main([str(sweep), "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "7 runs (5 completed, 1 failed, 1 missing)" in out
    table = out.split("\n", 1)[1].split("Full table:")[0]
    assert "popularity" in table and "random" in table and "2+2!" in table
    assert max(len(line) for line in table.splitlines()) <= 100
    assert not (sweep / "tradeoff.png").exists()
    assert (sweep / "report.html").is_file()


def test_command_line_error_names_the_folder(tmp_path: Path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(DataError, match="holds no run folder"):
        compare([tmp_path])


def test_jobs_of_an_interrupted_sweep_that_never_started_are_listed(tmp_path: Path):
    d = tmp_path / "s"
    make_run(d / "0", "popularity", 0, overrides=["policy=popularity", "seed=0"])
    make_run(d / "1", "random", 0, overrides=["policy=random", "seed=0"])
    (d / "multirun.yaml").write_text(
        "hydra:\n  sweep:\n    subdir: ${hydra.job.num}\n  sweeper:\n"
        "    _target_: hydra._internal.core_plugins.basic_sweeper.BasicSweeper\n"
        "    params:\n      seed: range(2)\n"
        "  overrides:\n    task:\n    - policy=popularity,random\n")
    result = compare([d], plots=False)
    missing = result.runs.filter(pl.col("status") == "missing")
    assert missing["run"].to_list() == ["s/2", "s/3"]
    # jobs are the product of the sweeper params (first) and the command line overrides
    assert missing["group"].to_list() == ["popularity", "random"]
    assert missing["seed"].to_list() == [1, 1]
    assert "never started" in (d / "summary.md").read_text()


@pytest.mark.parametrize(("args", "expected"), [
    (["--metrics", "nosuch"], "trajectory metric `nosuch` not recorded by these runs "
                              "(metrics: gini_exposure, regret_avg, regret_window)"),
    (["--metrics", "gini_exposur,regret_window"], "did you mean `gini_exposure`?"),
    (["--reference", "nosuch"], "reference `nosuch` is no group or policy of these runs "
                                "(groups: popularity, random)"),
    (["--reference", "popularty"], "did you mean `popularity`?"),
    (["--sort", "nosuch"], "sort metric `nosuch` is not in the summary of these runs "
                           "(metrics: gini_exposure, regret_window, regret_avg)"),
    (["--sort", "regret_windw"], "did you mean `regret_window`?"),
])
def test_a_name_the_runs_lack_is_refused_in_one_line_and_nothing_is_written(
        sweep: Path, capsys, args: list[str], expected: str):
    before = sorted(p.name for p in sweep.iterdir())
    assert main([str(sweep), *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("loopsim-compare: ") and expected in captured.err
    assert captured.err.count("\n") == 1 and not captured.out
    assert sorted(p.name for p in sweep.iterdir()) == before  # no table, no figure


def test_names_the_runs_have_are_taken_on_the_command_line(sweep: Path, capsys):
    assert main([str(sweep), "--reference", "random", "--sort", "gini_exposure",
                 "--metrics", "gini_exposure"]) == 0
    captured = capsys.readouterr()
    assert "Sorted by gini_exposure" in captured.out and "vs random" in captured.out
    assert "note:" not in captured.err
    assert (sweep / "trajectories.png").is_file() and (sweep / "differences.csv").is_file()


def test_the_default_reference_absent_from_the_runs_is_a_note_not_a_refusal(sweep: Path,
                                                                            capsys):
    assert main([str(sweep), "--no-plots"]) == 0  # the default `ctr` is not in this sweep
    err = capsys.readouterr().err
    assert "loopsim-compare: note: reference `ctr` is no group or policy" in err
    assert "No paired differences." in err


def test_compare_skips_names_the_runs_lack_unless_told_to_refuse_them(sweep: Path):
    """The comparison at the end of a sweep passes its preset's names: a sweep without the
    preset's reference (or metric) is still compared, with a note per name skipped."""
    result = compare([sweep], reference="nosuch", sort="nosuch",
                     trajectory_metrics=["nosuch"], report=False)
    assert result.reference is None and result.differences.height == 0
    assert result.sort == "regret_avg"  # the default
    assert [n.split(" ", 1)[0] for n in result.notes] == ["reference", "sort", "trajectory"]
    assert (sweep / "tradeoff.png").is_file() and not (sweep / "trajectories.png").exists()
    with pytest.raises(DataError, match="sort metric `nosuch`"):
        compare([sweep], out=sweep / "refused", sort="nosuch",
                refuse_unknown=["sort"])
    assert not (sweep / "refused").exists()


def test_the_sweep_callback_warns_about_a_reference_absent_from_its_sweep(sweep: Path,
                                                                          caplog):
    from loopsim.experiments.compare.callback import CompareCallback

    callback = CompareCallback(plots=False, reference="wu_loss_old")
    callback._sweep_dir = sweep
    with caplog.at_level("WARNING"):
        callback._compare()
    assert "reference `wu_loss_old` is no group or policy" in caplog.text
    assert (sweep / "summary.md").is_file() and (sweep / "report.html").is_file()
