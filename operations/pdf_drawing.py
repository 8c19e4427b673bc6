"""The PDF report's drawings (fpdf2): the zones to scale, and the daily chart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fpdf import FPDF
from shapely.geometry.base import BaseGeometry

from operations.text import ZONE_COLOURS, ZONE_LABELS, pdf_text
from operations.zones import ResolvedOperation


def draw_map(pdf: FPDF, op: ResolvedOperation, width: float, height: float) -> None:
    """The zones drawn to scale (BNG metres), with a legend and a scale bar."""
    shapes = [(z.name, z.outline) for z in op.zones if z.outline is not None and not z.rest]
    control = next((z for z in op.zones if z.rest and z.outline is not None), None)
    if control is not None:
        shapes.insert(0, ("control", control.outline))
    # rings are drawn by their outer edge: the target goes last, on top of its buffer
    shapes.sort(key=lambda item: item[0] == "target")
    if not shapes:
        return
    x0 = min(s.bounds[0] for _, s in shapes)
    y0 = min(s.bounds[1] for _, s in shapes)
    x1 = max(s.bounds[2] for _, s in shapes)
    y1 = max(s.bounds[3] for _, s in shapes)
    scale = min(width / (x1 - x0 or 1), height / (y1 - y0 or 1))
    left = pdf.l_margin + (width - (x1 - x0) * scale) / 2
    top = pdf.get_y()

    def page(x: float, y: float) -> tuple[float, float]:
        return left + (x - x0) * scale, top + (y1 - y) * scale

    for name, shape in shapes:
        colour = ZONE_COLOURS.get(name, (120, 120, 120))
        pdf.set_draw_color(*colour)
        light = tuple(int(c + (255 - c) * (0.85 if name == "control" else 0.55)) for c in colour)
        pdf.set_fill_color(*light)
        pdf.set_line_width(0.3)
        for polygon in _polygons(shape.simplify(15)):
            points = [page(x, y) for x, y in polygon.exterior.coords]
            if len(points) >= 3:
                pdf.polygon(points, style="DF")
    legend_y = top + (y1 - y0) * scale + 2
    pdf.set_xy(pdf.l_margin, legend_y)
    pdf.set_font("Helvetica", size=8)
    for name, _ in shapes:
        colour = ZONE_COLOURS.get(name, (120, 120, 120))
        pdf.set_fill_color(*colour)
        pdf.rect(pdf.get_x(), legend_y + 1, 3, 3, style="F")
        pdf.set_x(pdf.get_x() + 4)
        pdf.cell(w=32, h=5, text=pdf_text(ZONE_LABELS.get(name, name)))
    metres = _nice(max((x1 - x0) / 5, 1))
    bar = metres * scale
    pdf.set_draw_color(0, 0, 0)
    right = pdf.l_margin + width
    pdf.line(right - bar, legend_y + 3, right, legend_y + 3)
    pdf.set_xy(right - bar - 30, legend_y)
    pdf.cell(
        w=28,
        h=5,
        text=pdf_text(f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"),
        align="R",
    )
    pdf.set_xy(pdf.l_margin, legend_y + 7)


def _nice(value: float) -> float:
    for step in (100, 200, 500, 1000, 2000, 5000, 10000, 20000):
        if step >= value:
            return step
    return 50000


def _polygons(shape: BaseGeometry) -> list[Any]:
    if shape.geom_type == "Polygon":
        return [shape]
    return [g for g in getattr(shape, "geoms", ()) if g.geom_type == "Polygon"] + [
        p for g in getattr(shape, "geoms", ()) if g.geom_type == "MultiPolygon" for p in g.geoms
    ]


def draw_chart(pdf: FPDF, result: Mapping[str, Any], width: float, height: float) -> None:
    """Daily target counts as bars, the baseline's expected per day as a line."""
    days = result["daily"]["operation"]
    expected = float(result.get("expected_per_day", {}).get("target", 0.0))
    values = [int(d.get("target", 0)) for d in days]
    top_value = max([*values, expected, 1.0])
    left, top = pdf.l_margin + 10, pdf.get_y()
    plot_w, plot_h = width - 12, height - 8
    step = plot_w / max(len(values), 1)
    pdf.set_draw_color(160, 160, 160)
    pdf.line(left, top + plot_h, left + plot_w, top + plot_h)
    pdf.set_fill_color(*ZONE_COLOURS["target"])
    for i, value in enumerate(values):
        bar = plot_h * value / top_value
        if bar > 0:
            pdf.rect(left + i * step + step * 0.15, top + plot_h - bar, step * 0.7, bar, style="F")
    pdf.set_draw_color(30, 30, 30)
    pdf.set_line_width(0.5)
    y = top + plot_h - plot_h * expected / top_value
    pdf.line(left, y, left + plot_w, y)
    pdf.set_line_width(0.2)
    pdf.set_font("Helvetica", size=7)
    pdf.set_xy(pdf.l_margin, top - 1)
    pdf.cell(w=9, text=pdf_text(f"{top_value:g}"), align="R")
    pdf.set_xy(pdf.l_margin, top + plot_h - 3)
    pdf.cell(w=9, text="0", align="R")
    if days:
        pdf.set_xy(left, top + plot_h + 0.5)
        pdf.cell(w=40, text=pdf_text(days[0]["day"]))
        pdf.set_xy(left + plot_w - 40, top + plot_h + 0.5)
        pdf.cell(w=40, text=pdf_text(days[-1]["day"]), align="R")
    pdf.set_xy(pdf.l_margin, top + height - 3)
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(
        w=width,
        text=pdf_text(
            f"Bars: target incidents per day. Line: the baseline's expected per day "
            f"({expected:.2f}). Records dated by month only are in no day."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
