"""loopsim-bench end to end on tiny scenarios: workers, references, peers, the report."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from loopsim.experiments.bench import cli as bench
from loopsim.experiments.bench import peers, scenarios
from loopsim.experiments.bench import reference as bench_reference
from loopsim.experiments.bench import timed_run as bench_run
from loopsim.experiments.bench.scenarios import Scenario

from benchmarks import trecs_peer

TINY = ("world.n_users=300", "world.n_items=40", "horizon=2")


@pytest.fixture
def tiny_registry() -> Iterator[dict[str, Scenario]]:
    """The registry holding only tiny scenarios named as the figures expect."""
    saved = dict(scenarios.REGISTRY)
    scenarios.REGISTRY.clear()
    scenarios.register(Scenario("closed_ctr_100k", "loopsim", "tiny ctr", frozenset({"default"}),
                                ("policy=ctr", "world.organic=0", *TINY), policy="ctr"))
    scenarios.register(Scenario("bare_pipeline_100k", "reference", "tiny bare",
                                frozenset({"default"}),
                                args={"n_users": 300, "n_items": 40, "days": 2.0}))
    scenarios.register(Scenario("trecs_10_steps", "trecs", "tiny T-RECS", frozenset({"full"}),
                                args={"n_users": 30, "n_items": 40, "slate": 5, "seed": 0,
                                      "steps": 2}))
    scenarios.register(Scenario("trecs_work", "loopsim", "tiny peer work",
                                frozenset({"default"}), ("policy=popularity", *TINY),
                                policy="popularity"))
    scenarios.register(Scenario("later", "loopsim", "only with --full", frozenset({"full"}),
                                ("policy=random", *TINY), policy="random"))
    scenarios.register(Scenario("ctr_users_300", "loopsim", "growth point",
                                frozenset({"scaling"}), ("policy=ctr", *TINY), policy="ctr",
                                size={"users": 300, "items": 40}, series="ctr_users"))
    scenarios.register(Scenario("missing", "loopsim", "a policy that does not exist",
                                frozenset({"full"}), ("policy=nonesuch",), policy="nonesuch"))
    yield dict(scenarios.REGISTRY)
    scenarios.REGISTRY.clear()
    scenarios.REGISTRY.update(saved)


def test_default_run_prints_the_figures_and_writes_json(tiny_registry, tmp_path: Path,
                                                        capsys) -> None:
    out = tmp_path / "bench.json"
    rep = bench.main(["--json", str(out)])
    assert list(rep["scenarios"]) == ["closed_ctr_100k", "bare_pipeline_100k",
                                      "trecs_work"]  # the default group
    ctr = rep["scenarios"]["closed_ctr_100k"]
    assert ctr["status"] == "completed" and ctr["impressions"] > 0
    assert 0 < ctr["cpu_loop_s"] <= ctr["cpu_s"] and ctr["peak_rss_mib"] > 0
    assert "world.organic=0" in ctr["overrides"]  # the JSON says what was run
    assert rep["scenarios"]["bare_pipeline_100k"]["args"]["n_users"] == 300
    assert rep["figures"]["bare_pipeline_share"]["value"] > 0
    assert "trecs_ratio" not in rep["figures"]  # T-RECS's side was not run
    printed = capsys.readouterr().out
    assert "ctr / bare pipeline" in printed and "closed_ctr_100k" in printed
    assert json.loads(out.read_text())["figures"].keys() == rep["figures"].keys()


def test_flags_add_their_groups_and_growth_is_fitted(tiny_registry, capsys) -> None:
    rep = bench.main(["--scaling", "--full", "--scenarios", "later,ctr_users_300,missing",
                      "--markdown"])
    assert list(rep["scenarios"]) == ["later", "ctr_users_300", "missing"]
    assert rep["scenarios"]["missing"]["status"] == "skipped"
    assert "conf/policy/nonesuch.yaml" in rep["scenarios"]["missing"]["reason"]
    assert rep["growth"]["ctr_users"]["points"][0]["size"] == 300  # one point: no exponent
    text = capsys.readouterr().out
    assert "| later | only with --full |" in text and "**Growth" in text
    assert bench.select({"default", "full"}) != bench.select({"default"})


def test_scenarios_may_be_named_by_pattern(tiny_registry) -> None:
    assert bench.check_options(bench.parse(["--scenarios", "trecs_*,later"])) == [
        "trecs_10_steps", "trecs_work", "later"]


def test_list_names_every_scenario_and_its_group(tiny_registry, capsys) -> None:
    assert bench.main(["--list"]) == {}
    text = capsys.readouterr().out
    assert "ctr_users_300" in text and "scaling" in text and "only with --full" in text


@pytest.mark.parametrize(("args", "message"), [
    (["--repeat", "0"], "`--repeat 0`: must be >= 1"),
    (["--blas-threads", "-1"], "`--blas-threads -1`: must be >= 0"),
    (["--scenarios", "default_ctr,huge"], "unknown scenarios ['huge']"),
])
def test_bad_options_exit_2_with_one_line(args: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        bench.main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_folder_as_json_is_refused(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        bench.main(["--json", str(tmp_path)])
    assert stop.value.code == 2
    assert "is not a regular file path" in capsys.readouterr().err


def test_registry_refuses_a_taken_name_and_unknown_groups() -> None:
    with pytest.raises(ValueError, match="already registered"):
        scenarios.register(scenarios.REGISTRY["default_ctr"])
    with pytest.raises(ValueError, match="unknown groups"):
        scenarios.register(Scenario("x_new", "loopsim", "", frozenset({"weekly"})))


def test_registry_covers_every_figure() -> None:
    from loopsim.experiments.bench.figures import FIGURES

    for fig in FIGURES.values():
        assert set(fig.needs) <= set(scenarios.REGISTRY), fig.name
    assert {s.series for s in scenarios.REGISTRY.values() if s.series} == {
        "ctr_users", "ctr_items", "mf_users", "mf_items"}


def test_alias_table_holds_each_outcome_s_exact_mass() -> None:
    w = np.array([1.0, 2.0, 3.0, 4.0, 0.5, 9.5])
    prob, alias = bench_reference.alias_table(w)
    mass = prob.copy()  # an outcome's own column, plus what other columns alias to it
    np.add.at(mass, alias, 1.0 - prob)
    np.testing.assert_allclose(mass / len(w), w / w.sum(), atol=1e-12)
    draws = bench_reference.alias_draw(prob, alias, 200_000, np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(draws) / 2e5, w / w.sum(), atol=0.005)


def test_bare_pipeline_counts_its_work_with_either_user_draw() -> None:
    for how in ("alias", "searchsorted"):
        g = bench_reference.global_pipeline(500, 40, days=1.0, user_draw=how)
        assert g["impressions"] > 0 and g["cpu_s"] > 0 and g["impressions_per_s"] > 0


def test_worker_reports_cpu_of_the_loop_and_memory() -> None:
    out = bench_run.worker({"overrides": list(TINY), "name": "popularity"})
    assert out["status"] == "completed" and out["impressions"] > 0
    assert 0 < out["cpu_loop_s"] <= out["cpu_s"]
    assert out["peak_rss_mib"] >= out["baseline_rss_mib"] > 0
    assert out["time_split"]["serving"] > 0


def test_worker_reports_serving_after_the_first_update() -> None:
    out = bench_run.worker({"overrides": ["policy=oracle", "world.personalization=0.3",
                                          "world.n_users=300", "world.n_items=40",
                                          "horizon=1"], "name": "oracle",
                            "after_first_update": True})
    warm = out["after_first_update"]
    assert warm["from_day"] == pytest.approx(0.25)  # the first retrain
    assert 0 < warm["sessions"] < out["sessions"]


@pytest.mark.slow
def test_trecs_ratio_when_installed_else_loopsim_s_side_alone(tiny_registry) -> None:
    rep = bench.main(["--scenarios", "trecs_*"])
    trecs = rep["scenarios"]["trecs_10_steps"]
    assert rep["scenarios"]["trecs_work"]["status"] == "completed"
    assert not (peers.checkout_root() / "trecs.log").exists()  # T-RECS wrote in a scratch
    if trecs["status"] == "completed":  # the bench extra and T-RECS are installed
        assert trecs["steps"] == 2 and trecs["cpu_s"] > 0
        assert rep["figures"]["trecs_ratio"]["value"] > 0
    else:
        assert "trecs_ratio" not in rep["figures"] and "T-RECS" in trecs["reason"]


def test_trecs_from_a_wheel_is_skipped_with_the_reason(monkeypatch) -> None:
    monkeypatch.setattr(peers, "checkout_root", lambda: None)
    out = peers.run_trecs({"n_users": 3, "n_items": 4, "steps": 1, "slate": 2, "seed": 0}, {})
    assert out["status"] == "skipped" and "benchmarks/trecs_peer.py" in out["reason"]


def test_the_earlier_grid_sizes_stay_for_against_commit() -> None:
    assert "world.n_users=100000" in bench.scenario_overrides("medium", "global")


def test_the_installed_package_never_imports_the_benchmarks() -> None:
    code = ("import sys, loopsim.experiments.bench.cli, loopsim.experiments.bench.timed_run; "
            "print([m for m in sys.modules if m.startswith(('benchmarks', 'trecs', 'lenskit'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tempfile.gettempdir())
    assert out.stdout.strip() == "[]"


def test_peer_runs_loopsim_on_the_same_work_and_trecs_when_installed() -> None:
    out = trecs_peer.compare(n_users=30, n_items=40, steps=2, slate=5)
    assert out["loopsim"]["status"] == "completed" and out["loopsim"]["seconds"] > 0
    if out["trecs"]["status"] == "completed":
        assert out["trecs"]["impressions"] == 30 * 5 * 2 and out["speedup"] > 0
    else:
        assert "docs/performance.md" in out["trecs"]["reason"]


@pytest.mark.slow
def test_a_sweep_is_timed_as_the_main_job_is() -> None:
    out = peers.run_mainjob(["policy=popularity,random", "horizon=1", "world.n_users=200",
                             "world.n_items=50", "hydra/launcher=basic",
                             "hydra.callbacks.compare.plots=false"], peers.worker_env(1))
    assert out["status"] == "completed" and out["seconds"] > 0 and out["cpu_s"] > 0
    assert out["command"].startswith("loopsim -m policy=popularity,random")


def test_the_pipeline_scenario_and_pipeline_full_run_the_same_overrides() -> None:
    from loopsim.experiments.bench import pipeline_full

    assert scenarios._pipeline_overrides() == tuple(pipeline_full.overrides())
    assert "world.n_users=1000000" in scenarios._pipeline_overrides()
    assert scenarios.REGISTRY["pipeline_1m"].threads == 2


def test_against_commit_bench_spec_takes_a_scenario_s_own_overrides() -> None:
    import json

    from benchmarks import against_commit

    spec = json.loads(against_commit.bench_spec("trecs_work"))
    assert spec["name"] == "trecs_work" and "world.organic=0" in spec["overrides"]
    with pytest.raises(SystemExit, match="not a loopsim scenario"):
        against_commit.bench_spec("trecs_10_steps")  # T-RECS's side, not a loopsim run
