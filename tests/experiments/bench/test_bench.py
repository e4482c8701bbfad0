"""loopsim-bench: the scenario grid, the references, the targets and the peer (tiny sizes)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from loopsim.experiments.bench import cli as bench
from loopsim.experiments.bench import reference as bench_reference
from loopsim.experiments.bench import timed_run as bench_run

from benchmarks import trecs_peer


def test_personalized_scenarios_are_shorter_retrain_and_snapshot_within_the_horizon() -> None:
    glob = bench.scenario_overrides("medium", "global")
    personal = bench.scenario_overrides("medium", "personalized")
    assert "world.n_users=100000" in glob and "horizon=10.0" in glob
    assert "horizon=0.3" in personal and "snapshot_interval=0.3" in personal
    assert "retrain_interval=0.05" in personal  # trained before most sessions are served
    large = bench.scenario_overrides("large", "personalized_oracle")
    assert "tick=0.0005" in large and "retrain_interval=0.0025" in large


def test_policy_specs_substitute_missing_policies_with_a_note() -> None:
    specs = {s["kind"]: s for s in bench.policy_specs(0.0)}
    assert specs["global"]["policy"] == "ctr"
    if not bench_run.policy_available("epsilon_greedy"):
        assert "issue 3" in specs["randomized"]["skip"]
    if not bench_run.policy_available("mf"):
        assert specs["personalized"]["policy"] == "oracle"
        assert "world.personalization=0.3" in specs["personalized"]["overrides"]


def test_targets_compare_with_the_references() -> None:
    report = {
        "scenarios": [
            {"scenario": "medium", "kind": "global", "impressions_per_s": 30e6},
            {"scenario": "small", "kind": "personalized", "sessions": 800,
             "time_split": {"serving": 1.0}},
        ],
        "references": {"global_pipeline_medium": {"impressions_per_s": 100e6},
                       "personal_kernel": {"small": {"users_per_s": 1000.0}}},
        "memory": [{"peak_rss_mib": 300.0}, {"peak_rss_mib": 310.0}],
    }
    t = bench.targets(report)
    assert t["global_vs_bare_pipeline"] == {"ratio": pytest.approx(0.3), "target": 0.2,
                                            "met": True}
    assert t["personal_scoring_vs_kernel_small"]["ratio"] == pytest.approx(0.8)
    report["scenarios"][1]["after_first_update"] = {"sessions": 600, "serving_s": 0.5}
    report["scenarios"].append({"scenario": "small", "kind": "personalized_oracle",
                                "factors": 8, "after_first_update": {"sessions": 90,
                                                                     "serving_s": 0.1}})
    report["references"]["personal_kernel_8_factors"] = {"small": {"users_per_s": 2000.0}}
    t = bench.targets(report)  # serving after the first update, the kernel of its factors
    assert t["personal_scoring_vs_kernel_small"]["ratio"] == pytest.approx(1.2)
    assert t["personal_scoring_vs_kernel_small_oracle"]["ratio"] == pytest.approx(0.45)
    assert not t["personal_scoring_vs_kernel_small_oracle"]["met"]
    assert t["memory_10M_impressions"]["growth_mib_at_2x_horizon"] == pytest.approx(10.0)
    assert t["memory_10M_impressions"]["met"]


def test_references_count_their_work() -> None:
    g = bench_reference.global_pipeline(500, 40, days=1.0)
    assert g["impressions"] > 0 and g["impressions_per_s"] > 0
    k = bench_reference.personal_kernel(50, 30)
    assert k["users"] == 50 and k["users_per_s"] > 0


def test_worker_reports_serving_after_the_first_update() -> None:
    out = bench_run.worker({"overrides": ["policy=oracle", "world.personalization=0.3",
                                          "world.n_users=300", "world.n_items=40",
                                          "horizon=1"], "name": "oracle",
                            "after_first_update": True})
    warm = out["after_first_update"]
    assert warm["from_day"] == pytest.approx(0.25)  # the first retrain
    assert 0 < warm["sessions"] < out["sessions"]
    assert 0 < warm["rank_s"] <= warm["serving_s"] < out["time_split"]["serving"]


def test_worker_reports_throughput_split_and_memory() -> None:
    out = bench_run.worker({"overrides": ["world.n_users=300", "world.n_items=40",
                                          "horizon=2"], "name": "popularity"})
    assert out["status"] == "completed" and out["impressions"] > 0
    assert out["impressions_per_s"] > 0 and out["peak_rss_mib"] >= out["baseline_rss_mib"] > 0
    assert out["time_split"]["serving"] > 0


def test_main_writes_the_json_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "SCENARIOS", {"small": (300, 40), "medium": (400, 50)})
    monkeypatch.setattr(bench, "HORIZON_GLOBAL", {"small": 2.0, "medium": 1.0})
    monkeypatch.setattr(bench, "HORIZON_PERSONAL", {"small": 0.5, "medium": 0.5})
    out = tmp_path / "bench.json"
    bench.main(["--scenarios", "small", "--no-memory", "--out", str(out)])
    report = json.loads(out.read_text())
    rows = {r["kind"]: r for r in report["scenarios"]}
    assert rows["global"]["status"] == "completed" and rows["global"]["impressions"] > 0
    assert rows["personalized"]["status"] == "completed"
    assert "personal_scoring_vs_kernel_small" in report["targets"]
    if bench_run.policy_available("mf"):
        assert rows["personalized_oracle"]["after_first_update"]["sessions"] > 0
    assert report["references"]["global_pipeline_medium"]["impressions_per_s"] > 0
    assert report["machine"]["cores"] and report["blas_threads"] == 1


def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown scenarios"):
        bench.main(["--scenarios", "huge"])


def test_the_installed_package_never_imports_the_benchmarks() -> None:
    code = ("import sys, loopsim.experiments.bench.cli, loopsim.experiments.bench.timed_run; "
            "print([m for m in sys.modules if m.startswith(('benchmarks', 'trecs', 'lenskit'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tempfile.gettempdir())
    assert out.stdout.strip() == "[]"


def test_peer_runs_loopsim_on_the_same_work_and_trecs_when_installed() -> None:
    out = trecs_peer.compare(n_users=30, n_items=40, steps=2, slate=5)
    assert out["loopsim"]["status"] == "completed" and out["loopsim"]["seconds"] > 0
    assert out["loopsim"]["impressions"] > 0
    if out["trecs"]["status"] == "completed":
        assert out["trecs"]["impressions"] == 30 * 5 * 2 and out["speedup"] > 0
    else:
        assert "docs/performance.md" in out["trecs"]["reason"]
