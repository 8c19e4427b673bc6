"""Exports of a view: CSV, Excel and PDF open and carry the figures, filters, time and
caveats (``dashboard.exports``)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from aggregates.disclosure import FEWER, SUM_CAVEAT, Role
from dashboard.exports import ExportView, render

AT = datetime(2026, 7, 1, 11, 42, tzinfo=UTC)  # 12:42 BST


def view(role: Role = Role.PARTNER) -> ExportView:
    wards = pd.DataFrame(
        [
            {"Ward": "Birkenhead and Tranmere (E05000956)", "Police": "15", "Total": "20"},
            {"Ward": "Bebington (E05000954)", "Police": FEWER, "Total": FEWER},
        ]
    )
    categories = pd.DataFrame(
        [
            {"Category": "ASB – nuisance", "Incidents": 15.0, "Shown": "15"},
            {"Category": "Drugs", "Incidents": None, "Shown": FEWER},
        ]
    )
    return ExportView(
        "Live",
        role,
        {"source": "police, council", "window": "Last 7 days (2026-06-24 to 2026-06-30)"},
        AT,
        [("Incidents by ward", wards), ("Incidents by category", categories)],
        [SUM_CAVEAT],
    )


def test_csv_has_header_filters_caveats_and_tables() -> None:
    text = render(view(), "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Export", "Live"]
    assert ["Extracted (UK time)", "2026-07-01 12:42"] in rows
    assert ["Disclosed for role", "partner"] in rows
    assert ["Filter: source", "police, council"] in rows
    assert ["Caveat", SUM_CAVEAT] in rows
    start = rows.index(["Incidents by ward"])
    assert rows[start + 1] == ["Ward", "Police", "Total"]
    assert rows[start + 3] == ["Bebington (E05000954)", FEWER, FEWER]
    assert ["Drugs", "", FEWER] in rows  # a suppressed count is blank, never a number


def test_excel_opens_with_an_about_sheet_and_one_sheet_per_table() -> None:
    book = load_workbook(io.BytesIO(render(view(), "xlsx")))
    assert book.sheetnames == ["About", "Incidents by ward", "Incidents by category"]
    about = {row[0]: row[1] for row in book["About"].iter_rows(min_row=2, values_only=True)}
    assert about["Disclosed for role"] == "partner"
    assert about["Filter: window"].startswith("Last 7 days")
    wards = list(book["Incidents by ward"].iter_rows(values_only=True))
    assert wards[0] == ("Ward", "Police", "Total")
    assert wards[2] == ("Bebington (E05000954)", FEWER, FEWER)
    categories = list(book["Incidents by category"].iter_rows(values_only=True))
    assert categories[1][0] == "ASB – nuisance"


def test_pdf_opens_and_reads_as_the_view() -> None:
    data = render(view(Role.PUBLIC), "pdf")
    assert data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    flat = " ".join(text.split())
    for expected in (
        "safer-tracker - Live",
        "Disclosed for role: public",
        "Extracted (UK time): 2026-07-01 12:42",
        "Filter: source: police, council",
        "Birkenhead and Tranmere (E05000956)",
        FEWER,
        "ASB - nuisance",  # typographic dash in a Latin-1 core font
    ):
        assert expected in flat


def test_filenames_and_unknown_formats() -> None:
    assert view().filename("xlsx") == "safer-live-partner-20260701T1142Z.xlsx"
    with pytest.raises(ValueError, match="unknown export format"):
        render(view(), "docx")
