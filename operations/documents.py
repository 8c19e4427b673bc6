"""An operation's evaluation report as PDF (fpdf2) and Excel (openpyxl): the design with
its zones on a map, the periods, the counts, each statistic with what it means, the daily
series against the baseline's expected, the caveats and the time of extraction — to attach
to a funding bid or a committee paper. Pure: built from ``operations.report.assessment``
and the resolved zones."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import TableCellFillMode
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from shapely.geometry.base import BaseGeometry

from operations.zones import ResolvedOperation
from schemas.calendar import LONDON
from schemas.categories import CATEGORY_NAMES

HIDDEN = "hidden (small)"
"""A count a partner's report does not show (``dashboard.operation_figures.disclosed``)."""
ZONE_LABELS = {
    "target": "Target",
    "buffer": "Buffer",
    "control": "Control",
    "buffer_control": "Buffer's control",
}
ZONE_COLOURS = {
    "target": (200, 40, 40),
    "buffer": (230, 150, 20),
    "control": (90, 110, 140),
    "buffer_control": (60, 150, 90),
}
MEANINGS = (
    (
        "Rate ratio",
        "The operation period's rate over the baseline's (1.00: no change; 0.87: "
        "13% fewer per day). The 95% interval is the range of ratios the data are consistent "
        "with; p is the chance of a change at least this large if the true rates were equal.",
    ),
    (
        "WDD",
        "Weighted Displacement Difference (Wheeler & Ratcliffe 2018): the target's change "
        "minus the control's, plus the buffer's change minus its control's. Below zero: fewer "
        "incidents than the control's trend predicts, after any displacement into the buffer. "
        "Its z and p test whether it differs from zero.",
    ),
    (
        "WDQ",
        "Weighted Displacement Quotient (Bowers & Johnson 2003): the buffer's change "
        "relative to the target's, both against the control. Above 0: benefits spread to the "
        "buffer; below 0: displacement; defined only when the target fell relative to the "
        "control.",
    ),
    (
        "Net effect",
        "Incidents fewer than the control's trend predicts in the target and "
        "buffer together (negative: more).",
    ),
    (
        "Maryland level",
        "The strength of the design on the Maryland Scientific Methods Scale: "
        "2 before/after only, 3 before/after with a control.",
    ),
)
_LATIN1 = str.maketrans(
    {"–": "-", "—": "-", "×": "x", "‘": "'", "’": "'", "“": '"', "”": '"', "−": "-"}
)


def _t(value: object) -> str:
    text = "" if value is None else str(value)
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def _uk(iso: str) -> str:
    at = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(LONDON)
    return at.strftime("%d %b %Y %H:%M")


def _day(iso: str) -> str:
    at = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(LONDON)
    return at.strftime("%d %b %Y")


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _count(value: int | None) -> str:
    return HIDDEN if value is None else f"{value:,}"


def periods_text(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    period, baseline = result["period"], result["baseline_period"]
    end_day = result["period"]["end"]
    return [
        ("Operation", f"{_day(period['start'])} to {_day(end_day)} (end exclusive)"),
        (
            "Baseline",
            f"{_day(baseline['start'])} to {_day(baseline['end'])} "
            f"({result['design']['baseline']})",
        ),
        (
            "Compared so far",
            f"operation {_uk(result['compared']['operation']['start'])} - "
            f"{_uk(result['compared']['operation']['end'])}; baseline "
            f"{_uk(result['compared']['baseline']['start'])} - "
            f"{_uk(result['compared']['baseline']['end'])}",
        ),
    ]


def zone_text(result: Mapping[str, Any], names: Mapping[str, str]) -> list[tuple[str, str]]:
    rows = []
    for zone, spec in result["design"]["zones"].items():
        if spec is None:
            continue
        if isinstance(spec, str):
            rows.append((ZONE_LABELS[zone], spec))
            continue
        parts = []
        if spec.get("wards"):
            parts.append("wards " + ", ".join(names.get(w, w) for w in spec["wards"]))
        if spec.get("lsoas"):
            parts.append("LSOAs " + ", ".join(spec["lsoas"]))
        if spec.get("geojson"):
            parts.append(f"polygons from {spec['geojson']}")
        if spec.get("metres"):
            parts.append(f"a {spec['metres']:g} m ring around the target")
        rows.append((ZONE_LABELS[zone], "; ".join(parts)))
    return rows


def count_rows(result: Mapping[str, Any]) -> list[list[Any]]:
    """Zone, baseline, operation, rate ratio, low, high, p (numbers stay numbers)."""
    rows = []
    for zone, counts in result["counts"].items():
        ratio = result["rate_ratio"].get(zone) or {}
        rows.append(
            [
                ZONE_LABELS.get(zone, zone),
                counts["baseline"],
                counts["operation"],
                ratio.get("estimate"),
                ratio.get("low"),
                ratio.get("high"),
                ratio.get("p"),
            ]
        )
    return rows


def statistic_rows(result: Mapping[str, Any]) -> list[list[Any]]:
    wdd = result.get("wdd") or {}
    return [
        [
            "WDD",
            wdd.get("estimate"),
            f"variance {_num(wdd.get('variance'), 1)}, z "
            f"{_num(wdd.get('z'))}, p {_num(wdd.get('p'), 3)}",
        ],
        ["WDQ", result.get("wdq"), result.get("wdq_reason") or ""],
        [
            "Net effect",
            result.get("net_effect"),
            "incidents fewer than the control's trend predicts",
        ],
        ["Maryland level", result.get("maryland_level"), ""],
    ]


def to_pdf(result: Mapping[str, Any], op: ResolvedOperation, names: Mapping[str, str]) -> bytes:
    pdf = FPDF(orientation="P", format="A4")
    pdf.set_title(_t(f"{result['name']} - evaluation"))
    pdf.set_creator("safer-tracker")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_margins(16, 14, 16)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("Helvetica", "B", 17)
    pdf.multi_cell(w=width, text=_t(result["name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(
        w=width,
        text=_t(
            f"Evaluation report - version {result['version']}, "
            f"{'final' if result['final'] else result['status'] + ' (provisional)'}. Extracted "
            f"{_uk(result['extracted_at'])} UK time."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    _heading(pdf, "Design")
    design = result["design"]
    categories = ", ".join(CATEGORY_NAMES.get(c, c) for c in design["categories"])
    rows = [
        ("Categories", categories),
        ("Sources", ", ".join(design["sources"])),
        ("Youth", design["youth"]),
        *periods_text(result),
        *zone_text(result, names),
    ]
    _pairs(pdf, rows)
    pdf.ln(2)
    _map(pdf, op, width, 80)
    _heading(pdf, "Counts and rate ratios")
    _table(
        pdf,
        ["Zone", "Baseline", "Operation", "Rate ratio", "95% low", "95% high", "p"],
        [
            [r[0], _count(r[1]), _count(r[2]), _num(r[3]), _num(r[4]), _num(r[5]), _num(r[6], 3)]
            for r in count_rows(result)
        ],
    )
    for zone, words in result.get("in_words", {}).items():
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(
            w=width,
            text=_t(f"{ZONE_LABELS.get(zone, zone)}: {words}."),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(2)
    _heading(pdf, "Displacement and net effect")
    _table(
        pdf,
        ["Statistic", "Value", "Detail"],
        [
            [
                r[0],
                _num(r[1]) if isinstance(r[1], float) else _t(r[1] if r[1] is not None else "-"),
                r[2],
            ]
            for r in statistic_rows(result)
        ],
        widths=(30, 25, width - 55),
    )
    if result.get("daily"):
        _heading(pdf, "Target per day against the baseline's expected")
        _chart(pdf, result, width, 48)
    _heading(pdf, "What the statistics mean")
    for name, meaning in MEANINGS:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(text=_t(f"{name}: "))
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(w=0, text=_t(meaning), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    _heading(pdf, "Caveats")
    pdf.set_font("Helvetica", size=9)
    for caveat in result["caveats"]:
        pdf.multi_cell(w=width, text=_t(f"- {caveat}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(
        w=width,
        text=_t(
            "Source: safer-tracker, from partner feeds as received (police.uk street "
            "crimes are dated by month and located at anonymised map points)."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(text=_t(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _pairs(pdf: FPDF, rows: Sequence[tuple[str, str]]) -> None:
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(w=34, text=_t(label))
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(w=pdf.epw - 34, text=_t(value), new_x="LMARGIN", new_y="NEXT")


def _table(
    pdf: FPDF,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float] | None = None,
) -> None:
    pdf.set_font("Helvetica", size=9)
    pdf.set_draw_color(0, 0, 0)  # the map and chart leave their colours set
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(
        cell_fill_color=240,
        cell_fill_mode=TableCellFillMode.ROWS,
        line_height=5.5,
        col_widths=tuple(widths) if widths else None,
        text_align="LEFT",
    ) as grid:
        top = grid.row()
        for name in header:
            top.cell(_t(name))
        for values in rows:
            row = grid.row()
            for value in values:
                row.cell(_t(value))
    pdf.ln(2)


def _map(pdf: FPDF, op: ResolvedOperation, width: float, height: float) -> None:
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
        pdf.cell(w=32, h=5, text=_t(ZONE_LABELS.get(name, name)))
    metres = _nice(max((x1 - x0) / 5, 1))
    bar = metres * scale
    pdf.set_draw_color(0, 0, 0)
    right = pdf.l_margin + width
    pdf.line(right - bar, legend_y + 3, right, legend_y + 3)
    pdf.set_xy(right - bar - 30, legend_y)
    pdf.cell(
        w=28,
        h=5,
        text=_t(f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"),
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


def _chart(pdf: FPDF, result: Mapping[str, Any], width: float, height: float) -> None:
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
    pdf.cell(w=9, text=_t(f"{top_value:g}"), align="R")
    pdf.set_xy(pdf.l_margin, top + plot_h - 3)
    pdf.cell(w=9, text="0", align="R")
    if days:
        pdf.set_xy(left, top + plot_h + 0.5)
        pdf.cell(w=40, text=_t(days[0]["day"]))
        pdf.set_xy(left + plot_w - 40, top + plot_h + 0.5)
        pdf.cell(w=40, text=_t(days[-1]["day"]), align="R")
    pdf.set_xy(pdf.l_margin, top + height - 3)
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(
        w=width,
        text=_t(
            f"Bars: target incidents per day. Line: the baseline's expected per day "
            f"({expected:.2f}). Records dated by month only are in no day."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)


def to_xlsx(result: Mapping[str, Any], names: Mapping[str, str]) -> bytes:
    """Sheets About, Counts (numbers as numbers, frozen header, filters, a chart), Statistics,
    Daily and Caveats."""
    book = Workbook()
    about = book.active
    assert about is not None
    about.title = "About"
    design = result["design"]
    about_rows: list[tuple[str, Any]] = [
        ("Operation", result["name"]),
        ("Slug", result["operation"]),
        ("Version", result["version"]),
        ("Status", result["status"]),
        ("Final", "yes" if result["final"] else "no (provisional)"),
        ("Extracted (UK time)", _uk(result["extracted_at"])),
        ("Categories", ", ".join(CATEGORY_NAMES.get(c, c) for c in design["categories"])),
        ("Youth", design["youth"]),
        *periods_text(result),
        *zone_text(result, names),
    ]
    _sheet(about, ["Item", "Value"], [list(r) for r in about_rows])
    counts = book.create_sheet("Counts")
    _sheet(
        counts,
        ["Zone", "Baseline", "Operation", "Rate ratio", "95% low", "95% high", "p"],
        count_rows(result),
    )
    chart = BarChart()
    chart.title = "Baseline and operation"
    chart.y_axis.title = "Incidents"
    n = len(result["counts"])
    chart.add_data(
        Reference(counts, min_col=2, max_col=3, min_row=1, max_row=n + 1), titles_from_data=True
    )
    chart.set_categories(Reference(counts, min_col=1, min_row=2, max_row=n + 1))
    counts.add_chart(chart, "I2")
    stats = book.create_sheet("Statistics")
    _sheet(stats, ["Statistic", "Value", "Detail"], statistic_rows(result))
    for name, meaning in MEANINGS:
        stats.append([name, None, meaning])
    daily = result.get("daily")
    if daily:
        sheet = book.create_sheet("Daily")
        zones = list(result["counts"])
        rows = [
            [period, d["day"], *(int(d.get(z, 0)) for z in zones)]
            for period in ("baseline", "operation")
            for d in daily[period]
        ]
        _sheet(sheet, ["Period", "Day", *(ZONE_LABELS.get(z, z) for z in zones)], rows)
    caveats = book.create_sheet("Caveats")
    _sheet(caveats, ["Caveat"], [[c] for c in result["caveats"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(sheet: Any, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for column in sheet.columns:
        width = max(len(str(c.value if c.value is not None else "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(width + 2, 90)
