"""The view as a CSV file and as an Excel workbook (pure).

Both write numbers as numbers (typed by ``dashboard.exports.cells``): the CSV as plain
numbers with no thousands separators, the workbook as numeric cells with the number
format the page showed, so SUM, filters and charts work. Hidden markers ("fewer than 5")
stay text in the same column, and the header block says what they mean.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dashboard.exports.cells import Cell, Column, Table, number_format, plain, shown
from dashboard.exports.sheets import add_chart, add_map, print_setup, sheet_name
from dashboard.exports.view import ExportView

BOLD = Font(bold=True)
RIGHT = Alignment(horizontal="right")
WRAPPED = Alignment(wrap_text=True, vertical="top")


def to_csv(view: ExportView) -> bytes:
    """The header rows, then each table under its name after a blank line (UTF-8 with BOM,
    so spreadsheet programs read the dashes and accents). A column of percentages is
    written as numbers of percent with " (%)" added to its name when it lacks one."""
    tables = view.typed()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(view.about(tables))
    for table in tables:
        writer.writerow([])
        writer.writerow([table.name])
        writer.writerow([_csv_header(column) for column in table.columns])
        for row in table.rows():
            writer.writerow(
                [_csv_value(c, column) for c, column in zip(row, table.columns, strict=True)]
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_header(column: Column) -> str:
    return f"{column.name} (%)" if column.percent and "%" not in column.name else column.name


def _csv_value(cell: Cell, column: Column) -> str:
    """Plain numbers; a percentage in a column that is not all percentages keeps its sign."""
    return shown(cell) if cell.kind == "percent" and not column.percent else plain(cell)


def to_excel(view: ExportView) -> bytes:
    """An 'About' sheet (the header and the tables' captions), one sheet per table (bold
    frozen header, filter, fitted widths, its chart to the right), and a 'Map' sheet with
    the map's picture when the view has one."""
    tables = view.typed()
    book = Workbook()
    about = book.active
    assert about is not None  # a new workbook has its one sheet
    about.title = "About"
    _about_sheet(about, view, tables)
    used = {"about"}
    for table in tables:
        sheet = book.create_sheet(sheet_name(table.name, used))
        _table_sheet(sheet, table)
        data = view.chart_data(table)
        if data is not None:
            add_chart(sheet, table, data)
    if view.map is not None:
        add_map(book.create_sheet(sheet_name("Map", used)), view.map)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _about_sheet(sheet: Worksheet, view: ExportView, tables: list[Table]) -> None:
    rows = view.about(tables)
    rows += [(f"Table: {name}", text) for name, text in view.captions.items() if text]
    if view.map is not None and view.map.caption:
        rows.append((f"Map: {view.map.title}", view.map.caption))
    sheet.append(["Item", "Value"])
    for row in rows:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = BOLD
    for (value,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        value.alignment = WRAPPED
        # row heights are not fitted to wrapped text on opening: ~95 characters a line
        lines = max(1, -(-len(str(value.value or "")) // 95))
        sheet.row_dimensions[value.row].height = 15 * lines
    sheet.column_dimensions["A"].width = max(12, *(len(item) + 2 for item, _ in rows))
    sheet.column_dimensions["B"].width = 100
    sheet.freeze_panes = "A2"
    print_setup(sheet)


def _table_sheet(sheet: Worksheet, table: Table) -> None:
    """The table from A1: header row, then one row per frame row; numbers with their
    format, hidden markers as text aligned right like the numbers beside them."""
    sheet.append([column.name for column in table.columns])
    for row in table.rows():
        sheet.append([c.value for c in row])
    for k, column in enumerate(table.columns, start=1):
        header = sheet.cell(row=1, column=k)
        header.font = BOLD
        if column.numeric:
            header.alignment = RIGHT
            for i, cell in enumerate(column.cells, start=2):
                target = sheet.cell(row=i, column=k)
                if cell.numeric:
                    target.number_format = number_format(cell)
                elif cell.kind == "text":
                    target.alignment = RIGHT
        sheet.column_dimensions[get_column_letter(k)].width = _width(column)
    sheet.freeze_panes = "A2"
    print_setup(sheet)
    if table.columns:
        last = get_column_letter(len(table.columns))
        sheet.auto_filter.ref = f"A1:{last}{table.height + 1}"


def _width(column: Column) -> float:
    """Characters of the longest value as shown (the header is bold: a little wider)."""
    longest = max([len(shown(c)) for c in column.cells] + [round(len(column.name) * 1.1)])
    return min(max(longest + 3, 8), 60)
