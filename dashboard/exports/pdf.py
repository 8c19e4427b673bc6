"""The view as a printable A4 landscape PDF report (fpdf2, core fonts; pure).

The header block, then each table under its name: its caption, its chart as a picture,
the table itself (text left, numbers right, columns as wide as their content, the header
row repeated on every page the table runs onto); the map picture last; "Page n of N" in
every footer.
"""

from __future__ import annotations

import io

from fpdf import FPDF
from fpdf.enums import TableCellFillMode

from dashboard.exports.cells import Table, shown
from dashboard.exports.pictures import Picture, chart_png, map_png
from dashboard.exports.view import ExportView, MapPicture

FONT = "Helvetica"
BAR_LIMIT = 25
"""Bars drawn in a PDF chart (a table of every ward follows it in full)."""
CELL_PADDING_MM = 4.0
MAX_COLUMN_MM = 90.0
_LATIN1 = str.maketrans(
    {"–": "-", "—": "-", "−": "-", "×": "x", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."}
    | {"→": "->"}
)


def _pdf_text(value: object) -> str:
    """PDF core fonts are Latin-1: common typographic characters are replaced, anything
    else outside Latin-1 becomes '?' (never an error)."""
    text = "" if value is None else str(value)
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


class Report(FPDF):
    """A4 landscape with the export's name and 'Page n of N' in each footer."""

    def __init__(self, view: ExportView) -> None:
        super().__init__(orientation="L", format="A4")
        self.footer_text = _pdf_text(f"safer-tracker - {view.title} - for {view.role.value}")
        self.set_title(_pdf_text(view.title))
        self.set_creator("safer-tracker")
        self.set_auto_page_break(auto=True, margin=15)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, size=8)
        self.set_text_color(90)
        self.cell(w=self.epw / 2, h=5, text=self.footer_text, align="L")
        self.cell(w=self.epw / 2, h=5, text=f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0)


def to_pdf(view: ExportView) -> bytes:
    tables = view.typed()
    pdf = Report(view)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(text=_pdf_text(f"safer-tracker - {view.title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for item, value in view.about(tables)[1:]:
        pdf.multi_cell(
            w=0, text=_pdf_text(f"{item}: {value}"), align="L", new_x="LMARGIN", new_y="NEXT"
        )
    for table in tables:
        _section(pdf, view, table)
    if view.map is not None:
        _map(pdf, view.map)
    return bytes(pdf.output())


def _section(pdf: FPDF, view: ExportView, table: Table) -> None:
    """A table's heading and caption, its chart, then the table (or '(no rows)')."""
    data = view.chart_data(table)
    notes = [view.captions.get(table.name, "")]
    if data is not None and data.rows > BAR_LIMIT and data.chart.kind == "bar":
        notes.append(f"Chart: the first {BAR_LIMIT} of {data.rows} rows, all in the table.")
    picture = None if data is None else chart_png(data.first(BAR_LIMIT))
    width = 170.0 if data is not None and data.chart.kind == "bar" else 200.0
    size = None if picture is None else _size(pdf, picture, width)
    _heading(pdf, table.name, " ".join(n for n in notes if n), keep=size[1] if size else 20)
    if picture is not None and size is not None:
        _picture(pdf, picture, size)
    if not table.height:
        pdf.set_font(FONT, size=8)
        pdf.cell(text="(no rows)", new_x="LMARGIN", new_y="NEXT")
        return
    _grid(pdf, table)


def _map(pdf: FPDF, picture: MapPicture) -> None:
    drawn = map_png(picture)
    size = _size(pdf, drawn, 200.0)
    _heading(pdf, picture.title, picture.caption, keep=size[1])
    _picture(pdf, drawn, size)


def _heading(pdf: FPDF, title: str, caption: str, keep: float) -> None:
    """A section's title and caption, on a new page when the ``keep`` mm that follow them
    (a picture, a few rows) would not fit under them on this one."""
    pdf.ln(4)
    if pdf.will_page_break(12 + (5 if caption else 0) + keep):
        pdf.add_page()
    pdf.set_font(FONT, "B", 12)
    pdf.cell(text=_pdf_text(title), new_x="LMARGIN", new_y="NEXT")
    if caption:
        pdf.set_font(FONT, "I", 9)
        pdf.multi_cell(w=0, text=_pdf_text(caption), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _size(
    pdf: FPDF, picture: Picture, width: float, max_height: float = 150.0
) -> tuple[float, float]:
    """Width and height in mm: ``width`` or narrower, so as to be at most ``max_height``
    tall and within the margins, at the picture's aspect ratio."""
    width = min(width, max_height / picture.aspect, pdf.epw)
    return width, width * picture.aspect


def _picture(pdf: FPDF, picture: Picture, size: tuple[float, float]) -> None:
    """The picture at the left margin, on the next page when it does not fit on this one."""
    if pdf.will_page_break(size[1]):
        pdf.add_page()
    pdf.image(io.BytesIO(picture.png), x=pdf.l_margin, w=size[0], h=size[1])
    pdf.ln(2)


def _grid(pdf: FPDF, table: Table) -> None:
    """Text columns left, numeric ones right; each column as wide as its widest value
    (up to ``MAX_COLUMN_MM``), the whole table narrowed to the page if need be."""
    pdf.set_font(FONT, size=8)
    rows = [[_pdf_text(shown(c)) for c in row] for row in table.rows()]
    header = [_pdf_text(c.name) for c in table.columns]
    widths = _widths(pdf, header, rows)
    aligns = tuple("RIGHT" if c.numeric else "LEFT" for c in table.columns)
    with pdf.table(
        width=sum(widths),
        col_widths=widths,
        align="LEFT",
        text_align=aligns,
        cell_fill_color=235,
        cell_fill_mode=TableCellFillMode.ROWS,
        line_height=5,
        repeat_headings=1,
    ) as grid:
        for values in [header, *rows]:
            line = grid.row()
            for value in values:
                line.cell(value)


def _widths(pdf: FPDF, header: list[str], rows: list[list[str]]) -> list[float]:
    widths = []
    for k, name in enumerate(header):
        pdf.set_font(FONT, "B", 8)
        longest = pdf.get_string_width(name)
        pdf.set_font(FONT, size=8)
        longest = max([longest, *(pdf.get_string_width(row[k]) for row in rows)])
        widths.append(min(longest + CELL_PADDING_MM, MAX_COLUMN_MM))
    scale = min(1.0, pdf.epw / sum(widths))
    return [w * scale for w in widths]
