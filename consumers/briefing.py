"""The morning briefing per subscriber: "what happened overnight", as a PDF and an
e-mail-ready message (``safer briefing make`` / ``run``).

Built from the subscriber's **own topic** only (``safer.sub.<name>.v1``), so it can hold
nothing its sharing agreement does not allow: for a records-level agreement, the records
that began overnight (18:00 yesterday to the briefing hour, UK time) — counts by category
and by ward where the agreement places records, and the records themselves as they were
shared (each record's latest version; withdrawn ones left out); for an aggregates-level
agreement, the disclosed counts of the last closed day (its figures are per day).

Written to ``<state_dir>/briefings/<subscriber>/<date>.{pdf,html,eml}``: the HTML uses
inline styles and no external resources (mail clients strip the rest), and the ``.eml`` is
a MIME message with the HTML, a plain-text part and the PDF attached, ready for the
partnership's mail relay (sending it is the relay's job: nothing here holds mail
credentials).
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from fpdf import FPDF

from geography.areas import Areas
from operations.documents import pdf_table
from operations.text import pdf_text
from schemas.calendar import LONDON
from schemas.categories import CATEGORY_NAMES

SINCE = time(18, 0)
SHOWN = 200
"""Records listed in full at most (the counts cover them all)."""


@dataclass(frozen=True, slots=True)
class Briefing:
    subscriber: str
    day: date
    start: datetime
    end: datetime
    level: str
    records: list[dict[str, Any]] = field(default_factory=list)
    counts: list[dict[str, Any]] = field(default_factory=list)
    """Aggregates level: the last closed day's figures (SharedCount JSON)."""

    @property
    def by_category(self) -> Counter[str]:
        return Counter(str(r["data"].get("category", "not shared")) for r in self.records)

    @property
    def by_ward(self) -> Counter[str]:
        wards = (r["data"].get("location", {}).get("ward_code") for r in self.records)
        return Counter(w for w in wards if w)


def window(day: date, hour: int) -> tuple[datetime, datetime]:
    """Overnight before ``day``'s briefing: 18:00 the evening before to ``hour`` (UK time)."""
    start = datetime.combine(day - timedelta(days=1), SINCE, LONDON)
    return start, datetime.combine(day, time(hour, 0), LONDON)


def build(
    subscriber: str, level: str, messages: Iterable[dict[str, Any]], day: date, hour: int
) -> Briefing:
    """The briefing of ``day`` from every message of the subscriber's topic."""
    start, end = window(day, hour)
    if level == "aggregates":
        closed = (day - timedelta(days=1)).isoformat()
        latest: dict[str, dict[str, Any]] = {}
        for m in messages:
            cell = f"{m['level']}|{m['area']}|{m['category']}|{m['day']}"
            if m["day"] == closed and m["version"] >= latest.get(cell, {"version": 0})["version"]:
                latest[cell] = m
        counts = sorted(latest.values(), key=lambda m: (m["level"], m["area"], m["category"]))
        return Briefing(subscriber, day, start, end, level, counts=counts)
    records: dict[str, dict[str, Any]] = {}
    for m in messages:
        known = records.get(m["record_key"])
        if known is None or m["version"] >= known["version"]:
            records[m["record_key"]] = m
    overnight = [
        r for r in records.values() if r["status"] == "active" and start <= _began(r) < end
    ]
    overnight.sort(key=_began)
    return Briefing(subscriber, day, start, end, level, records=overnight)


def _began(record: Mapping[str, Any]) -> datetime:
    occurred = record["data"].get("occurred") or {}
    return datetime.fromisoformat(str(occurred.get("start") or record["time"]))


def _name(category: str) -> str:
    return CATEGORY_NAMES.get(category, category)


def _when(at: datetime) -> str:
    return at.astimezone(LONDON).strftime("%a %d %b %H:%M")


def title(b: Briefing) -> str:
    return f"Overnight briefing for {b.subscriber}, {b.day:%A %d %B %Y}"


def summary(b: Briefing, areas: Areas) -> list[str]:
    if b.level == "aggregates":
        return [
            f"Counts for {b.day - timedelta(days=1):%A %d %B} (the last closed day), as your "
            "agreement discloses them: small counts are not shown exactly.",
        ]
    lines = [
        f"{len(b.records)} record(s) shared with you began between {_when(b.start)} and "
        f"{_when(b.end)} (UK time)."
    ]
    if b.records and not b.by_ward:
        lines.append("Your agreement shares no location.")
    return lines


def rows(b: Briefing, areas: Areas) -> tuple[list[str], list[list[str]]]:
    """The main table: records (when, category, ward) or the day's counts."""
    if b.level == "aggregates":
        header = ["Level", "Area", "Category", "Count"]
        body = [
            [
                str(m["level"]).capitalize(),
                _area(m["area"], areas),
                _name(m["category"]),
                m["shown"],
            ]
            for m in b.counts
        ]
        return header, body
    header = ["Began (UK time)", "Category", "Ward"]
    body = [
        [
            _when(_began(r)),
            _name(str(r["data"].get("category", "not shared"))),
            areas.ward_name(r["data"].get("location", {}).get("ward_code", "")) or "not shared",
        ]
        for r in b.records[:SHOWN]
    ]
    return header, body


def _area(code: str, areas: Areas) -> str:
    return areas.authority_names.get(code) or areas.ward_name(code)


def to_html(b: Briefing, areas: Areas) -> str:
    header, body = rows(b, areas)
    cell = 'style="border:1px solid #999;padding:4px 8px;text-align:left"'
    table = "".join(
        f"<tr>{''.join(f'<td {cell}>{html.escape(str(v))}</td>' for v in row)}</tr>" for row in body
    )
    heads = "".join(f"<th {cell}>{html.escape(h)}</th>" for h in header)
    by_cat = "".join(
        f"<li>{html.escape(_name(c))}: {n}</li>" for c, n in b.by_category.most_common()
    )
    more = (
        f"<p>The first {SHOWN} of {len(b.records)} are listed.</p>"
        if len(b.records) > SHOWN
        else ""
    )
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in summary(b, areas))
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>{html.escape(title(b))}</title></head>"
        '<body style="font-family:Arial,sans-serif;color:#1b1b1b">'
        f'<h1 style="font-size:20px">{html.escape(title(b))}</h1>{paragraphs}'
        + (f'<h2 style="font-size:16px">By category</h2><ul>{by_cat}</ul>' if by_cat else "")
        + f'<table style="border-collapse:collapse"><tr>{heads}</tr>{table}</table>{more}'
        '<p style="color:#555;font-size:12px">Only what your data-sharing agreement allows. '
        "Do not forward outside your organisation.</p></body></html>"
    )


def to_text(b: Briefing, areas: Areas) -> str:
    header, body = rows(b, areas)
    lines = [title(b), "", *summary(b, areas), ""]
    lines += [" | ".join(header)] + [" | ".join(str(v) for v in row) for row in body]
    return "\n".join(lines) + "\n"


def to_pdf(b: Briefing, areas: Areas) -> bytes:
    pdf = FPDF(orientation="P", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, pdf_text(title(b)), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for line in summary(b, areas):
        pdf.multi_cell(0, 5.5, pdf_text(line), align="L", new_x="LMARGIN", new_y="NEXT")
    if b.by_category:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, "By category", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for category, n in b.by_category.most_common():
            pdf.cell(0, 5.5, pdf_text(f"{_name(category)}: {n}"), new_x="LMARGIN", new_y="NEXT")
    header, body = rows(b, areas)
    if body:
        pdf.ln(3)
        pdf_table(pdf, header, body)
    pdf.ln(3)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(
        0, 4.5, "Only what your data-sharing agreement allows.", align="L", new_x="LMARGIN"
    )
    return bytes(pdf.output())


def to_email(b: Briefing, areas: Areas, pdf: bytes, sender: str, to: str) -> bytes:
    message = EmailMessage()
    message["Subject"] = title(b)
    message["From"] = sender
    message["To"] = to
    message.set_content(to_text(b, areas))
    message.add_alternative(to_html(b, areas), subtype="html")
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=f"briefing-{b.day.isoformat()}.pdf"
    )
    return bytes(message)


def write(b: Briefing, areas: Areas, folder: Path, sender: str, to: str) -> list[Path]:
    """The briefing's three files (each written whole, then renamed into place)."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = to_pdf(b, areas)
    files = {
        "pdf": pdf,
        "html": to_html(b, areas).encode(),
        "eml": to_email(b, areas, pdf, sender, to),
    }
    written = []
    for suffix, content in files.items():
        target = folder / f"{b.day.isoformat()}.{suffix}"
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(content)
        tmp.replace(target)
        written.append(target)
    return written
