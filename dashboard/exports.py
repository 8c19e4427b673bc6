"""Exports of the current view to CSV, Excel and PDF (pure: no Streamlit, no Redis).

Every export carries what the view showed and how to read it: the title, the role it was
disclosed for, the filters, the time of extraction (UK time) and the caveats. The tables
are the very frames the page showed, so a partner's export holds the same suppressed and
rounded figures as the partner's screen, never more.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from fpdf import FPDF
from fpdf.enums import TableCellFillMode

from aggregates.disclosure import Role
from dashboard.data import local_time

FORMATS = {
    "csv": ("CSV", "text/csv"),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("PDF", "application/pdf"),
}
PROVENANCE = (
    "Source: safer-tracker, from partner feeds (police, council, fire) as received; "
    "figures can change as late records and corrections arrive."
)


@dataclass(frozen=True, slots=True)
class ExportView:
    title: str
    role: Role
    filters: dict[str, str]
    extracted_at: datetime
    tables: Sequence[tuple[str, pd.DataFrame]]
    caveats: Sequence[str] = field(default_factory=tuple)

    def about(self) -> list[tuple[str, str]]:
        """The header every format carries: what, for whom, when, filtered how, caveats."""
        rows = [
            ("Export", self.title),
            ("Extracted (UK time)", local_time(self.extracted_at)),
            ("Disclosed for role", self.role.value),
        ]
        rows += [(f"Filter: {name}", value) for name, value in self.filters.items()]
        rows += [("Caveat", text) for text in (*self.caveats, PROVENANCE)]
        return rows

    def filename(self, extension: str) -> str:
        stamp = self.extracted_at.strftime("%Y%m%dT%H%MZ")
        slug = "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")
        return f"safer-{slug}-{self.role.value}-{stamp}.{extension}"


def to_csv(view: ExportView) -> bytes:
    """The header rows, a blank line, then each table under its name (UTF-8 with BOM, so
    spreadsheet programs read the dashes and accents)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in view.about():
        writer.writerow(row)
    for name, table in view.tables:
        writer.writerow([])
        writer.writerow([name])
        writer.writerow(list(table.columns))
        for record in table.itertuples(index=False):
            writer.writerow(["" if pd.isna(v) else v for v in record])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_excel(view: ExportView) -> bytes:
    """An 'About' sheet (the header), then one sheet per table."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        about = pd.DataFrame(view.about(), columns=["Item", "Value"])
        about.to_excel(writer, sheet_name="About", index=False)
        used = {"About"}
        for name, table in view.tables:
            sheet = _sheet_name(name, used)
            table.to_excel(writer, sheet_name=sheet, index=False)
        for sheet in writer.sheets.values():
            for column in sheet.columns:
                width = max(len(str(cell.value or "")) for cell in column)
                sheet.column_dimensions[column[0].column_letter].width = min(width + 2, 80)
    return buffer.getvalue()


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join(c for c in name if c not in "[]:*?/\\")[:28] or "Table"
    sheet, n = base, 2
    while sheet in used:
        sheet, n = f"{base[:25]} {n}", n + 1
    used.add(sheet)
    return sheet


_LATIN1 = str.maketrans({"–": "-", "—": "-", "×": "x", "‘": "'", "’": "'", "“": '"', "”": '"'})


def _pdf_text(value: object) -> str:
    """PDF core fonts are Latin-1: common typographic characters are replaced, anything
    else outside Latin-1 becomes '?' (never an error)."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def to_pdf(view: ExportView) -> bytes:
    """A printable A4 landscape report: header block, caveats, then each table."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(_pdf_text(view.title))
    pdf.set_creator("safer-tracker")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(text=_pdf_text(f"safer-tracker - {view.title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for item, value in view.about()[1:]:
        pdf.multi_cell(w=0, text=_pdf_text(f"{item}: {value}"), new_x="LMARGIN", new_y="NEXT")
    for name, table in view.tables:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(text=_pdf_text(name), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=8)
        if table.empty:
            pdf.cell(text="(no rows)", new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(
            cell_fill_color=235, cell_fill_mode=TableCellFillMode.ROWS, line_height=5
        ) as grid:
            header = grid.row()
            for column in table.columns:
                header.cell(_pdf_text(column))
            for record in table.itertuples(index=False):
                row = grid.row()
                for value in record:
                    row.cell(_pdf_text(value))
    return bytes(pdf.output())


def render(view: ExportView, fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(view)
    if fmt == "xlsx":
        return to_excel(view)
    if fmt == "pdf":
        return to_pdf(view)
    raise ValueError(f"unknown export format {fmt!r} (csv, xlsx, pdf)")
