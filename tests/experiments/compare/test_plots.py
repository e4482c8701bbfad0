"""Figure helpers: short group names and one colour per group."""

from __future__ import annotations

import polars as pl
from loopsim.experiments.compare.plots import BUILTIN_COLOURS, group_colours, short_names


def test_short_names_drop_the_words_every_group_shares():
    groups = ["ctr retrain_interval=0.5 feedback_delay=0.0",
              "ctr retrain_interval=2.0 feedback_delay=0.0"]
    assert short_names(groups) == {groups[0]: "retrain_interval=0.5",
                                   groups[1]: "retrain_interval=2.0"}
    assert short_names(["popularity"]) == {"popularity": "popularity"}
    assert short_names(["ctr", "random"]) == {"ctr": "ctr", "random": "random"}


def test_built_in_policies_keep_their_colour_and_others_never_reuse_it():
    groups = ["popularity", "oracle", "mine", "epsilon_greedy policy.epsilon=0.1"]
    colours = group_colours(groups)
    assert colours["popularity"] == BUILTIN_COLOURS["popularity"]
    assert colours["oracle"] == BUILTIN_COLOURS["oracle"]
    assert len(set(colours.values())) == len(groups)
    assert group_colours(["oracle", "popularity"]) == {
        "oracle": BUILTIN_COLOURS["oracle"], "popularity": BUILTIN_COLOURS["popularity"]}


def _finals(points: dict[str, tuple[float, float]], n: int = 3):
    import polars as pl

    rows = []
    for g, (regret, gini) in points.items():
        rows += [(g, "regret_avg", regret, 0.01 if n > 1 else None, n),
                 (g, "gini_exposure", gini, 0.01 if n > 1 else None, n)]
    return pl.DataFrame(rows, schema={"group": pl.Utf8, "metric": pl.Utf8, "mean": pl.Float64,
                                      "ci95": pl.Float64, "n": pl.Int64}, orient="row")


def test_tradeoff_labels_of_a_tight_cluster_do_not_overlap_and_no_legend_repeats_them():
    from loopsim.experiments.compare.plots import tradeoff_figure
    from matplotlib.text import Annotation, Text

    cluster = {name: (0.50 + 0.002 * i, 0.60 + 0.003 * (i % 3)) for i, name in enumerate(
        ["ctr", "popularity", "epsilon_greedy", "softmax", "coec", "ips", "pal", "thompson"])}
    cluster["random"] = (1.9, 0.1)
    groups = list(cluster)
    fig = tradeoff_figure(_finals(cluster), groups, group_colours(groups))
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.axes[0].texts if isinstance(t, Annotation)]
    assert sorted(t.get_text() for t in labels) == sorted(groups)
    for t in labels:
        t.update_positions(renderer)
    boxes = [Text.get_window_extent(t, renderer) for t in labels]  # text, not leader line
    inside = fig.axes[0].get_window_extent(renderer)
    assert all(inside.contains(b.x0, b.y0) and inside.contains(b.x1, b.y1) for b in boxes)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    assert not fig.legends  # the names are on the points: no legend repeats them


def test_one_seed_draws_no_interval_and_says_so():
    import polars as pl
    from loopsim.experiments.compare.plots import trajectory_figure

    traj = pl.DataFrame({"group": ["a", "a", "b", "b"], "metric": ["m"] * 4,
                         "t": [1.0, 2.0, 1.0, 2.0], "mean": [0.1, 0.2, 0.3, 0.4],
                         "ci95": [None] * 4, "n": [1] * 4},
                        schema_overrides={"ci95": pl.Float64})
    fig = trajectory_figure(traj, ["a", "b"], group_colours(["a", "b"]))
    assert "one seed per group: no interval" in fig._suptitle.get_text()
    assert not fig.axes[0].collections  # no band


def test_titles_say_what_the_intervals_are_over():
    import polars as pl
    from loopsim.experiments.compare.plots import trajectory_figure

    traj = pl.DataFrame({"group": ["a", "a"], "metric": ["m"] * 2, "t": [1.0, 2.0],
                         "mean": [0.1, 0.2], "ci95": [0.05, 0.05], "n": [5, 5]})
    fig = trajectory_figure(traj, ["a"], group_colours(["a"]), unit="seeds × worlds")
    assert "mean and 95% t-interval over 5 seeds × worlds" in fig._suptitle.get_text()
    assert fig.axes[0].collections  # the band


def test_one_seed_tradeoff_and_slices_draw_no_whiskers_bands_or_caps():
    import polars as pl
    from loopsim.experiments.compare.plots import tradeoff_figure
    from loopsim.experiments.compare.slice_plots import gap_figure, slice_figure

    groups = ["ctr", "random"]
    fig = tradeoff_figure(_finals({"ctr": (0.5, 0.6), "random": (1.0, 0.1)}, n=1), groups,
                          group_colours(groups))
    assert "one seed per group: no interval" in fig.axes[0].get_title()
    assert not any(len(line.get_xdata()) for line in fig.axes[0].lines
                   if line.get_marker() in ("|", "_"))  # no caps
    assert not fig.axes[0].collections  # no whiskers
    one = {"group": ["ctr"] * 2, "t": [1.0, 2.0], "mean": [0.1, 0.2], "ci95": [None, None],
           "n": [1, 1]}
    traj = pl.DataFrame({**one, "slice": ["user_new"] * 2, "metric": ["regret_window"] * 2},
                        schema_overrides={"ci95": pl.Float64})
    fig = slice_figure(traj, traj.drop("slice"), "ctr", unit="seeds × worlds")
    assert "one seed per group: no interval" in fig._suptitle.get_text()
    assert not fig.axes[0].collections
    gap = pl.DataFrame({**one, "gap": ["regret_window: user_new - user_old"] * 2},
                       schema_overrides={"ci95": pl.Float64})
    fig = gap_figure(gap, ["ctr"], group_colours(["ctr"]))
    assert not fig.axes[0].collections and "no interval" in fig._suptitle.get_text()


def test_many_groups_become_small_multiples_with_the_others_in_grey():
    import polars as pl
    from loopsim.experiments.compare.plots import trajectory_figure

    groups = [f"g{i}" for i in range(10)]
    traj = pl.DataFrame([(g, m, t, float(i), 0.1, 3) for i, g in enumerate(groups)
                         for m in ("m1", "m2") for t in (1.0, 2.0)],
                        schema=["group", "metric", "t", "mean", "ci95", "n"], orient="row")
    fig = trajectory_figure(traj, groups, group_colours(groups))
    assert len(fig.axes) == 20  # one row per group, one column per metric
    assert "over 3 seeds" in fig._suptitle.get_text()
    own = [line for line in fig.axes[0].lines if line.get_color() != "#cccccc"]
    assert len(own) == 1 and len(fig.axes[0].lines) == 10


def test_figures_show_inline_as_png():
    from loopsim.experiments.compare.plots import LoopsimFigure

    fig = LoopsimFigure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [0, 1])
    assert fig._repr_png_()[:4] == b"\x89PNG"


def test_tradeoff_labels_never_hide_an_error_bar_or_a_point():
    """Wide intervals (the regret of popularity is 0.58 ± 0.13): each label is placed clear
    of every whisker and cap, and drawn beneath bars and points anyway."""
    from loopsim.experiments.compare.labels import POINT_PAD, bar_boxes
    from loopsim.experiments.compare.plots import tradeoff_figure
    from matplotlib.container import ErrorbarContainer
    from matplotlib.text import Annotation, Text
    from matplotlib.transforms import Bbox

    points = {"popularity": (0.58, 0.98), "ctr": (0.65, 0.86), "rand_pair": (0.47, 0.88),
              "rand_topn": (0.45, 0.94), "epsilon_greedy": (0.79, 0.63), "random": (1.1, 0.08)}
    finals = _finals(points).with_columns(
        ci95=pl.when(pl.col("metric") == "regret_avg").then(0.13).otherwise(0.02))
    groups = list(points)
    fig = tradeoff_figure(finals, groups, group_colours(groups))
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if isinstance(t, Annotation)]
    assert sorted(t.get_text() for t in labels) == sorted(groups)
    bars = bar_boxes(ax)
    assert len(bars) == 2 * len(groups)  # a whisker on each axis per group
    dots = [Bbox.from_bounds(px - POINT_PAD, py - POINT_PAD, 2 * POINT_PAD, 2 * POINT_PAD)
            for px, py in (ax.transData.transform(p) for p in points.values())]
    for t in labels:
        t.update_positions(renderer)
        box = Text.get_window_extent(t, renderer)
        assert not any(box.overlaps(b) for b in bars + dots), t.get_text()
    data = [a for c in ax.containers if isinstance(c, ErrorbarContainer)
            for a in c.get_children()]
    assert max(t.get_zorder() for t in labels) < min(a.get_zorder() for a in data)
