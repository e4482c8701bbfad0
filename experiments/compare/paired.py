"""Paired differences from a reference policy, by seed, with a Holm correction.

Runs at the same seed share the world and the arrivals (common random numbers), so the
difference ``d_s = value(group, s) - value(reference, s)`` removes the world-to-world
noise the two share. Per group and metric, over the ``n`` seeds both have completed:

* ``diff`` = mean of ``d_s``; ``diff_ci95`` = ``t_{0.975, n-1} · sd(d) / sqrt(n)``
  (Student t over seeds; null with one pair);
* ``p_value``: the two-sided paired t test of ``mean(d) = 0``;
* ``p_holm``: Holm's step-down adjustment over the groups compared to the reference on
  that metric (family = one metric, every group but the reference); ``significant`` is
  ``p_holm < alpha``. Null with fewer than two pairs: one seed claims nothing.

The interval is the per-comparison 95% interval; significance is the family-wise
(Holm-adjusted) decision, so a difference whose interval just excludes 0 may still be
marked not significant.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl
from loopsim.experiments.compare.aggregate import t_quantile_975

#: Family-wise error rate of the significance marks.
ALPHA = 0.05
#: The default reference policy.
DEFAULT_REFERENCE = "ctr"

_SCHEMA = {"group": pl.Utf8, "metric": pl.Utf8, "reference": pl.Utf8, "n_pairs": pl.Int64,
           "diff": pl.Float64, "diff_ci95": pl.Float64, "p_value": pl.Float64,
           "p_holm": pl.Float64, "significant": pl.Boolean}


def resolve_reference(groups: Sequence[str], policies: dict[str, str],
                      wanted: str | None = DEFAULT_REFERENCE) -> str | None:
    """The reference group: the group named ``wanted``, else the one group of policy
    ``wanted``; ``None`` when there is none (or several: the group name is needed)."""
    if not wanted:
        return None
    if wanted in groups:
        return wanted
    matches = [g for g in groups if policies.get(g) == wanted]
    return matches[0] if len(matches) == 1 else None


def paired_t(d: np.ndarray) -> tuple[float, float | None, float | None]:
    """Mean, 95% half-width and two-sided p-value of the paired differences ``d``.

    With one difference, half-width and p are ``None``. With zero spread, p is 0 when the
    mean differs from 0 and 1 when it does not (the t statistic is infinite or 0/0).
    """
    n = d.size
    mean = float(d.mean()) if n else math.nan
    if n < 2:
        return mean, None, None
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        return mean, 0.0, 0.0 if mean != 0.0 else 1.0
    se = sd / math.sqrt(n)
    from scipy.special import stdtr

    p = float(2.0 * stdtr(n - 1, -abs(mean) / se))
    return mean, t_quantile_975(n - 1) * se, p


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (``None`` entries are left out of the family).

    ``p_(i)`` sorted ascending over the ``m`` tests: ``adj_(i) = max_{j<=i} min(1,
    (m - j + 1) p_(j))``. Reject at level ``alpha`` where ``adj < alpha``.
    """
    idx = [i for i, p in enumerate(p_values) if p is not None and not math.isnan(p)]
    out: list[float | None] = [None] * len(p_values)
    m = len(idx)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda i: p_values[i])):  # type: ignore[arg-type,return-value]
        running = max(running, min(1.0, (m - rank) * float(p_values[i])))  # type: ignore[arg-type]
        out[i] = running
    return out


def paired_differences(finals: pl.DataFrame, runs: pl.DataFrame, reference: str | None,
                       metrics: Sequence[str], alpha: float = ALPHA) -> pl.DataFrame:
    """Each group's paired difference from ``reference`` on each metric.

    Args:
        finals: ``run, group, seed, metric, value`` (one value per run and metric).
        runs: The runs table (its ``world_seed`` joins the pairs too: runs pair only when
            their seed and their fixed world agree).
        reference: The reference group (``None``: an empty frame).
        metrics: The metrics compared, in order.
        alpha: Family-wise error rate of ``significant``.

    Returns:
        ``group, metric, reference, n_pairs, diff, diff_ci95, p_value, p_holm,
        significant``: one row per group other than the reference and metric.
    """
    if reference is None or finals.height == 0:
        return pl.DataFrame(schema=_SCHEMA)
    # A run without a fixed world (world.seed null) pairs with another such run at its
    # seed: the null is keyed as -1 (no real world seed) so that the join matches it on
    # every polars version (null keys never match in a join by default).
    keyed = finals.filter(pl.col("metric").is_in(list(metrics))).join(
        runs.select("run", "world_seed"), on="run", how="left").filter(
        pl.col("value").is_not_nan()).with_columns(
        pl.col("world_seed").cast(pl.Int64).fill_null(-1))
    ref = keyed.filter(pl.col("group") == reference).select(
        "seed", "world_seed", "metric", pl.col("value").alias("ref"))
    pairs = keyed.filter(pl.col("group") != reference).join(
        ref, on=["seed", "world_seed", "metric"], how="inner")
    rows = []
    groups = [g for g in finals["group"].unique(maintain_order=True).to_list() if g != reference]
    for metric in metrics:
        block = []
        for group in groups:
            d = pairs.filter((pl.col("group") == group) & (pl.col("metric") == metric))
            if d.height == 0:
                continue
            mean, half, p = paired_t((d["value"] - d["ref"]).to_numpy())
            block.append([group, metric, reference, d.height, mean, half, p])
        for row, adj in zip(block, holm([r[-1] for r in block]), strict=True):
            rows.append((*row, adj, None if adj is None else adj < alpha))
    return pl.DataFrame(rows, schema=_SCHEMA, orient="row")


def mark(row: dict[str, object] | None, digits: int = 3) -> str:
    """A difference as a table cell: ``-0.120 ± 0.040 *`` (``*``: significant after Holm),
    ``+0.010 ± 0.090`` (not significant), ``+0.010 (1 seed)`` (no interval)."""
    if row is None or row.get("diff") is None or math.isnan(float(row["diff"])):  # type: ignore[arg-type]
        return "–"
    text = f"{float(row['diff']):+.{digits}f}"  # type: ignore[arg-type]
    if row.get("diff_ci95") is None:
        return f"{text} (1 seed)"
    return f"{text} ± {float(row['diff_ci95']):.{digits}f}" + (  # type: ignore[arg-type]
        " *" if row.get("significant") else "")
