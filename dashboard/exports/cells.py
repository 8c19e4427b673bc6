"""What each displayed value of an exported table is (pure).

Pages pass the frames they displayed: ints and floats for the analyst, text such as
"1,720", "15%", "+12%" or "2.4" for other roles, None or NaN for nothing, and hidden
markers ("fewer than 5", "small numbers") in place of small counts. ``typed`` turns one
displayed value into a ``Cell`` (value and kind); ``typed_table`` types a whole frame by
columns, so every format writes numbers as numbers and hidden markers as text.

Rules:

- Only a string that is wholly a number converts ("1,720", "+1,234", "-3", "2.4", "15%");
  a label such as "Birkenhead (E05000956)" or "Last 24 hours" stays text, and so does a
  number with a leading zero ("07", a code or an hour label, not a quantity).
- A column is numeric when every non-blank value is a number or a hidden marker —
  "fewer than 5", "small numbers" or any text without a digit ("n/a", "–") — and at least
  one is a number or one of those two (a column of small counts only is still counts). A
  text with digits in it ("2 of 8 weeks") makes the column a text column: it is a label
  column that happens to hold a number somewhere.
- A column named with "per 1,000" or the word "rate" holds decimals with one place.
- The label column of a chart (``Chart.x``) is text whatever it holds (years, periods).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from aggregates.disclosure import FEWER, SMALL

Kind = Literal["count", "number", "percent", "text", "blank"]
NUMERIC: frozenset[Kind] = frozenset({"count", "number", "percent"})
MARKERS = frozenset({FEWER, SMALL})

_NUMBER = re.compile(r"([+-]?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?)(%?)")
_LEADING_ZERO = re.compile(r"0\d")
_RATE = re.compile(r"per 1,000|\brate\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Cell:
    """One value as exported: ``value`` is an int (count), a float (number; a percent as
    a fraction, 15% is 0.15), the text as shown, or None (blank). ``decimals`` is the
    number of decimal places shown (of the percentage for a percent), ``signed`` whether
    a plus sign was shown ("+12%")."""

    value: int | float | str | None
    kind: Kind
    decimals: int = 0
    signed: bool = False

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    @property
    def number(self) -> float | None:
        """The value as a float for charts (None unless numeric)."""
        return float(self.value) if isinstance(self.value, int | float) else None


BLANK = Cell(None, "blank")


def typed(value: object) -> Cell:
    """A displayed value as a Cell: ints are counts, floats counts when whole else
    numbers, strings converted only when wholly a number."""
    if _is_blank(value):
        return BLANK
    if isinstance(value, bool):
        return Cell(str(value), "text")
    if isinstance(value, numbers.Integral):
        return Cell(int(value), "count")
    if isinstance(value, numbers.Real):
        return _from_float(float(value))
    return _from_text(str(value))


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _from_float(value: float) -> Cell:
    if not math.isfinite(value):
        return Cell(str(value), "text")
    if value.is_integer():
        return Cell(int(value), "count")
    return Cell(value, "number", 1 if round(value, 1) == value else 2)


def _from_text(text: str) -> Cell:
    match = _NUMBER.fullmatch(text.strip().replace("\u2212", "-"))
    if match is None or _LEADING_ZERO.match(match.group(2)):
        return Cell(text, "text")
    sign, body, fraction, percent = match.groups()
    decimals = len(fraction or "")
    magnitude = float(body.replace(",", "")) if fraction else int(body.replace(",", ""))
    value = -magnitude if sign == "-" else magnitude
    if percent:
        return Cell(round(value / 100, decimals + 2), "percent", decimals, sign == "+")
    return Cell(value, "number" if fraction else "count", decimals, sign == "+")


def is_marker(cell: Cell) -> bool:
    """A hidden figure: a known marker, or text without a digit."""
    text = str(cell.value)
    return cell.kind == "text" and (text in MARKERS or not any(c.isdigit() for c in text))


@dataclass(frozen=True, slots=True)
class Column:
    """A typed column: ``numeric`` columns hold numbers and hidden markers (text) only."""

    name: str
    cells: tuple[Cell, ...]
    numeric: bool

    @property
    def hidden(self) -> int:
        """How many values are hidden markers (text in a numeric column)."""
        return sum(c.kind == "text" for c in self.cells) if self.numeric else 0

    @property
    def percent(self) -> bool:
        """Whether every number in the column is a percentage."""
        return self.numeric and all(c.kind == "percent" for c in self.cells if c.numeric)


def typed_column(name: str, values: Sequence[object], label: bool = False) -> Column:
    """One column of a frame, typed by the rules above (``label``: a chart's label column,
    always text)."""
    cells = [typed(v) for v in values]
    if label or not _numeric(cells):
        return Column(
            name, tuple(_as_text(v, c) for v, c in zip(values, cells, strict=True)), False
        )
    return Column(name, _decimals_alike(cells, 1 if _RATE.search(name) else 0), True)


def _numeric(cells: Sequence[Cell]) -> bool:
    """Numbers and markers only, with a number or a known marker among them (a column of
    'fewer than 5' only is a column of counts, one of 'n/a' only is not)."""
    shown = [c for c in cells if c.kind != "blank"]
    known = any(c.numeric or c.value in MARKERS for c in shown)
    return known and all(c.numeric or is_marker(c) for c in shown)


def _as_text(value: object, cell: Cell) -> Cell:
    """A value of a text column as the page showed it."""
    return BLANK if cell.kind == "blank" else Cell(str(value), "text")


def _decimals_alike(cells: Sequence[Cell], minimum: int) -> tuple[Cell, ...]:
    """Counts and decimals of one column with the same places (a rate column: at least
    one), so that 2 and 2.5 read as 2.0 and 2.5; percentages keep their own."""
    places = max([minimum] + [c.decimals for c in cells if c.kind in ("count", "number")])
    if not places:
        return tuple(cells)
    return tuple(
        Cell(float(c.value), "number", places, c.signed)
        if c.kind in ("count", "number") and isinstance(c.value, int | float)
        else c
        for c in cells
    )


@dataclass(frozen=True, slots=True)
class Table:
    """A frame as typed columns, under the name the page gave it."""

    name: str
    columns: tuple[Column, ...]

    @property
    def height(self) -> int:
        return len(self.columns[0].cells) if self.columns else 0

    @property
    def hidden(self) -> int:
        return sum(c.hidden for c in self.columns)

    def rows(self, limit: int | None = None) -> list[tuple[Cell, ...]]:
        cells = [c.cells[:limit] for c in self.columns]
        return list(zip(*cells, strict=True))

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def typed_table(name: str, frame: pd.DataFrame, labels: Iterable[str] = ()) -> Table:
    """``frame`` typed by columns; ``labels`` names columns that stay text."""
    keep = set(labels)
    return Table(
        name,
        tuple(
            typed_column(str(column), frame.iloc[:, i].tolist(), str(column) in keep)
            for i, column in enumerate(frame.columns)
        ),
    )


# --- how a cell is written ---------------------------------------------------------------


def shown(cell: Cell) -> str:
    """The cell as a page shows it: '1,720', '2.4', '15%', '+12%', or its text."""
    if not cell.numeric or cell.value is None:
        return "" if cell.value is None else str(cell.value)
    sign = "+" if cell.signed else ""
    if cell.kind == "percent":
        return f"{float(cell.value) * 100:{sign}.{cell.decimals}f}%"
    return f"{cell.value:{sign},.{cell.decimals}f}"


def plain(cell: Cell) -> str:
    """The cell for a CSV: a number with no thousands separator or sign padding (a percent
    as its number of percent: 15% is '15'), or its text."""
    if not cell.numeric or cell.value is None:
        return "" if cell.value is None else str(cell.value)
    number = float(cell.value) * 100 if cell.kind == "percent" else cell.value
    return f"{number:.{cell.decimals}f}"


def number_format(cell: Cell) -> str:
    """The Excel number format that shows the cell as the page did: '#,##0' for counts,
    '0.0' for one-place decimals (rates), '0%' for percentages; signed when a plus sign
    was shown ('+0%;-0%;0%')."""
    places = "." + "0" * cell.decimals if cell.decimals else ""
    base = {"count": "#,##0", "number": "0" + places, "percent": "0" + places + "%"}.get(
        cell.kind, "General"
    )
    return f"+{base};-{base};{base}" if cell.signed and base != "General" else base
