"""A page's exports hold the page's figures: the drill-down's Excel, PDF and PowerPoint,
opened with openpyxl, pypdf and python-pptx, against the tables the page drew (AppTest
against a real redis-server); Live's exports carry its map."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from aggregates.disclosure import Role
from dashboard.exports import ExportView, render
from dashboard.ui import EXPORTS_STATE, MAP_EXPORTS_STATE
from safer.settings import Settings
from tests.dashboard.test_live_page import (  # noqa: F401 (app_env, seeded: fixtures)
    app_env,
    run_app,
    seeded,
    table_with,
)


def export_of(at: AppTest, page: str) -> ExportView:
    view: ExportView = at.session_state[EXPORTS_STATE][page][0]
    return view


def number(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.parametrize("role", [Role.ANALYST, Role.PARTNER])
def test_the_drill_downs_exports_hold_its_headline_and_ward_figures(
    seeded: Settings,  # noqa: F811
    role: Role,
) -> None:
    """The heading's total, rate and comparison lead every export as a 'Headline' table;
    the ward counts are numbers in Excel (with a native chart), the same in the PDF's text,
    and the PowerPoint's ward chart draws the very counts the page shows."""
    at = run_app({"page": "areas", "window": "7d"}, role=role)
    heading = next(h.value for h in at.subheader if " incidents" in h.value)
    total = heading.split(": ")[1].removesuffix(" incidents")
    wards = table_with(at, "Per 1,000 residents")
    shown = {r["Area"]: r["Incidents"] for r in wards.to_dict("records")}
    view = export_of(at, "areas")

    book = load_workbook(io.BytesIO(render(view, "xlsx")))
    assert book.sheetnames[:3] == ["About", "Headline", "Wards"]
    head = list(book["Headline"].iter_rows(values_only=True))
    assert head[0] == ("Area", "Incidents", "Per 1,000 residents")
    assert head[1][:2] == ("Wirral", number(total))
    sheet = book["Wards"]
    rows = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    for area, figure in shown.items():
        expected = number(figure) if figure[0].isdigit() else figure  # hidden counts: text
        assert rows[area] == expected, area
    assert sheet._charts, "a native chart of the ward counts"

    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render(view, "pdf"))).pages
    )
    flat = " ".join(text.split())
    assert "Headline" in flat
    assert f"Wirral {total}" in flat
    assert "Page 1 of" in flat

    deck = Presentation(io.BytesIO(render(view, "pptx")))
    charts = {
        shape.chart.plots[0].categories[0]: shape.chart
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_chart
    }
    assert charts, "the ward table's chart"
    ward_chart = next(chart for first, chart in charts.items() if first in shown)
    categories = list(ward_chart.plots[0].categories)
    values = list(ward_chart.plots[0].series[0].values)
    drawn = dict(zip(categories, values, strict=True))
    for area, value in drawn.items():
        assert number(shown[area]) == value, area


def test_lives_exports_carry_its_map(seeded: Settings) -> None:  # noqa: F811
    """The map Live drew goes into its PDF and PowerPoint as a picture, with its legend and
    words (the public's: no numbers)."""
    at = run_app()
    picture = at.session_state[MAP_EXPORTS_STATE]["live"]
    assert picture.title.startswith("Map — ")
    assert not any(ch.isdigit() for ch in picture.caption)
    joined = export_of(at, "live").with_map(picture)
    assert joined.map is picture
    pdf = PdfReader(io.BytesIO(render(joined, "pdf")))
    assert sum(len(page.images) for page in pdf.pages) >= 1
    deck = Presentation(io.BytesIO(render(joined, "pptx")))
    assert any(shape.shape_type == 13 for slide in deck.slides for shape in slide.shapes)
