"""Typing of displayed values for exports (``dashboard.exports.cells``) and the figures a
chart draws from a typed table (``dashboard.exports.view.chart_data``)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregates.disclosure import FEWER, SMALL
from dashboard.exports import Chart
from dashboard.exports.cells import (
    Cell,
    number_format,
    plain,
    shown,
    typed,
    typed_column,
    typed_table,
)
from dashboard.exports.view import chart_data
from tests.unit.test_exports import categories, monthly


@pytest.mark.parametrize(
    ("displayed", "value", "kind"),
    [
        ("1,720", 1720, "count"),
        ("15", 15, "count"),
        ("+1,234", 1234, "count"),
        ("-3", -3, "count"),
        ("−3", -3, "count"),  # a typographic minus
        ("2.4", 2.4, "number"),
        ("15%", 0.15, "percent"),
        ("+12%", 0.12, "percent"),
        ("12.5%", 0.125, "percent"),
        (911, 911, "count"),
        (15.0, 15, "count"),
        (2.5, 2.5, "number"),
        (None, None, "blank"),
        (math.nan, None, "blank"),
        (pd.NA, None, "blank"),
        ("  ", None, "blank"),
        (FEWER, FEWER, "text"),
        (SMALL, SMALL, "text"),
        ("Birkenhead (E05000956)", "Birkenhead (E05000956)", "text"),
        ("Last 24 hours", "Last 24 hours", "text"),
        ("07", "07", "text"),  # a leading zero: a code or hour label, not a quantity
        ("1,72", "1,72", "text"),
        ("2026-06", "2026-06", "text"),
    ],
)
def test_a_displayed_value_converts_only_when_wholly_a_number(
    displayed: object, value: object, kind: str
) -> None:
    """Strings become numbers only when they are wholly one; NaN and None are blank."""
    cell = typed(displayed)
    assert (cell.value, cell.kind) == (value, kind)
    assert type(cell.value) is type(value)


@pytest.mark.parametrize(
    ("displayed", "page", "csv", "excel"),
    [
        ("1,720", "1,720", "1720", "#,##0"),
        ("+1,234", "+1,234", "1234", "+#,##0;-#,##0;#,##0"),
        ("2.4", "2.4", "2.4", "0.0"),
        ("15%", "15%", "15", "0%"),
        ("+12%", "+12%", "12", "+0%;-0%;0%"),
        ("12.5%", "12.5%", "12.5", "0.0%"),
        (FEWER, FEWER, FEWER, "General"),
    ],
)
def test_a_cell_is_written_as_the_page_showed_it(
    displayed: str, page: str, csv: str, excel: str
) -> None:
    """As shown (PDF, slides), plain (CSV) and as an Excel number format."""
    cell = typed(displayed)
    assert (shown(cell), plain(cell), number_format(cell)) == (page, csv, excel)


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_thousands_separated_counts_round_trip(n: int) -> None:
    """Any count the page shows with separators is that int, and shows the same again."""
    cell = typed(f"{n:,}")
    assert cell == Cell(n, "count")
    assert shown(cell) == f"{n:,}"
    assert plain(cell) == str(n)


@given(st.integers(min_value=-1000, max_value=1000))
def test_whole_percentages_round_trip(n: int) -> None:
    """'n%' is the fraction n / 100 and is written back as 'n%' and n."""
    cell = typed(f"{n}%")
    assert cell.kind == "percent"
    assert cell.value == pytest.approx(n / 100)
    assert (shown(cell), plain(cell)) == (f"{n}%", str(n))


def test_a_numeric_column_keeps_hidden_markers_as_text() -> None:
    """Numbers and hidden markers make a numeric column; the markers stay text."""
    column = typed_column("Police", ["1,720", FEWER, None, SMALL, "n/a"])
    assert column.numeric
    assert [c.kind for c in column.cells] == ["count", "text", "blank", "text", "text"]
    assert column.hidden == 3


def test_label_columns_stay_text() -> None:
    """A text with digits beside a number, a column of digitless text only, and a chart's
    label column are text columns; a column of small counts only is still counts."""
    verdicts = typed_column("Verdict", ["3", "not enough history: 2 of 8 weeks"])
    assert not verdicts.numeric
    assert verdicts.cells[0] == Cell("3", "text")
    assert not typed_column("Note", ["n/a", "–"]).numeric
    small = typed_column("Police", [FEWER, None, SMALL])
    assert small.numeric
    assert small.hidden == 2
    years = typed_column("Year", [2025, 2026], label=True)
    assert [c.value for c in years.cells] == ["2025", "2026"]


def test_rate_columns_have_one_decimal_and_decimals_alike() -> None:
    """A rate column shows one decimal; a column mixing 2 and 2.5 shows both alike."""
    rates = typed_column("Rate per 1,000 residents", ["2", "2.4", FEWER])
    assert [shown(c) for c in rates.cells] == ["2.0", "2.4", FEWER]
    assert {number_format(c) for c in rates.cells if c.numeric} == {"0.0"}
    assert [shown(c) for c in typed_column("Mean", [2.0, 2.5]).cells] == ["2.0", "2.5"]
    assert typed_column("Separated", ["2"]).cells[0] == Cell(2, "count")


def test_bar_chart_data_leaves_hidden_rows_out() -> None:
    """A bar chart draws the rows with a number and counts the hidden ones it left out."""
    table = typed_table("Categories", categories(), labels=["Category"])
    data = chart_data(table, Chart("bar", "Category", ("Incidents",)))
    assert data is not None
    assert data.labels == ("ASB – nuisance", "Burglary", "Criminal damage", "Vehicle crime")
    assert data.series == (("Incidents", (1720.0, 911.0, 523.0, 15.0)),)
    assert data.left_out == 1
    assert data.first(2).labels == data.labels[:2]
    assert data.first(2).rows == 4


def test_line_chart_data_keeps_every_period_with_gaps() -> None:
    """A line chart keeps each period; a blank is a gap (None) in its series."""
    table = typed_table("Monthly", monthly(), labels=["Month"])
    data = chart_data(table, Chart("line", "Month", ("Incidents", "Year earlier")))
    assert data is not None
    assert len(data.labels) == 6
    assert dict(data.series)["Year earlier"][:2] == (None, 1420.0)
    assert dict(data.series)["Incidents"][-1] == 1720.0


def test_a_chart_of_missing_or_empty_columns_is_left_out() -> None:
    """No chart when the label column is missing or no value column holds a number."""
    table = typed_table("Categories", categories())
    assert chart_data(table, Chart("bar", "Ward", ("Incidents",))) is None
    assert chart_data(table, Chart("bar", "Category", ("Total",))) is None
    empty = typed_table("Empty", pd.DataFrame(columns=["Category", "Incidents"]))
    assert chart_data(empty, Chart("bar", "Category", ("Incidents",))) is None
