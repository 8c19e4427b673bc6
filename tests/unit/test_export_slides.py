"""The PowerPoint export opened with python-pptx: slides, native charts with the table's
numbers, tables of first rows and captions (``dashboard.exports.slides``)."""

from __future__ import annotations

import io

import pandas as pd
from pptx import Presentation
from pptx.chart.chart import Chart as PptxChart
from pptx.presentation import Presentation as Deck
from pptx.shapes.autoshape import Shape
from pptx.shapes.graphfrm import GraphicFrame
from pptx.slide import Slide
from pptx.util import Inches

from aggregates.disclosure import FEWER, SUM_CAVEAT
from dashboard.exports import ExportView, render
from tests.unit.test_exports import (
    AT,
    CATEGORIES,
    MONTHLY,
    SOURCES,
    WARDS,
    analyst_view,
    partner_view,
)


def deck(export: ExportView) -> Deck:
    return Presentation(io.BytesIO(render(export, "pptx")))


def texts(slide: Slide) -> str:
    return " ".join(s.text_frame.text for s in slide.shapes if isinstance(s, Shape))


def slide_titled(presentation: Deck, title: str) -> Slide:
    slide: Slide = next(s for s in presentation.slides if texts(s).startswith(title))
    return slide


def frames(slide: Slide) -> list[GraphicFrame]:
    return [s for s in slide.shapes if isinstance(s, GraphicFrame)]


def chart_of(slide: Slide) -> PptxChart:
    (frame,) = [s for s in frames(slide) if s.has_chart]
    return frame.chart


def test_one_slide_per_table_between_title_map_and_caveats() -> None:
    """Title + 5 tables + map + caveats; 16:9; without a map one fewer."""
    presentation = deck(partner_view())
    assert len(presentation.slides) == 1 + 5 + 1 + 1
    assert len(deck(partner_view(with_map=False)).slides) == 1 + 5 + 1
    assert (presentation.slide_width, presentation.slide_height) == (Inches(13.333), Inches(7.5))
    title = texts(presentation.slides[0])
    for expected in ("safer-tracker – Live", "Disclosed for role: partner", "2026-07-01 12:42"):
        assert expected in title
    assert "Filter: window: Last 7 days" in title
    last = texts(presentation.slides[-1])
    assert SUM_CAVEAT in last
    assert "Hidden counts" in last
    assert "Source: safer-tracker" in last


def test_a_bar_chart_holds_the_tables_numbers_without_hidden_cells() -> None:
    """The category chart's bars are the table's numbers, the first row on top (bars go
    in bottom-up), hidden rows left out and the caption saying so."""
    slide = slide_titled(deck(partner_view()), CATEGORIES)
    plot = chart_of(slide).plots[0]
    expected = [
        ("ASB – nuisance", 1720.0),
        ("Burglary", 911.0),
        ("Criminal damage", 523.0),
        ("Vehicle crime", 15.0),
    ]
    (series,) = plot.series
    assert list(zip(plot.categories, series.values, strict=True)) == expected[::-1]
    assert "1 hidden count (fewer than 5 or small numbers) left out of the chart" in texts(slide)


def test_a_line_chart_holds_each_series_with_gaps() -> None:
    """Both monthly series, in order, the missing year-earlier month a gap."""
    chart = chart_of(slide_titled(deck(partner_view()), MONTHLY))
    plot = chart.plots[0]
    assert list(plot.categories) == [f"2026-0{m}" for m in range(1, 7)]
    values = {s.name: s.values for s in plot.series}
    assert values["Incidents"] == (1510.0, 1395.0, 1620.0, 1700.0, 1810.0, 1720.0)
    assert values["Year earlier"] == (None, 1420.0, 1480.0, 1555.0, 1600.0, 1690.0)
    assert chart.has_legend


def test_a_table_slide_shows_the_frames_rows_as_the_page_did() -> None:
    """The ward table's cells are the frame's (figures as shown) under its caption."""
    slide = slide_titled(deck(partner_view()), WARDS)
    (frame,) = [s for s in frames(slide) if s.has_table]
    cells = [[cell.text for cell in row.cells] for row in frame.table.rows]
    assert cells[0] == ["Ward", "Police", "Council", "Total"]
    assert cells[1] == ["Birkenhead and Tranmere (E05000956)", "1,720", "15", "1,735"]
    assert cells[3] == ["Bebington (E05000954)", FEWER, "0", FEWER]
    assert "Largest total first." in texts(slide)
    sources = slide_titled(deck(partner_view()), SOURCES)
    assert "3 rows: Source, Incidents" in texts(sources)  # a summary when no caption


def test_a_long_table_shows_its_first_twelve_rows_and_says_so() -> None:
    """A 20-row table without a chart: 12 rows on the slide and 'first 12 of 20 rows'."""
    rows = pd.DataFrame({"Ward": [f"Ward {i}" for i in range(20)], "Incidents": range(20)})
    export = ExportView("Long", analyst_view().role, {}, AT, [("Every ward", rows)])
    slide = deck(export).slides[1]
    (frame,) = [s for s in frames(slide) if s.has_table]
    assert len(frame.table.rows) == 1 + 12
    assert frame.table.cell(12, 0).text == "Ward 11"
    assert "first 12 of 20 rows" in texts(slide)


def test_the_map_slide_holds_the_picture_and_caption() -> None:
    """The map's slide has one picture and the map's caption."""
    slide = slide_titled(deck(partner_view()), "Wards by level")
    assert sum(s.shape_type == 13 for s in slide.shapes) == 1  # MSO_SHAPE_TYPE.PICTURE
    assert "light to dark" in texts(slide)
