"""What an Excel sheet holds besides its table: its name within Excel's rules, a native
chart of the table drawn from its cells, and the map's picture (pure)."""

from __future__ import annotations

import io
import re

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.image import Image
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dashboard.exports.cells import Table
from dashboard.exports.pictures import map_png
from dashboard.exports.view import ChartData, MapPicture

SHEET_NAME_MAX = 31
FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
RESERVED = {"history"}  # Excel keeps this name for itself
TRAILING = " -–—,;:(&'"
CM = 360000  # EMU per centimetre, the unit of chart anchors


def sheet_name(name: str, used: set[str]) -> str:
    """A sheet name Excel accepts: no ``[]:*?/\\``, at most 31 characters (cut at a word
    boundary, with no dangling space, dash or comma), not 'History', and unique in the
    workbook whatever the case (``used`` holds the names taken so far, lower case)."""
    clean = " ".join(FORBIDDEN.sub(" ", name).split()).strip("'") or "Table"
    sheet, n = _cut(clean, SHEET_NAME_MAX), 2
    while sheet.lower() in used or sheet.lower() in RESERVED:
        suffix = f" ({n})"
        sheet, n = _cut(clean, SHEET_NAME_MAX - len(suffix)) + suffix, n + 1
    used.add(sheet.lower())
    return sheet


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at the last word boundary before it (the whole
    first word cut short when it alone is longer)."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    head = head[: head.rindex(" ")] if " " in head else text[:limit]
    return head.rstrip(TRAILING) or text[:limit]


def add_chart(sheet: Worksheet, table: Table, data: ChartData) -> None:
    """A native chart of the table's value columns (its cells: the chart follows edits),
    to the right of the table: horizontal bars for categories, first row on top, or lines
    over the label column. Excel draws a text cell as 0, so a chart of a table with hidden
    counts says so in its title."""
    rows = table.height + 1
    names = [c.name for c in table.columns]
    chart = _bar(data) if data.chart.kind == "bar" else _line(data)
    for name, _ in data.series:
        k = names.index(name) + 1
        chart.add_data(Reference(sheet, min_col=k, min_row=1, max_row=rows), titles_from_data=True)
    x = names.index(data.chart.x) + 1
    chart.set_categories(Reference(sheet, min_col=x, min_row=2, max_row=rows))
    chart.title = _title(table.name + (" (hidden counts drawn at 0)" if data.left_out else ""))
    chart.y_axis.title = data.chart.y_title
    chart.x_axis.title = data.chart.x_title or None
    chart.x_axis.delete = False  # openpyxl 3.1 hides both axes unless told otherwise
    chart.y_axis.delete = False
    chart.y_axis.number_format = "0%" if data.percent else "#,##0"
    chart.legend = chart.legend if len(data.series) > 1 else None
    if isinstance(chart, LineChart):
        _straight(chart)
    sheet.add_chart(chart, f"{get_column_letter(len(names) + 2)}2")


def _title(text: str, points: int = 12) -> Title:
    """A chart title in 12 pt bold (Excel's default 14 pt wraps a long table name)."""
    font = CharacterProperties(sz=points * 100, b=True)
    line = Paragraph(pPr=ParagraphProperties(defRPr=font), r=[RegularTextRun(rPr=font, t=text)])
    return Title(tx=Text(rich=RichText(p=[line])), overlay=False)


def _bar(data: ChartData) -> BarChart:
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.x_axis.scaling.orientation = "maxMin"  # the table's first row on top
    chart.y_axis.crosses = "max"  # and the values' axis still at the bottom
    chart.width = 18
    chart.height = min(max(7.5, 0.55 * data.rows + 2.5), 45)
    return chart


def _line(data: ChartData) -> LineChart:
    chart = LineChart()
    chart.style = 12
    chart.width = 24
    chart.height = 9
    chart.display_blanks = "gap"
    return chart


def _straight(chart: LineChart) -> None:
    """openpyxl smooths line series unless told otherwise: a count per period is no curve."""
    for series in chart.series:
        series.smooth = False


def add_map(sheet: Worksheet, picture: MapPicture) -> None:
    """The map's title and caption, then its picture (legend included) below them."""
    sheet["A1"] = picture.title
    sheet["A1"].font = Font(bold=True, size=13)
    if picture.caption:
        sheet["A2"] = picture.caption
        sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells("A2:L2")
        sheet.row_dimensions[2].height = 15 * (1 + len(picture.caption) // 110)
    drawn = map_png(picture)
    image = Image(io.BytesIO(drawn.png))
    image.width, image.height = 900, round(900 * drawn.aspect)
    sheet.add_image(image, "A4")
    print_setup(sheet)


def print_setup(sheet: Worksheet) -> None:
    """Printed landscape, one page wide, the header row on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
