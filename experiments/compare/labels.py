"""Point labels that never overlap: each label is tried at a few places around its point
and moved further out (with a thin leader line) until its measured box touches no other
label, no other point and no error bar.

Labels are drawn beneath the data (:data:`ZORDER`): where no clear place is found, a label
may sit on a bar or a point but never hides it; its white box only hides the grid."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.container import ErrorbarContainer
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

#: Vertical step between candidate places, in points.
STEP = 11.0
#: How far out (in steps) a label may move before it is left where it overlaps least.
MAX_STEPS = 30
#: Half-size of the box kept free around each point, in pixels.
POINT_PAD = 5.0
#: Drawing order of the labels: above the axis and its grid (1.5), under every line, marker
#: and error bar (2 and up), so a label never hides a bar or a point.
ZORDER = 1.8


def bar_boxes(ax: Axes) -> list[Bbox]:
    """The boxes (pixels) of every error bar of ``ax``: one per whisker, from cap to cap,
    padded by half a cap's length so that the caps are inside."""
    return [box for _, box in _bars(ax)]


def _bars(ax: Axes) -> list[tuple[tuple[float, float], Bbox]]:
    """Each whisker's box (:func:`bar_boxes`) with its point, both in pixels."""
    out = []
    for container in ax.containers:
        if not isinstance(container, ErrorbarContainer):
            continue
        line, caps, bars = container.lines
        cap = max((c.get_markersize() for c in caps), default=0.0) / 2.0 + 1.0
        pad = cap * ax.get_figure().dpi / 72.0  # type: ignore[union-attr]
        anchor = tuple(ax.transData.transform(line.get_xydata()[0])) if line else (0.0, 0.0)
        for bar in bars:
            for seg in bar.get_segments():
                (x0, y0), (x1, y1) = ax.transData.transform(seg[[0, -1]])
                out.append((anchor, Bbox.from_extents(min(x0, x1), min(y0, y1),
                                                      max(x0, x1), max(y0, y1)).padded(pad)))
    return out


def _text_box(text: Annotation, renderer: object) -> Bbox:
    """The box of the label's text (its leader line left out), padded a little."""
    text.update_positions(renderer)  # type: ignore[arg-type]
    return Text.get_window_extent(text, renderer).padded(1.5)  # type: ignore[arg-type]


def _candidates(reach: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
                ) -> list[tuple[float, float, str, str]]:
    """Offsets (points) and alignments: right, left, above and below the point, past its
    own whiskers (``reach``: how far they go right, left, up and down, in points), nearest
    first; then right and left further up and down."""
    right, left, up, down = reach
    beside = [(max(7.0, right + 2.0), 0.0, "left", "center"),
              (-max(7.0, left + 2.0), 0.0, "right", "center"),
              (0.0, max(8.0, up + 2.0), "center", "bottom"),
              (0.0, -max(8.0, down + 2.0), "center", "top")]
    out = sorted(beside, key=lambda c: abs(c[0]) + abs(c[1]))  # stable: ties keep order
    for k in range(1, MAX_STEPS + 1):
        for sign in (1, -1):
            out.append((7.0 + 2.0 * k, sign * STEP * k, "left", "center"))
            out.append((-7.0 - 2.0 * k, sign * STEP * k, "right", "center"))
    return out


def place_labels(ax: Axes, points: Sequence[tuple[float, float, str]],
                 colours: dict[str, str], fontsize: float = 8.0,
                 greys: set[str] | None = None) -> list[Annotation]:
    """Name each point ``(x, y, label)`` beside it without overlaps.

    Labels are placed from the most crowded point outwards; a label's candidate place is
    accepted when its box (measured with the figure's renderer) overlaps no placed label,
    no other point, no error bar (:func:`bar_boxes`, its own point's included) and stays
    inside the axes. Draw the points and bars first. Labels in ``greys`` are drawn grey.

    Returns:
        The annotations, in the order of ``points``.
    """
    fig = ax.get_figure()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.draw_without_rendering()
    pts = [ax.transData.transform((x, y)) for x, y, _ in points]
    inside = ax.get_window_extent(renderer)
    boxes_pts = [Bbox.from_bounds(px - POINT_PAD, py - POINT_PAD, 2 * POINT_PAD, 2 * POINT_PAD)
                 for px, py in pts]
    own = _bars(ax)
    bars = [box for _, box in own]
    per_pt = fig.dpi / 72.0
    placed: list[Bbox] = []
    out: dict[int, Annotation] = {}

    def crowding(i: int) -> float:
        return sum(1.0 / (1.0 + abs(pts[i][0] - q[0]) + abs(pts[i][1] - q[1])) for q in pts)

    for i in sorted(range(len(points)), key=crowding, reverse=True):
        x, y, label = points[i]
        colour = "#888888" if greys and label in greys else colours.get(label, "#333333")
        best: tuple[float, Annotation] | None = None
        px, py = pts[i]
        mine = [b for a, b in own if abs(a[0] - px) < 0.5 and abs(a[1] - py) < 0.5]
        reach = (max((b.x1 - px for b in mine), default=0.0) / per_pt,
                 max((px - b.x0 for b in mine), default=0.0) / per_pt,
                 max((b.y1 - py for b in mine), default=0.0) / per_pt,
                 max((py - b.y0 for b in mine), default=0.0) / per_pt)
        for dx, dy, ha, va in _candidates(reach):
            far = abs(dy) > STEP
            text = ax.annotate(
                label, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                fontsize=fontsize, color=colour, zorder=ZORDER,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.5, "alpha": 0.6,
                            "shrinkA": 0, "shrinkB": 4} if far else None)
            box = _text_box(text, renderer)
            others = [b for j, b in enumerate(boxes_pts) if j != i]
            cost = (sum(box.overlaps(b) for b in placed) * 10
                    + sum(box.overlaps(b) for b in bars) * 10
                    + sum(box.overlaps(b) for b in others)
                    + (0 if inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1)
                       else 1))
            if cost == 0:
                if best is not None:
                    best[1].remove()
                best = (0.0, text)
                break
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, text)
            else:
                text.remove()
        if best is None:  # pragma: no cover - _candidates() is never empty
            continue
        out[i] = best[1]
        placed.append(_text_box(best[1], renderer))
    return [out[i] for i in range(len(points)) if i in out]
