"""One benchmarked run: compose the config like ``loopsim`` does, run it with phase timers.

Used by ``loopsim-bench`` in a fresh subprocess per scenario (``--worker``), so that the
peak resident memory of the process (``resource.getrusage``) is the scenario's own.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.cli.runner import build_simulation
from loopsim.simulator.loop.simulation import Simulation
from omegaconf import DictConfig


def compose_config(overrides: list[str]) -> DictConfig:
    """The run config ``loopsim <overrides>`` would use."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def policy_available(name: str) -> bool:
    """Whether a built-in policy config ``conf/policy/<name>.yaml`` exists."""
    return (Path(CONF_DIR) / "policy" / f"{name}.yaml").is_file()


def build(overrides: list[str], name: str) -> Simulation:
    """A simulation built from ``overrides``, with phase timing on and no progress bar."""
    sim = build_simulation(compose_config([*overrides, "progress=false"]), name)
    sim.timing = True
    return sim


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux: ru_maxrss is in KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def run_timed(sim: Simulation) -> dict[str, Any]:
    """Run ``sim`` and return its throughput, time split and status.

    ``run_s`` is the event loop (the simulation proper); ``total_s`` adds the set-up of
    the run (drawing the world, building counters); ``cpu_s`` is the process's CPU time
    (user + system, every thread) over the same span as ``total_s``, and ``cpu_loop_s``
    over the event loop alone (the span of ``run_s``).
    """
    loop_start = cpu_after_preparation(sim)
    start, cpu_start = time.perf_counter(), time.process_time()
    result = sim.run()
    total, cpu_end = time.perf_counter() - start, time.process_time()
    s = result.summary
    run_s = float(s["wall_time_s"])
    return {
        "status": result.status,
        "error": s.get("error"),
        "run_s": run_s,
        "total_s": total,
        "cpu_s": cpu_end - cpu_start,
        "cpu_loop_s": cpu_end - loop_start[0] if loop_start else None,
        "impressions": int(s["impressions"]),
        "sessions": int(s["sessions"]),
        "organic_sessions": int(s.get("organic_sessions", 0)),
        "impressions_per_s": s["impressions"] / run_s if run_s > 0 else None,
        "sessions_per_s": s["sessions"] / run_s if run_s > 0 else None,
        "time_split": s.get("time_split", {}),
    }


def cpu_after_preparation(sim: Simulation) -> list[float]:
    """A list that gets the process's CPU time once ``sim`` has prepared its run.

    Wraps the simulation's preparation (an instance attribute; the class is untouched),
    so that the CPU time of the event loop alone can be taken, as ``run_s`` is.
    """
    mark: list[float] = []
    prepare = sim._prepare

    def timed_prepare() -> Any:
        out = prepare()
        mark.append(time.process_time())
        return out

    sim._prepare = timed_prepare  # type: ignore[method-assign]
    return mark


def mark_first_update(sim: Simulation) -> dict[str, Any]:
    """Record the run's state when the policy first learns from a click.

    Wraps ``sim.policy.update`` (an instance attribute, the class is untouched): after
    the first update whose batch holds a click, the returned dict gets the simulated
    day, the sessions served so far and the ``serving`` seconds so far, so that the
    serving throughput of a trained model is the rest of the run. Also times the
    policy's ``rank`` calls after that point (``rank_s``, the policy alone, without the
    engine's slate validation).
    """
    mark: dict[str, Any] = {}
    update, rank = sim.policy.update, sim.policy.rank

    def timed_update(feedback: Any) -> None:
        update(feedback)
        if not mark and len(feedback) and bool(feedback.click.any()):
            mark.update(day=sim.state.env.now, sessions=sim.state.recorder.sessions,
                        serving_s=sim.state.timer.totals().get("serving", 0.0), rank_s=0.0)

    def timed_rank(request: Any) -> Any:
        if not mark:
            return rank(request)
        start = time.perf_counter()
        out = rank(request)
        mark["rank_s"] += time.perf_counter() - start
        return out

    sim.policy.update, sim.policy.rank = timed_update, timed_rank  # type: ignore[method-assign]
    return mark


def after_first_update(out: dict[str, Any], mark: dict[str, Any]) -> dict[str, Any] | None:
    """Sessions and serving seconds after the first update (``None`` if it never came)."""
    if not mark:
        return None
    sessions = out["sessions"] - mark["sessions"]
    serving = out["time_split"].get("serving", 0.0) - mark["serving_s"]
    return {"from_day": mark["day"], "sessions": sessions, "serving_s": serving,
            "rank_s": mark["rank_s"],
            "sessions_per_serving_s": sessions / serving if serving > 0 else None}


#: Per-stage metrics of a pipeline reported by the bench (means over the snapshots).
STAGE_METRICS = ("served_recall_window", "retrieval_recall_window", "pool_recall_window",
                 "ranker_regret_window")


def stage_metrics(sim: Simulation, after_day: float) -> dict[str, float]:
    """Mean of a pipeline's per-stage metrics over the snapshots after ``after_day``."""
    values: dict[str, list[float]] = {}
    for t, name, value in sim.state.metrics.rows:
        if name in STAGE_METRICS and t > after_day and value == value:
            values.setdefault(name, []).append(float(value))
    return {name: sum(v) / len(v) for name, v in values.items()}


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one scenario in this process; adds its memory figures to :func:`run_timed`.

    With ``spec["after_first_update"]`` true, the result also has the serving figures
    after the policy's first update (:func:`mark_first_update`). A spec with a
    ``reference`` key (``"global"`` or ``"personal"``) times the bare
    numpy reference of :mod:`loopsim.experiments.bench.reference` with ``spec["args"]`` instead.
    """
    if "reference" in spec:
        from loopsim.experiments.bench import reference as bench_reference

        fn = {"global": bench_reference.global_pipeline,
              "personal": bench_reference.personal_kernel}[spec["reference"]]
        return fn(**spec["args"])
    baseline = peak_rss_mib()
    sim = build(list(spec["overrides"]), str(spec["name"]))
    mark = mark_first_update(sim) if spec.get("after_first_update") else None
    out = run_timed(sim)
    if mark is not None:
        out["after_first_update"] = after_first_update(out, mark)
    stages = stage_metrics(sim, mark.get("day", 0.0) if mark else 0.0)
    if stages:
        out["stage_metrics"] = stages
    out["baseline_rss_mib"] = baseline
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def main(argv: list[str] | None = None) -> None:
    """``python -m loopsim.experiments.bench.timed_run '<json spec>'``: print the result as JSON."""
    args = sys.argv[1:] if argv is None else argv
    print(json.dumps(worker(json.loads(args[0])), default=str))


if __name__ == "__main__":
    main()
