"""An operation's evaluation as an Excel workbook (openpyxl): numbers as numbers, frozen
headers, filters and a chart (the PDF is ``operations.documents``)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from operations.documents import (
    MEANINGS,
    count_rows,
    periods_text,
    statistic_rows,
    uk_time,
    zone_text,
)
from operations.text import ZONE_LABELS
from schemas.categories import CATEGORY_NAMES


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
        ("Extracted (UK time)", uk_time(result["extracted_at"])),
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
