"""The CSV export read back with csv: plain numbers, hidden markers and the line that
explains them (``dashboard.exports.tabular.to_csv``)."""

from __future__ import annotations

import csv
import io
import re

from aggregates.disclosure import FEWER, SMALL
from dashboard.exports import ExportView, render
from tests.unit.test_exports import CATEGORIES, SOURCES, WARDS, analyst_view, partner_view

SEPARATED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?%?$")


def rows(export: ExportView) -> list[list[str]]:
    data = render(export, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def table(lines: list[list[str]], name: str) -> list[list[str]]:
    """The header and rows under a table's name, up to the blank line after them."""
    start = lines.index([name]) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def test_numbers_are_plain_and_hidden_markers_stay() -> None:
    """No thousands separator in any value; hidden markers keep their text in place."""
    lines = rows(partner_view())
    wards = table(lines, WARDS)
    assert wards[1] == ["Birkenhead and Tranmere (E05000956)", "1720", "15", "1735"]
    assert wards[4] == ["Bidston and St James (E05000955)", FEWER, FEWER, SMALL]
    assert table(lines, CATEGORIES)[4] == ["Drugs", FEWER]
    for line in lines[len(partner_view().about()) :]:
        assert not any(SEPARATED.match(value) for value in line), line


def test_percentages_are_numbers_of_percent_under_a_header_saying_so() -> None:
    """'+12%' is written 12 under 'Change on a year earlier (%)'; rates keep one place."""
    sources = table(rows(partner_view()), SOURCES)
    assert sources[0] == [
        "Source",
        "Incidents",
        "Change on a year earlier (%)",
        "Rate per 1,000 residents",
    ]
    assert sources[1:] == [
        ["Police", "1720", "12", "2.4"],
        ["Council", "911", "-3", "1.3"],
        ["Fire", "15", "15", "0.1"],
    ]


def test_the_header_explains_hidden_counts_when_there_are_some() -> None:
    """The header block gains the hidden-counts line for a partner, not for the analyst."""
    explanation = [
        "Hidden counts",
        "shown as text ('fewer than 5' / 'small numbers'): counts from 1 to 4, and totals "
        "made only of a few of them, are not published.",
    ]
    lines = rows(partner_view())
    assert explanation in lines[: len(partner_view().about())]
    assert explanation not in rows(analyst_view())
    assert table(rows(analyst_view()), WARDS)[1] == [
        "Birkenhead and Tranmere (E05000956)",
        "1718",
        "17",
        "1735",
    ]
