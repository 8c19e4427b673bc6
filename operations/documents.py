"""An operation's evaluation report as PDF (fpdf2) and Excel (openpyxl): the design with
its zones on a map, the periods, the counts, each statistic with what it means, the daily
series against the baseline's expected, the caveats and the time of extraction — to attach
to a funding bid or a committee paper. Pure: built from ``operations.report.assessment``
and the resolved zones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import TableCellFillMode

from operations.pdf_drawing import draw_chart, draw_map
from operations.text import ZONE_LABELS, pdf_text
from operations.zones import ResolvedOperation
from schemas.calendar import LONDON
from schemas.categories import CATEGORY_NAMES

HIDDEN = "hidden (small)"
"""A count a partner's report does not show (``dashboard.operation_figures.disclosed``)."""
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


def uk_time(iso: str) -> str:
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
            f"operation {uk_time(result['compared']['operation']['start'])} - "
            f"{uk_time(result['compared']['operation']['end'])}; baseline "
            f"{uk_time(result['compared']['baseline']['start'])} - "
            f"{uk_time(result['compared']['baseline']['end'])}",
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
    wdd = result.get("wdd")
    return [
        [
            "WDD",
            wdd["estimate"] if wdd else None,
            (
                f"variance {_num(wdd['variance'], 1)}, z {_num(wdd['z'])}, p {_num(wdd['p'], 3)}"
                if wdd
                else f"not computed: {result.get('wdd_reason') or 'no statistics'}"
            ),
        ],
        ["WDQ", result.get("wdq"), result.get("wdq_reason") or ""],
        [
            "Net effect",
            result.get("net_effect"),
            "incidents fewer than the control's trend predicts"
            if result.get("net_effect") is not None
            else "not computed: "
            + (result.get("wdd_reason") or "the control has no incidents in the baseline"),
        ],
        ["Maryland level", result.get("maryland_level"), ""],
    ]


def to_pdf(result: Mapping[str, Any], op: ResolvedOperation, names: Mapping[str, str]) -> bytes:
    pdf = FPDF(orientation="P", format="A4")
    pdf.set_title(pdf_text(f"{result['name']} - evaluation"))
    pdf.set_creator("safer-tracker")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_margins(16, 14, 16)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("Helvetica", "B", 17)
    pdf.multi_cell(w=width, text=pdf_text(result["name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(
        w=width,
        text=pdf_text(
            f"Evaluation report - version {result['version']}, "
            f"{'final' if result['final'] else result['status'] + ' (provisional)'}. Extracted "
            f"{uk_time(result['extracted_at'])} UK time."
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
    draw_map(pdf, op, width, 80)
    _heading(pdf, "Counts and rate ratios")
    pdf_table(
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
            text=pdf_text(f"{ZONE_LABELS.get(zone, zone)}: {words}."),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(2)
    _heading(pdf, "Displacement and net effect")
    pdf_table(
        pdf,
        ["Statistic", "Value", "Detail"],
        [
            [
                r[0],
                _num(r[1])
                if isinstance(r[1], float)
                else pdf_text(r[1] if r[1] is not None else "-"),
                r[2],
            ]
            for r in statistic_rows(result)
        ],
        widths=(30, 25, width - 55),
    )
    if result.get("daily"):
        _heading(pdf, "Target per day against the baseline's expected")
        draw_chart(pdf, result, width, 48)
    _heading(pdf, "What the statistics mean")
    for name, meaning in MEANINGS:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(text=pdf_text(f"{name}: "))
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(w=0, text=pdf_text(meaning), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    _heading(pdf, "Caveats")
    pdf.set_font("Helvetica", size=9)
    for caveat in result["caveats"]:
        pdf.multi_cell(w=width, text=pdf_text(f"- {caveat}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(
        w=width,
        text=pdf_text(
            "Source: safer-tracker, from partner feeds as received (police.uk street "
            "crimes are dated by month and located at anonymised map points)."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(text=pdf_text(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _pairs(pdf: FPDF, rows: Sequence[tuple[str, str]]) -> None:
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(w=34, text=pdf_text(label))
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(w=pdf.epw - 34, text=pdf_text(value), new_x="LMARGIN", new_y="NEXT")


def pdf_table(
    pdf: FPDF,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float] | None = None,
) -> None:
    """A readable table (left-aligned, banded rows, Latin-1-safe text), for any PDF here."""
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
            top.cell(pdf_text(name))
        for values in rows:
            row = grid.row()
            for value in values:
                row.cell(pdf_text(value))
    pdf.ln(2)
