"""Adapter: police.uk street-level crime, CSV (``*-street.csv``) or API JSON -> ``police.crime``.

Rows go in exactly as forces publish them (12 columns, month-only dates, 2011 LSOA codes).
The police.uk API's ``crimes-street`` JSON (``*-street.json``, ``feeds.adapters.police_api``) is
read into the same 12 columns, so both formats share the keys, periods and events below:

* ``record_key``: ``police:{force}:{Crime ID}``. Anti-social behaviour rows have no Crime ID
  and identical ASB rows are separate incidents, so their key is a hash of the row's content
  plus its occurrence among identical rows of the month (``…:2`` is the second identical
  row) — stable under re-import and re-ordering, unlike a line number.
* The month becomes the event-time interval [first day 00:00, next month) in UK local time
  (stored in UTC), so it counts in any window covering the month and is ``unplaced`` in
  shorter ones.
* ``Location`` ("On or near …", police.uk's anonymised map point) becomes the controlled
  place field; the LSOA code is the publisher's own assignment and is kept as given (its ward
  is found from it downstream); the LSOA name and the force columns are not carried.
* A row that cannot be read (wrong columns, unknown crime type, bad month or coordinates)
  is a ``RowError`` naming its file and line, never an exception.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from feeds.adapters.rows import Row, RowError, envelope, read_csv
from schemas.calendar import LONDON
from schemas.categories import CATEGORY_NAMES, CrimeType, EventKind, Source
from schemas.events import PoliceCrimeEvent

COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
CRIME_TYPES: dict[str, CrimeType] = {CATEGORY_NAMES[c.value]: c for c in CrimeType}
"""The CSV's crime type names (data.police.uk's display names) -> API slugs."""
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=1024)
def slug(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-")[:63]


def read_street_csv(path: Path) -> Iterator[Row | RowError]:
    """Every row of a street-level crime CSV, adapted or rejected, in file order."""
    seen: Counter[tuple[str, ...]] = Counter()
    yield from read_csv(
        path, COLUMNS, "street-level crime CSV", lambda values, line: adapt(values, line, seen)
    )


def adapt(values: list[str], line: int, seen: Counter[tuple[str, ...]]) -> Row | str:
    """One export row's 12 columns (the CSV's, or an API record's read into them) as a row
    with its record key and period, or why it cannot be one. ``seen`` counts identical ASB
    rows of the file so far (their keys' occurrence number)."""
    if len(values) != len(COLUMNS):
        return f"expected {len(COLUMNS)} columns, found {len(values)}"
    row = dict(zip(COLUMNS, (v.strip() for v in values), strict=True))
    if not _MONTH.match(row["Month"]):
        return f"Month {row['Month']!r} is not YYYY-MM"
    if row["Crime type"] not in CRIME_TYPES:
        return f"unknown crime type {row['Crime type']!r}"
    force = slug(row["Reported by"]).removesuffix("-police") or "unknown"
    fields = tuple(row[c] for c in COLUMNS)
    if row["Crime ID"]:
        if not re.fullmatch(r"[A-Za-z0-9]{8,100}", row["Crime ID"]):
            return f"Crime ID {row['Crime ID']!r} is not an identifier"
        key = f"police:{force}:{row['Crime ID']}"
    else:
        content = fields[1:]
        seen[content] += 1
        digest = hashlib.sha256("\x1f".join(content).encode()).hexdigest()[:40]
        key = f"police:{force}:asb:{digest}:{seen[content]}"
    return Row(key, f"{force}/{row['Month']}", line, fields)


@lru_cache(maxsize=1024)
def month_interval(month: str) -> tuple[datetime, datetime]:
    """[first day 00:00, first day of the next month 00:00) UK local time, in UTC."""
    year, number = int(month[:4]), int(month[5:7])
    start = datetime(year, number, 1, tzinfo=LONDON)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=LONDON)
    return start.astimezone(UTC), end.astimezone(UTC)


def to_event(
    row: Row, version: int, published: datetime, cancelled: bool = False
) -> PoliceCrimeEvent:
    """The ``police.crime`` event of one row version (raises ``ValidationError``)."""
    values = dict(zip(COLUMNS, row.fields, strict=True))
    start, end = month_interval(values["Month"])
    location: dict[str, object] = {}
    if values["Latitude"] and values["Longitude"]:
        location |= {"lat": float(values["Latitude"]), "lon": float(values["Longitude"])}
    if values["Location"] and values["Location"] != "No Location":
        location["place"] = values["Location"]
    if values["LSOA code"]:
        location["lsoa_code"] = values["LSOA code"]
    outcome = slug(values["Last outcome category"]) if values["Last outcome category"] else None
    head = envelope(
        row,
        version,
        published,
        cancelled,
        slug(values["Reported by"]) or "unknown",
        EventKind.POLICE_CRIME,
        Source.POLICE,
    )
    return PoliceCrimeEvent.model_validate(
        {
            **head,
            "data": {
                "occurred": {"start": start, "end": end},
                "received_at": published,
                "location": location,
                "category": CRIME_TYPES[values["Crime type"]],
                "outcome": outcome,
            },
        }
    )
