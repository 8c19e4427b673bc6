"""Exports of a view: CSV, Excel, PDF and PowerPoint open and carry the figures, filters,
time and caveats (``dashboard.exports``). The builders here (``view``, ``partner_view``,
``analyst_view``) are shared by the ``test_export_*`` modules."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from aggregates.disclosure import FEWER, SMALL, SUM_CAVEAT, Role
from dashboard.exports import FORMATS, Chart, ExportView, MapPicture, render
from dashboard.maps import BANDS, NONE_COLOUR, PALETTE

AT = datetime(2026, 7, 1, 11, 42, tzinfo=UTC)  # 12:42 BST
WARDS, CATEGORIES, MONTHLY, SOURCES = (
    "Incidents by ward",
    "Incidents by category",
    "Monthly incidents",
    "Change by source",
)
LONG_NAME = "Areas above normal — last 24 hours by ward and category"


def view(role: Role = Role.PARTNER) -> ExportView:
    """The small view of the original export tests (positional arguments only)."""
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


def partner_wards() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("Birkenhead and Tranmere (E05000956)", "1,720", "15", "1,735"),
            ("Claughton (E05000957)", "910", "5", "915"),
            ("Bebington (E05000954)", FEWER, "0", FEWER),
            ("Bidston and St James (E05000955)", FEWER, FEWER, SMALL),
        ],
        columns=["Ward", "Police", "Council", "Total"],
    )


def categories() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("ASB – nuisance", "1,720"),
            ("Burglary", "911"),
            ("Criminal damage", "523"),
            ("Drugs", FEWER),
            ("Vehicle crime", "15"),
        ],
        columns=["Category", "Incidents"],
    )


def monthly() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("2026-01", "1,510", None),
            ("2026-02", "1,395", "1,420"),
            ("2026-03", "1,620", "1,480"),
            ("2026-04", "1,700", "1,555"),
            ("2026-05", "1,810", "1,600"),
            ("2026-06", "1,720", "1,690"),
        ],
        columns=["Month", "Incidents", "Year earlier"],
    )


def sources() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("Police", "1,720", "+12%", "2.4"),
            ("Council", "911", "-3%", "1.3"),
            ("Fire", "15", "15%", "0.1"),
        ],
        columns=["Source", "Incidents", "Change on a year earlier", "Rate per 1,000 residents"],
    )


def square(lon: float, lat: float, fill: tuple[int, int, int], ward: str) -> dict[str, object]:
    ring = [[lon, lat], [lon + 0.02, lat], [lon + 0.02, lat + 0.012], [lon, lat + 0.012]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        "properties": {"ward": ward, "tooltip": f"{ward}: busiest", "fill": [*fill, 190]},
    }


def ward_map() -> MapPicture:
    features = [
        square(-3.04, 53.38, PALETTE[4], "E05000956"),
        square(-3.02, 53.38, PALETTE[0], "E05000954"),
    ]
    return MapPicture(
        "Wards by level",
        {"type": "FeatureCollection", "features": features},
        (*zip(PALETTE, BANDS, strict=True), (NONE_COLOUR, "none")),
        "Wards by level, light to dark: quietest to busiest (grey: none).",
    )


CHARTS = {
    CATEGORIES: Chart("bar", "Category", ("Incidents",)),
    MONTHLY: Chart("line", "Month", ("Incidents", "Year earlier"), x_title="Month"),
}


def partner_view(with_map: bool = True) -> ExportView:
    """A partner's view with text figures, hidden markers, two charts, percentages, a rate
    column, a long table name and (unless told otherwise) a map."""
    tables = [
        (WARDS, partner_wards()),
        (CATEGORIES, categories()),
        (MONTHLY, monthly()),
        (SOURCES, sources()),
        (LONG_NAME, partner_wards().head(2)),
    ]
    return ExportView(
        "Live",
        Role.PARTNER,
        {"sources": "police, council", "window": "Last 7 days (2026-06-24 to 2026-06-30)"},
        AT,
        tables,
        [SUM_CAVEAT],
        charts=CHARTS,
        captions={WARDS: "Largest total first."},
        map=ward_map() if with_map else None,
    )


def analyst_view() -> ExportView:
    """The analyst's view: exact ints, no hidden markers, a bar chart."""
    wards = pd.DataFrame(
        [
            ("Birkenhead and Tranmere (E05000956)", 1718, 17, 1735),
            ("Bebington (E05000954)", 3, 0, 3),
        ],
        columns=["Ward", "Police", "Council", "Total"],
    )
    counts = pd.DataFrame([("Burglary", 911), ("Drugs", 3)], columns=["Category", "Incidents"])
    return ExportView(
        "Live",
        Role.ANALYST,
        {"sources": "police, council"},
        AT,
        [(WARDS, wards), (CATEGORIES, counts)],
        charts={CATEGORIES: CHARTS[CATEGORIES]},
    )


def test_csv_has_header_filters_caveats_and_tables() -> None:
    """The CSV starts with the header block and holds each table under its name."""
    text = render(view(), "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Export", "Live"]
    assert ["Extracted (UK time)", "2026-07-01 12:42"] in rows
    assert ["Disclosed for role", "partner"] in rows
    assert ["Filter: source", "police, council"] in rows
    assert ["Caveat", SUM_CAVEAT] in rows
    start = rows.index(["Incidents by ward"])
    assert rows[start + 1] == ["Ward", "Police", "Total"]
    assert rows[start + 2] == ["Birkenhead and Tranmere (E05000956)", "15", "20"]
    assert rows[start + 3] == ["Bebington (E05000954)", FEWER, FEWER]
    assert ["Drugs", "", FEWER] in rows  # a suppressed count is blank, never a number


def test_excel_opens_with_an_about_sheet_and_one_sheet_per_table() -> None:
    """The workbook has an About sheet and one sheet per table; counts are numbers."""
    book = load_workbook(io.BytesIO(render(view(), "xlsx")))
    assert book.sheetnames == ["About", "Incidents by ward", "Incidents by category"]
    about = {row[0]: row[1] for row in book["About"].iter_rows(min_row=2, values_only=True)}
    assert about["Disclosed for role"] == "partner"
    assert about["Filter: window"].startswith("Last 7 days")
    wards = list(book["Incidents by ward"].iter_rows(values_only=True))
    assert wards[0] == ("Ward", "Police", "Total")
    assert wards[1] == ("Birkenhead and Tranmere (E05000956)", 15, 20)
    assert wards[2] == ("Bebington (E05000954)", FEWER, FEWER)
    categories = list(book["Incidents by category"].iter_rows(values_only=True))
    assert categories[1] == ("ASB – nuisance", 15, 15)
    assert categories[2] == ("Drugs", None, FEWER)


def test_pdf_opens_and_reads_as_the_view() -> None:
    """The PDF's text holds the header block, the tables' labels and hidden markers."""
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
    """Filenames carry title, role and time; an unknown format is an error."""
    assert view().filename("xlsx") == "safer-live-partner-20260701T1142Z.xlsx"
    assert view().filename("pptx") == "safer-live-partner-20260701T1142Z.pptx"
    with pytest.raises(ValueError, match="unknown export format"):
        render(view(), "docx")


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_renders_every_view(fmt: str) -> None:
    """The old positional view, the partner's full view and the analyst's all render."""
    signatures = {"csv": b"\xef\xbb\xbf", "xlsx": b"PK", "pdf": b"%PDF", "pptx": b"PK"}
    for each in (view(), partner_view(), partner_view(with_map=False), analyst_view()):
        assert render(each, fmt).startswith(signatures[fmt])


def test_about_explains_hidden_counts_only_when_there_are_some() -> None:
    """The header block says how hidden counts show when a table holds one, else not."""
    assert "Hidden counts" in dict(partner_view().about())
    assert "Hidden counts" not in dict(analyst_view().about())
