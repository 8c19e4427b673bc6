"""The view as a 16:9 PowerPoint deck (python-pptx; pure).

A title slide (title, role, filters, time of extraction); one slide per table with its
native chart when it has one, else its first rows as a table, and a caption under it; the
map's picture; a last slide with how to read the figures (hidden counts, caveats,
provenance). Every slide is drawn on the blank layout with its own boxes: the default
template's placeholders are placed for 4:3.
"""

from __future__ import annotations

import io
from typing import cast

from pptx import Presentation
from pptx.chart.axis import _BaseAxis  # the axes' common type (python-pptx exports no other)
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.presentation import Presentation as Deck
from pptx.shapes.graphfrm import GraphicFrame
from pptx.slide import Slide
from pptx.util import Emu, Inches, Length, Pt

from aggregates.disclosure import FEWER, SMALL
from dashboard.exports.cells import Table, shown
from dashboard.exports.pictures import map_png
from dashboard.exports.view import ChartData, ExportView, MapPicture

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
INNER = Emu(WIDTH - 2 * MARGIN)
"""The width between the margins."""
BODY_TOP, BODY_HEIGHT = Inches(1.25), Inches(5.0)
CAPTION_TOP, CAPTION_HEIGHT = Inches(6.45), Inches(0.9)
ROW_LIMIT = 12
BAR_LIMIT = 15
BLANK_LAYOUT = 6


def to_pptx(view: ExportView) -> bytes:
    tables = view.typed()
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    _title_slide(deck, view)
    for table in tables:
        _table_slide(deck, view, table)
    if view.map is not None:
        _map_slide(deck, view.map)
    slide = _slide(deck, "Reading these figures")
    notes = [
        f"{item}: {text}"
        for item, text in view.about(tables)
        if item in ("Hidden counts", "Caveat")
    ]
    _text(slide, BODY_TOP, Inches(5.6), notes, Pt(16 if sum(map(len, notes)) < 900 else 12))
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _slide(deck: Deck, title: str) -> Slide:
    slide: Slide = deck.slides.add_slide(deck.slide_layouts[BLANK_LAYOUT])
    box = slide.shapes.add_textbox(MARGIN, Inches(0.35), INNER, Inches(0.8))
    box.text_frame.word_wrap = True
    run = box.text_frame.paragraphs[0].add_run()
    run.text = title
    # one line across the slide at any length the pages use
    run.font.size = Pt(28 if len(title) <= 48 else 22 if len(title) <= 64 else 18)
    run.font.bold = True
    return slide


def _text(
    slide: Slide, top: Length, height: Length, lines: list[str], size: Pt, italic: bool = False
) -> None:
    box = slide.shapes.add_textbox(MARGIN, top, INNER, height)
    frame = box.text_frame
    frame.word_wrap = True
    for k, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        paragraph.space_after = Pt(6)
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.italic = size, italic


def _title_slide(deck: Deck, view: ExportView) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[BLANK_LAYOUT])
    box = slide.shapes.add_textbox(MARGIN, Inches(2.0), INNER, Inches(1.2))
    box.text_frame.word_wrap = True
    run = box.text_frame.paragraphs[0].add_run()
    run.text = f"safer-tracker – {view.title}"
    run.font.size, run.font.bold = Pt(40), True
    about = [
        f"{item}: {value}"
        for item, value in view.about()
        if item.startswith(("Disclosed", "Extracted", "Filter"))
    ]
    _text(slide, Inches(3.4), Inches(3.5), about, Pt(18))


def _table_slide(deck: Deck, view: ExportView, table: Table) -> None:
    slide = _slide(deck, table.name)
    data = view.chart_data(table)
    top: Length = CAPTION_TOP
    if data is not None:
        drawn = data.first(BAR_LIMIT) if data.chart.kind == "bar" else data
        _chart(slide, drawn)
        notes = _chart_notes(data, drawn)
    elif table.height:
        top = min(CAPTION_TOP, Emu(_grid(slide, table) + Inches(0.3)))  # under the table
        cut = table.height > ROW_LIMIT
        notes = [f"Showing the first {ROW_LIMIT} of {table.height} rows."] if cut else []
    else:
        notes = ["No rows."]
    caption = view.captions.get(table.name) or _summary(table, data)
    _text(slide, top, CAPTION_HEIGHT, [" ".join([caption, *notes])], Pt(14), italic=True)


def _chart(slide: Slide, data: ChartData) -> None:
    """A native chart of ``data`` over the slide's body: horizontal bars with their
    figures, or lines with markers; a legend only for several series."""
    bar = data.chart.kind == "bar"
    kind = XL_CHART_TYPE.BAR_CLUSTERED if bar else XL_CHART_TYPE.LINE_MARKERS
    figures = _chart_data(data, reverse=bar)
    # python-pptx annotates add_chart as taking its ChartData alias and returning a Chart:
    # it takes any CategoryChartData and returns the GraphicFrame holding the chart.
    shape = slide.shapes.add_chart(kind, MARGIN, BODY_TOP, INNER, BODY_HEIGHT, figures)  # type: ignore[arg-type]
    chart = cast(GraphicFrame, shape).chart
    chart.font.size = Pt(12)
    chart.has_title = False  # the slide's title names it
    chart.has_legend = len(data.series) > 1
    if chart.has_legend:
        chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
    axis = chart.value_axis
    axis.has_major_gridlines = True
    axis.tick_labels.number_format = "0%" if data.percent else "#,##0"
    axis.tick_labels.number_format_is_linked = False
    _axis_title(axis, data.chart.y_title)
    _axis_title(chart.category_axis, data.chart.x_title)
    if bar:
        chart.plots[0].has_data_labels = True
        chart.plots[0].data_labels.font.size = Pt(11)


def _chart_data(data: ChartData, reverse: bool) -> CategoryChartData:
    """The labels and series; ``reverse`` for bars: PowerPoint draws the first category at
    the bottom, so the rows go in reversed and the table's first row is the top bar
    (reversing the axis instead would move the values' axis to the top)."""
    order = slice(None, None, -1 if reverse else 1)
    figures = CategoryChartData(  # type: ignore[no-untyped-call]  # untyped in python-pptx
        number_format="0%" if data.percent else "#,##0"
    )
    figures.categories = data.labels[order]
    for name, values in data.series:
        figures.add_series(name, values[order])  # type: ignore[no-untyped-call]
    return figures


def _axis_title(axis: _BaseAxis, title: str) -> None:
    if title:
        axis.axis_title.text_frame.text = title


def _chart_notes(data: ChartData, drawn: ChartData) -> list[str]:
    notes = (
        [f"Chart: the first {len(drawn.labels)} of {data.rows} rows."]
        if drawn.rows > len(drawn.labels)
        else []
    )
    if data.left_out:
        plural = "s" if data.left_out > 1 else ""
        notes.append(
            f"{data.left_out} hidden count{plural} ({FEWER} or {SMALL}) left out of the chart."
        )
    return notes


def _summary(table: Table, data: ChartData | None) -> str:
    """One line: the largest bars, the latest period of a series, or the table's size."""
    if data is not None and data.chart.kind == "bar":
        name, values = data.series[0]
        top = [
            f"{label} ({_figure(v, data.percent)})"
            for label, v in zip(data.labels, values, strict=True)
            if v is not None
        ][:3]
        return f"{name}, first rows: " + "; ".join(top) + "."
    if data is not None:
        parts = [
            f"{name} {_figure(values[-1], data.percent)}"
            for name, values in data.series
            if values[-1] is not None
        ]
        return (
            f"Latest, {data.labels[-1]}: " + ", ".join(parts) + "."
            if parts
            else f"{len(data.labels)} periods."
        )
    return (
        f"{table.height} row{'s' if table.height != 1 else ''}: "
        + ", ".join(c.name for c in table.columns)
        + "."
    )


def _figure(value: float | None, percent: bool) -> str:
    if value is None:
        return ""
    return f"{value:.0%}" if percent else f"{value:,.{0 if value.is_integer() else 1}f}"


def _grid(slide: Slide, table: Table) -> int:
    """The first rows as a native table: text left, numbers right, columns as wide as
    their content. Returns where the table ends (EMU from the top)."""
    rows = table.rows(ROW_LIMIT)
    texts = [[c.name for c in table.columns]] + [[shown(c) for c in row] for row in rows]
    size = Pt(14 if len(table.columns) <= 6 else 11 if len(table.columns) <= 10 else 8)
    row_height = Inches(0.36 if size.pt > 10 else 0.28)
    shape = slide.shapes.add_table(
        len(texts),
        len(table.columns),
        MARGIN,
        BODY_TOP,
        INNER,
        Emu(row_height * len(texts)),
    )
    grid = shape.table
    lengths = [max(len(row[k]) for row in texts) + 2 for k in range(len(table.columns))]
    for k, length in enumerate(lengths):
        grid.columns[k].width = Emu(int(INNER * length / sum(lengths)))
    for i, row in enumerate(texts):
        for k, text in enumerate(row):
            cell = grid.cell(i, k)
            cell.text = text
            paragraph = cell.text_frame.paragraphs[0]
            paragraph.font.size = size
            paragraph.font.bold = i == 0
            paragraph.alignment = PP_ALIGN.RIGHT if table.columns[k].numeric else PP_ALIGN.LEFT
    return int(BODY_TOP + row_height * len(texts))


def _map_slide(deck: Deck, picture: MapPicture) -> None:
    slide = _slide(deck, picture.title)
    drawn = map_png(picture)
    width: Length = INNER
    height: Length = BODY_HEIGHT
    if width * drawn.aspect > height:
        width = Emu(int(height / drawn.aspect))
    else:
        height = Emu(int(width * drawn.aspect))
    left = Emu(int((WIDTH - width) / 2))
    slide.shapes.add_picture(io.BytesIO(drawn.png), left, BODY_TOP, width, height)
    if picture.caption:
        _text(slide, CAPTION_TOP, CAPTION_HEIGHT, [picture.caption], Pt(12), italic=True)
