"""Charts and maps as PNG pictures for the PDF, PowerPoint and Excel exports (pure).

Drawn with matplotlib's object API and the Agg canvas: no pyplot, so no global figure
state shared between Streamlit's threads, and no display needed. 150 dpi.
"""

from __future__ import annotations

import io
import math
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from dashboard.exports.view import ChartData, MapPicture

DPI = 150
SERIES_COLOURS = ("#3b528b", "#21918c", "#5ec962", "#440154")
"""viridis steps, as the dashboard's map: colour-blind safe, dark first."""
INK, GRID, HIDDEN = "#222222", "#dddddd", "#666666"


@dataclass(frozen=True, slots=True)
class Picture:
    png: bytes
    width: int
    height: int
    """In pixels: a layout keeps the aspect ratio with ``height / width``."""

    @property
    def aspect(self) -> float:
        return self.height / self.width


def _png(figure: Figure) -> Picture:
    FigureCanvasAgg(figure)  # attaches the Agg canvas: no pyplot, no display
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.08)
    png = buffer.getvalue()
    # bbox_inches="tight" crops the figure: its size in pixels is the PNG header's (IHDR).
    return Picture(png, int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big"))


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return figure, figure.add_subplot()


def _frame(ax: Axes, data: ChartData, value_axis: Literal["x", "y"]) -> None:
    """Light grid along the values, no top or right spine, the titles, a percent or
    thousands formatter."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=value_axis, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8, colors=INK)
    axis = ax.xaxis if value_axis == "x" else ax.yaxis
    axis.set_major_formatter(
        PercentFormatter(1.0, decimals=0) if data.percent else FuncFormatter(_thousands)
    )
    axis.set_major_locator(MaxNLocator(nbins=6, integer=not data.percent))
    values_title, labels_title = data.chart.y_title, data.chart.x_title
    (ax.set_xlabel if value_axis == "x" else ax.set_ylabel)(values_title, fontsize=9)
    (ax.set_ylabel if value_axis == "x" else ax.set_xlabel)(labels_title, fontsize=9)


def _thousands(value: float, _: object) -> str:
    return f"{value:,.0f}"


def _note(figure: Figure, data: ChartData) -> None:
    if data.left_out:
        text = f"Not drawn: {data.left_out} hidden count{'s' if data.left_out > 1 else ''}"
        figure.text(0.0, 0.0, text + " (see the table).", fontsize=7, color=HIDDEN, va="top")


def chart_png(data: ChartData) -> Picture:
    """The chart as a picture: horizontal bars labelled by row, or one line per series."""
    return _bar_png(data) if data.chart.kind == "bar" else _line_png(data)


def _bar_png(data: ChartData) -> Picture:
    n = len(data.labels)
    figure, ax = _figure(8.0, min(7.0, 0.8 + 0.28 * n * max(1, len(data.series))))
    positions = range(n)
    height = 0.8 / len(data.series)
    for k, (name, values) in enumerate(data.series):
        offsets = [p - 0.4 + height * (k + 0.5) for p in positions]
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        bars = ax.barh(
            offsets, [v or 0 for v in values], height=height * 0.9, color=colour, label=name
        )
        labels = [_bar_label(v, data.percent) for v in values]
        ax.bar_label(bars, labels=labels, padding=3, fontsize=7, color=INK)
    ax.set_yticks(list(positions), [_short(label) for label in data.labels])
    ax.invert_yaxis()  # the table's first row on top
    ax.margins(x=0.12)
    _frame(ax, data, "x")
    if len(data.series) > 1:
        ax.legend(fontsize=8, frameon=False, loc="lower right")
    _note(figure, data)
    return _png(figure)


def _bar_label(value: float | None, percent: bool) -> str:
    if value is None:
        return ""
    return f"{value:.0%}" if percent else f"{value:,.{0 if value.is_integer() else 1}f}"


def _short(label: str, limit: int = 42) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _line_png(data: ChartData) -> Picture:
    figure, ax = _figure(8.0, 3.6)
    positions = list(range(len(data.labels)))
    marker = "o" if len(positions) <= 40 else ""
    for k, (name, values) in enumerate(data.series):
        points = [math.nan if v is None else v for v in values]
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        ax.plot(
            positions, points, marker=marker, markersize=3, linewidth=1.6, color=colour, label=name
        )
    step = max(1, math.ceil(len(positions) / 12))
    ticks = positions[::step]
    labels = [_short(data.labels[i], 20) for i in ticks]
    if len(ticks) * max(map(len, labels)) > 80:  # would run into each other: slant them
        ax.set_xticks(ticks, labels, rotation=30, ha="right")
    else:
        ax.set_xticks(ticks, labels)
    ax.set_ylim(bottom=0)
    _frame(ax, data, "y")
    if len(data.series) > 1:  # above the plot: a legend inside would cover a line's ends
        ax.legend(fontsize=8, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=4)
    _note(figure, data)
    return _png(figure)


# --- maps --------------------------------------------------------------------------------


def map_png(picture: MapPicture) -> Picture:
    """The map's polygons with their fills and thin white edges, north up, with the
    degrees of longitude shortened for the latitude (so areas keep their shape), no axes,
    and the legend's colour boxes with their labels."""
    patches: list[PathPatch] = []
    colours: list[tuple[float, float, float, float]] = []
    for feature in picture.geojson.get("features", []):
        fill = _colour(feature.get("properties", {}).get("fill"))
        for rings in _polygons(feature.get("geometry") or {}):
            patches.append(PathPatch(_path(rings)))
            colours.append(fill)
    figure, ax = _figure(8.0, 6.0)
    ax.set_axis_off()
    if patches:
        ax.add_collection(
            PatchCollection(patches, facecolors=colours, edgecolors="white", linewidths=0.4)
        )
        ax.autoscale_view()
        south, north = ax.get_ylim()
        ax.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
    else:
        ax.text(0.5, 0.5, "No areas to draw", ha="center", transform=ax.transAxes)
    alpha = statistics.mode([c[3] for c in colours]) if colours else 1.0
    handles = [  # the legend's boxes as see-through as the areas, so their colours match
        Patch(facecolor=(*_colour(rgb)[:3], alpha), edgecolor="#999999", label=label)
        for rgb, label in picture.legend
    ]
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
            fontsize=11,
            handlelength=1.6,
            handleheight=1.2,
        )
    return _png(figure)


def _colour(fill: Sequence[int] | None) -> tuple[float, float, float, float]:
    """[r, g, b(, a)] in 0-255 as matplotlib's 0-1 (light grey when missing)."""
    r, g, b, *alpha = fill or (235, 235, 235)
    return (r / 255, g / 255, b / 255, (alpha[0] if alpha else 255) / 255)


def _polygons(geometry: dict[str, Any]) -> Iterator[list[list[list[float]]]]:
    if geometry.get("type") == "Polygon":
        yield geometry["coordinates"]
    elif geometry.get("type") == "MultiPolygon":
        yield from geometry["coordinates"]


def _path(rings: list[list[list[float]]]) -> Path:
    """One polygon with its holes: the outer ring anticlockwise, holes clockwise, so the
    holes stay empty whichever way the file winds them."""
    vertices: list[tuple[float, float]] = []
    codes: list[int] = []  # Path codes (MOVETO, LINETO, CLOSEPOLY)
    for k, ring in enumerate(rings):
        points = [(float(p[0]), float(p[1])) for p in ring]
        if points and points[0] == points[-1]:
            points.pop()  # GeoJSON repeats the first point last; CLOSEPOLY closes it here
        if len(points) < 3:
            continue
        if (_area(points) > 0) != (k == 0):
            points.reverse()
        vertices += [*points, points[0]]
        codes += [int(Path.MOVETO)] + [int(Path.LINETO)] * (len(points) - 1)
        codes.append(int(Path.CLOSEPOLY))
    return Path(vertices, codes)


def _area(points: Sequence[tuple[float, float]]) -> float:
    """Signed area (shoelace): positive when anticlockwise."""
    pairs = zip(points, [*points[1:], points[0]], strict=True)
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairs) / 2
