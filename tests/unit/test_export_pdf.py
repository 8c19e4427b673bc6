"""The PDF export opened with pypdf: figures, footers, pictures and column alignment
(``dashboard.exports.pdf``)."""

from __future__ import annotations

import io

import pandas as pd
from pypdf import PdfReader

from aggregates.disclosure import FEWER, SMALL
from dashboard.exports import Chart, ExportView, render
from tests.unit.test_exports import AT, analyst_view, partner_view, view


def pdf(export: ExportView) -> PdfReader:
    return PdfReader(io.BytesIO(render(export, "pdf")))


def flat_text(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_tables_figures_are_in_the_text() -> None:
    """Every figure of the partner's tables is in the PDF as the page showed it."""
    text = flat_text(pdf(partner_view()))
    for figure in ("1,720", "1,735", "910", FEWER, SMALL, "+12%", "-3%", "15%", "2.4", "1,690"):
        assert figure in text, figure
    assert "Hidden counts: shown as text" in text
    assert "Largest total first." in text  # the table's caption
    assert "Wards by level, light to dark" in text  # the map's caption
    assert "1,718" in flat_text(pdf(analyst_view()))  # the analyst's int shown separated


def test_every_page_says_which_of_how_many_it_is() -> None:
    """Each footer reads 'Page n of N', N the page count."""
    reader = pdf(partner_view())
    pages = len(reader.pages)
    assert pages >= 2
    for n, page in enumerate(reader.pages, start=1):
        assert f"Page {n} of {pages}" in page.extract_text()


def test_charts_and_the_map_are_pictures() -> None:
    """Two charts and a map give three images; no map two; no chart spec none."""
    assert sum(len(page.images) for page in pdf(partner_view()).pages) == 3
    assert sum(len(page.images) for page in pdf(partner_view(with_map=False)).pages) == 2
    assert sum(len(page.images) for page in pdf(view()).pages) == 0


def positions(reader: PdfReader, page: int = 0) -> dict[str, float]:
    """Each text run's left edge on the page (points), by its text."""
    found: dict[str, float] = {}

    def visit(text: str, cm: object, tm: list[float], font: object, size: object) -> None:
        if text.strip():
            found.setdefault(text.strip(), tm[4])

    reader.pages[page].extract_text(visitor_text=visit)
    return found


def test_numbers_align_right_and_text_left() -> None:
    """In a column of numbers the shorter figure starts further right (right-aligned,
    never stretched); ward names in their column start at the same place."""
    x = positions(pdf(partner_view(with_map=False)))
    assert x["910"] > x["1,720"] + 3
    assert x["Claughton (E05000957)"] == x["Birkenhead and Tranmere (E05000956)"]


def test_a_long_table_repeats_its_header_on_every_page() -> None:
    """A table running over pages has its header row on each of them."""
    rows = pd.DataFrame(
        {"Ward": [f"Ward number {i}" for i in range(120)], "Incidents": list(range(120))}
    )
    export = ExportView("Long", partner_view().role, {}, AT, [("Every ward", rows)])
    reader = pdf(export)
    assert len(reader.pages) >= 3
    for page in reader.pages:
        assert "Ward Incidents" in " ".join(page.extract_text().split())


def test_a_heading_stays_on_the_page_of_its_chart() -> None:
    """When a chart does not fit under the tables before it, its heading moves with it."""
    filler = pd.DataFrame({"Ward": [f"Ward {i}" for i in range(15)], "Incidents": range(15)})
    wards = pd.DataFrame(
        {"Ward": [f"Ward number {i}" for i in range(40)], "Incidents": range(40, 0, -1)}
    )
    export = ExportView(
        "Long",
        partner_view().role,
        {},
        AT,
        [("Filler", filler), ("Busiest wards", wards)],
        charts={"Busiest wards": Chart("bar", "Ward", ("Incidents",))},
    )
    (page,) = [p for p in pdf(export).pages if "Busiest wards" in p.extract_text()]
    assert len(page.images) == 1
    assert "the first 25 of 40 rows" in " ".join(page.extract_text().split())
