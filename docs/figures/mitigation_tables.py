"""The numbers of docs/explanation/mitigation.md, from the sweep folders of its presets.

Reads every run's ``summary.json`` and ``metrics.parquet``; per group (policy, plus the
true bias of ``experiment=misspecification``) gives the mean and Student-t 95% interval
over seeds of the regret averaged over the run and of the final Gini of exposure, and
paired differences between policies at equal seeds (the same world and arrivals: common
random numbers) with Holm-corrected p-values (paired t-tests) over the family printed.

    python docs/figures/mitigation_tables.py main multirun/<mitigation sweep>
    python docs/figures/mitigation_tables.py misspec multirun/<misspecification sweep> [known sweep]
    python docs/figures/mitigation_tables.py prior multirun/<mitigation> multirun/<fixed prior>
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats


def load(sweep: str, tag: str = "") -> pl.DataFrame:
    """One row per completed run: policy, seed, bias, regret (run average), gini, prior."""
    rows = []
    for summary_path in sorted(Path(sweep).glob("*/summary.json")):
        summary = json.loads(summary_path.read_text())
        if summary.get("status") != "completed":
            continue
        overrides = (summary_path.parent / ".hydra" / "overrides.yaml").read_text()
        bias = next((line.split("=", 1)[1] for line in overrides.splitlines()
                     if "true_bias=" in line), "pbm_1")
        metrics = pl.read_parquet(summary_path.parent / "metrics.parquet").filter(
            pl.col("slice") == "all")
        regret = metrics.filter(pl.col("metric") == "regret_window")["value"].mean()
        prior = summary.get("prior") or {}
        rows.append({"policy": summary["policy"] + tag, "seed": summary["seed"], "bias": bias,
                     "regret": regret, "gini": summary["final_metrics"]["gini_exposure"],
                     "prior_mean": prior.get("mean"), "prior_pct": prior.get("percentile"),
                     "value_mean": prior.get("catalogue_mean_true_value")})
    return pl.DataFrame(rows)


def ci(x: np.ndarray) -> tuple[float, float]:
    """Mean and half-width of the Student-t 95% interval."""
    n = x.size
    half = stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
    return float(x.mean()), float(half)


def paired(frame: pl.DataFrame, a: str, b: str, metric: str = "regret"
           ) -> tuple[float, float, float, int]:
    """Mean and 95% half-width of ``a - b`` paired by seed, the t-test p-value, n pairs."""
    x = frame.filter(pl.col("policy") == a).select("seed", metric)
    y = frame.filter(pl.col("policy") == b).select("seed", metric)
    both = x.join(y, on="seed", suffix="_b").sort("seed")
    d = (both[metric] - both[f"{metric}_b"]).to_numpy()
    m, h = ci(d)
    p = float(stats.ttest_1samp(d, 0.0).pvalue) if d.size > 1 and d.std() > 0 else 1.0
    return m, h, p, d.size


def holm(pvalues: list[float]) -> list[float]:
    """Holm-adjusted p-values (monotone step-down)."""
    order = np.argsort(pvalues)
    m = len(pvalues)
    out, running = np.empty(m), 0.0
    for i, j in enumerate(order):
        running = max(running, (m - i) * pvalues[j])
        out[j] = min(1.0, running)
    return out.tolist()


def policy_table(frame: pl.DataFrame) -> None:
    """Mean ± 95% interval per policy, sorted by regret."""
    print("| policy | regret (run average) | final Gini of exposure | prior mean "
          "| prior percentile |")
    print("| --- | --- | --- | --- | --- |")
    means = []
    for policy in frame["policy"].unique():
        g = frame.filter(pl.col("policy") == policy)
        means.append((ci(g["regret"].to_numpy())[0], policy))
    for _, policy in sorted(means):
        g = frame.filter(pl.col("policy") == policy)
        r, rh = ci(g["regret"].to_numpy())
        gi, gh = ci(g["gini"].to_numpy())
        pm = g["prior_mean"].drop_nulls()
        prior = (f"{ci(pm.to_numpy())[0]:.2f} ± {ci(pm.to_numpy())[1]:.2f}" if pm.len() else "–")
        pp = g["prior_pct"].drop_nulls()
        pct = f"{pp.min():.2f}–{pp.max():.2f}" if pp.len() else "–"
        print(f"| {policy} | {r:.3f} ± {rh:.3f} | {gi:.2f} ± {gh:.2f} | {prior} | {pct} |")


def orderings(frame: pl.DataFrame, metric: str = "regret") -> None:
    """Every pair, paired by seed, Holm over all pairs: the significant ones."""
    policies = sorted(frame["policy"].unique())
    pairs = list(itertools.combinations(policies, 2))
    results = [paired(frame, a, b, metric) for a, b in pairs]
    adjusted = holm([r[2] for r in results])
    print(f"\n{metric}: {len(pairs)} pairs, Holm-adjusted; significant at 0.05:")
    for (a, b), (m, h, _, n), p in sorted(zip(pairs, results, adjusted, strict=True),
                                          key=lambda z: z[2]):
        mark = "*" if p < 0.05 else " "
        lo, hi = (a, b) if m < 0 else (b, a)
        print(f"{mark} {lo} < {hi}: diff {abs(m):.3f} ± {h:.3f} (n={n}, Holm p={p:.3g})")


def against(frame: pl.DataFrame, reference: str, metric: str = "regret") -> None:
    """Every policy minus ``reference``, paired by seed, Holm over the policies compared."""
    names = [p for p in sorted(frame["policy"].unique()) if p != reference]
    results = [paired(frame, p, reference, metric) for p in names]
    adjusted = holm([r[2] for r in results])
    print(f"\n{metric} minus {reference}'s, paired by seed, Holm over {len(names)}:")
    for name, (m, h, _, n), p in sorted(zip(names, results, adjusted, strict=True),
                                        key=lambda z: z[1][0]):
        mark = "*" if p < 0.05 else " "
        print(f"{mark} {name} - {reference}: {m:+.3f} ± {h:.3f} (n={n}, Holm p={p:.3g})")


def main() -> None:
    kind, sweeps = sys.argv[1], sys.argv[2:]
    pl.Config.set_tbl_rows(200)
    if kind == "main":
        frame = load(sweeps[0])
        policy_table(frame)
        orderings(frame)
        orderings(frame, "gini")
        for reference in ("ctr", "popularity", "thompson"):
            against(frame, reference)
            against(frame, reference, "gini")
        vals = frame.group_by("seed").agg(pl.col("value_mean").drop_nulls().first()).sort("seed")
        print("\ncatalogue mean true value per world (seed):", vals.rows())
    elif kind == "misspec":
        frame = load(sweeps[0])
        if len(sweeps) > 1:
            frame = pl.concat([frame, load(sweeps[1], tag="_known")])
        for bias in sorted(frame["bias"].unique()):
            g = frame.filter(pl.col("bias") == bias)
            print(f"\n## true bias {bias}")
            policy_table(g)
            names = [p for p in sorted(g["policy"].unique()) if p != "ctr"]
            results = [paired(g, p, "ctr") for p in names]
            extra = [(p, p.removesuffix("_known")) for p in names if p.endswith("_known")]
            results += [paired(g, a, b) for a, b in extra]
            labels = [f"{p} - ctr" for p in names] + [f"{a} - {b}" for a, b in extra]
            for label, (m, h, _, n), p in zip(labels, results,
                                              holm([r[2] for r in results]), strict=True):
                mark = "*" if p < 0.05 else " "
                print(f"{mark} {label}: {m:+.3f} ± {h:.3f} (n={n}, Holm p={p:.3g})")
    elif kind == "prior":
        eb, fixed = load(sweeps[0]), load(sweeps[1], tag="")
        for name, frame in (("empirical Bayes (default)", eb), ("fixed 0.33 / 20", fixed)):
            print(f"\n## prior: {name}")
            policy_table(frame)
            orderings(frame)
            against(frame, "thompson")


if __name__ == "__main__":
    main()
