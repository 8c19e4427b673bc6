"""The Excel export opened with openpyxl: typed numbers and formats, header, filter,
charts, the map sheet and sheet names (``dashboard.exports.tabular``, ``.sheets``)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, LineChart

from aggregates.disclosure import FEWER, SMALL
from dashboard.exports import ExportView, render
from dashboard.exports.sheets import sheet_name
from tests.unit.test_exports import (
    CATEGORIES,
    LONG_NAME,
    MONTHLY,
    SOURCES,
    WARDS,
    analyst_view,
    partner_view,
)


def workbook(export: ExportView) -> Workbook:
    return load_workbook(io.BytesIO(render(export, "xlsx")))


def test_counts_are_numbers_with_their_format_and_hidden_markers_text() -> None:
    """'1,720' is the int 1720 shown as #,##0; 'fewer than 5' stays text, aligned right."""
    sheet = workbook(partner_view())[WARDS]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Ward", "Police", "Council", "Total")
    assert rows[1] == ("Birkenhead and Tranmere (E05000956)", 1720, 15, 1735)
    assert rows[3] == ("Bebington (E05000954)", FEWER, 0, FEWER)
    assert rows[4][1:] == (FEWER, FEWER, SMALL)
    assert sheet["B2"].number_format == "#,##0"
    assert sheet["B4"].data_type == "s"
    assert sheet["B4"].alignment.horizontal == "right"
    assert sum(v for v in (r[3] for r in rows[1:]) if isinstance(v, int)) == 1735 + 915


def test_percentages_and_rates_keep_their_look() -> None:
    """'+12%' is 0.12 with a signed percent format, '15%' 0.15 as 0%, '2.4' a 0.0 rate."""
    sheet = workbook(partner_view())[SOURCES]
    assert [sheet[f"C{r}"].value for r in (2, 3, 4)] == pytest.approx([0.12, -0.03, 0.15])
    assert sheet["C2"].number_format == "+0%;-0%;0%"
    assert sheet["C4"].number_format == "0%"
    assert (sheet["D2"].value, sheet["D2"].number_format) == (2.4, "0.0")


def test_the_analysts_ints_are_numbers() -> None:
    """The analyst's exact ints are written as ints with the count format."""
    sheet = workbook(analyst_view())[WARDS]
    assert [c.value for c in sheet[2]] == ["Birkenhead and Tranmere (E05000956)", 1718, 17, 1735]
    assert {c.number_format for c in sheet[2][1:]} == {"#,##0"}


def test_every_table_sheet_has_a_bold_frozen_header_and_a_filter() -> None:
    """The header row is bold and frozen, and the filter covers the whole table."""
    book = workbook(partner_view())
    for name, rows, last in ((WARDS, 5, "D"), (CATEGORIES, 6, "B"), (MONTHLY, 7, "C")):
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{last}{rows}"
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.column_dimensions["A"].width >= len(str(sheet["A2"].value))


def test_tables_with_a_chart_spec_get_a_native_chart_of_their_cells() -> None:
    """Bar chart of the categories, line chart of both monthly series, none for wards."""
    book = workbook(partner_view())
    assert not book[WARDS]._charts
    (bar,) = book[CATEGORIES]._charts
    assert isinstance(bar, BarChart)
    assert bar.type == "bar"
    (series,) = bar.series
    assert series.val.numRef.f == f"'{CATEGORIES}'!$B$2:$B$6"
    assert series.cat.numRef.f == f"'{CATEGORIES}'!$A$2:$A$6"  # the labels
    (line,) = book[MONTHLY]._charts
    assert isinstance(line, LineChart)
    assert [s.val.numRef.f for s in line.series] == [
        f"'{MONTHLY}'!$B$2:$B$7",
        f"'{MONTHLY}'!$C$2:$C$7",
    ]


def test_the_map_sheet_holds_the_picture() -> None:
    """With a map the last sheet is 'Map' with its title and one image; without, none."""
    book = workbook(partner_view())
    assert book.sheetnames[-1] == "Map"
    assert book["Map"]["A1"].value == "Wards by level"
    assert len(book["Map"]._images) == 1
    assert "Map" not in workbook(partner_view(with_map=False)).sheetnames


def test_the_about_sheet_carries_header_captions_and_hidden_counts() -> None:
    """The About sheet holds the header, the tables' captions and how hidden counts show."""
    about = dict(workbook(partner_view())["About"].iter_rows(min_row=2, values_only=True))
    assert about["Disclosed for role"] == "partner"
    assert about[f"Table: {WARDS}"] == "Largest total first."
    assert str(about["Hidden counts"]).startswith("shown as text ('fewer than 5'")


def test_sheet_names_fit_excel() -> None:
    """At most 31 characters cut at a word, no forbidden characters, unique."""
    names = workbook(partner_view()).sheetnames
    assert LONG_NAME not in names
    assert "Areas above normal — last 24" in names
    assert all(len(name) <= 31 for name in names)
    used: set[str] = {"about"}
    assert sheet_name("About", used) == "About (2)"
    assert sheet_name("Rates: per 1,000 [residents]?", used) == "Rates per 1,000 residents"
    assert sheet_name("Incidents by ward — a long name", used) == "Incidents by ward — a long name"
    assert sheet_name("Incidents by ward — a long name!", used) == "Incidents by ward — a long"
    assert sheet_name("Incidents by ward — and more here", used) == "Incidents by ward — and more"
    assert sheet_name("Incidents by ward — and more", used) == "Incidents by ward — and (2)"
    assert sheet_name("History", used) == "History (2)"
    # one long word: cut at 31 with no dangling dash
    assert sheet_name("Repeat-locations-over-the-last-year", used) == (
        "Repeat-locations-over-the-last"
    )
