"""Adapter: data.police.uk stop and search CSVs (``*-stop-and-search.csv``) ->
``police.stop-search``, police activity kept out of incident totals.

Rows go in as forces publish them (15 columns, a timestamp per search, a map point or
none, no identifier):

* The file names the force (``YYYY-MM-{force}-stop-and-search.csv``, as data.police.uk names
  its files; the CSV has no force column). A file named otherwise is one ``RowError``.
* ``record_key``: ``police:{force}:search:{hash of the row}:{occurrence}`` — rows have no
  identifier and identical rows are separate searches, so the key is the row's content plus
  its occurrence among identical rows of the file (stable under re-import and re-ordering).
  The month of the file name is the period a re-issue replaces (scope
  ``{force}/stop-search/{month}``, apart from the street-level crimes of the same month).
* The search time is the event's instant; the point (police.uk's anonymised map point)
  places it by point-in-polygon downstream; a search without a point is kept and counted in
  no area, like any out-of-area record.
* Object of search -> category (``StopSearchCategory``; none recorded:
  ``search-not-recorded``); type, legislation, outcome and its link to the object, removal
  of more than outer clothing, part of an operation (yes/no; the operation's free-text name
  is not carried); the searched person's age band and gender. Ethnicity is not carried.
  Spreadsheet-mangled age ranges ("Oct-17" for 10-17) are read as meant.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from feeds.adapters.police import slug
from feeds.adapters.police_api import month_and_force
from feeds.adapters.rows import Adapter, Row, RowError, envelope, read_csv
from schemas.categories import (
    AgeBand,
    EventKind,
    Gender,
    SearchType,
    Source,
    StopSearchCategory,
)
from schemas.events import PoliceStopSearchEvent

COLUMNS = (
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)
CARRIED = tuple(c for c in COLUMNS if "ethnicity" not in c and c != "Policing operation")
"""What a row is compared and keyed on (ethnicity and the operation's name are not carried)."""
OBJECTS: dict[str, StopSearchCategory] = {
    "controlled drugs": StopSearchCategory.DRUGS,
    "article for use in theft": StopSearchCategory.GOING_EQUIPPED,
    "evidence of offences under the act": StopSearchCategory.EVIDENCE,
    "evidence of wildlife offences": StopSearchCategory.EVIDENCE,
    "offensive weapons": StopSearchCategory.OFFENSIVE_WEAPONS,
    "stolen goods": StopSearchCategory.STOLEN_GOODS,
    "firearms": StopSearchCategory.FIREARMS,
    "fireworks": StopSearchCategory.FIREWORKS,
    "articles for use in criminal damage": StopSearchCategory.CRIMINAL_DAMAGE,
    "": StopSearchCategory.NOT_RECORDED,
}
"""data.police.uk's objects of search (lower case) -> category; any other: ``search-other``."""
TYPES = {
    "person search": SearchType.PERSON,
    "vehicle search": SearchType.VEHICLE,
    "person and vehicle search": SearchType.PERSON_AND_VEHICLE,
}
AGES = {
    "under 10": AgeBand.UNDER_10,
    "10-17": AgeBand.AGE_10_17,
    "oct-17": AgeBand.AGE_10_17,  # "10-17" after a spreadsheet read it as a date
    "18-24": AgeBand.AGE_18_24,
    "25-34": AgeBand.AGE_25_34,
    "over 34": AgeBand.AGE_35_PLUS,
}
GENDERS = {"male": Gender.MALE, "female": Gender.FEMALE, "other": Gender.OTHER}
_YES_NO = {"true": True, "false": False, "": None}


def read_stop_search_csv(path: Path) -> Iterator[Row | RowError]:
    """Every row of a stop and search CSV, adapted or rejected, in file order."""
    named = month_and_force(path, "stop-and-search.csv")
    if named is None:
        yield RowError(
            str(path),
            1,
            "the file name does not say the month and force: the CSV carries no force, so "
            "name it as data.police.uk does, YYYY-MM-{force}-stop-and-search.csv with a "
            "data.police.uk force id (e.g. 2018-03-merseyside-stop-and-search.csv)",
            b"",
        )
        return
    month, force_name = named
    force = slug(force_name).removesuffix("-police")
    seen: Counter[tuple[str, ...]] = Counter()
    yield from read_csv(
        path,
        COLUMNS,
        "stop and search CSV",
        lambda values, line: _adapt(values, line, seen, force, force_name, month),
    )


def _adapt(
    values: list[str],
    line: int,
    seen: Counter[tuple[str, ...]],
    force: str,
    force_name: str,
    month: str,
) -> Row | str:
    if len(values) != len(COLUMNS):
        return f"expected {len(COLUMNS)} columns, found {len(values)}"
    row = dict(zip(COLUMNS, (v.strip() for v in values), strict=True))
    if row["Type"].lower() not in TYPES:
        return f"unknown search type {row['Type']!r}"
    try:
        when = datetime.fromisoformat(row["Date"])
    except ValueError:
        return f"Date {row['Date']!r} is not an ISO timestamp"
    if when.tzinfo is None:
        return f"Date {row['Date']!r} has no time zone"
    try:
        when.astimezone(UTC)  # as the event stores it
    except OverflowError:
        return f"Date {row['Date']!r} is out of range"
    for column in (
        "Outcome linked to object of search",
        "Removal of more than just outer clothing",
    ):
        if row[column].lower() not in _YES_NO:
            return f"{column} {row[column]!r} is not True/False"
    if row["Age range"] and row["Age range"].lower() not in AGES:
        return f"unknown age range {row['Age range']!r}"
    fields = (force_name, *(row[c] for c in CARRIED))
    seen[fields] += 1
    digest = hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:40]
    key = f"police:{force}:search:{digest}:{seen[fields]}"
    return Row(key, f"{force}/stop-search/{month}", line, fields)


def to_event(
    row: Row, version: int, published: datetime, cancelled: bool = False
) -> PoliceStopSearchEvent:
    """The ``police.stop-search`` event of one row version (raises ``ValidationError``)."""
    force_name, *carried = row.fields
    values = dict(zip(CARRIED, carried, strict=True))
    location: dict[str, object] = {}
    if values["Latitude"] and values["Longitude"]:
        location |= {"lat": float(values["Latitude"]), "lon": float(values["Longitude"])}
    obj = values["Object of search"].lower()
    age = values["Age range"].lower()
    gender = values["Gender"].lower()
    head = envelope(
        row,
        version,
        published,
        cancelled,
        slug(force_name),
        EventKind.POLICE_STOP_SEARCH,
        Source.POLICE,
    )
    band = AGES.get(age)
    return PoliceStopSearchEvent.model_validate(
        {
            **head,
            "data": {
                "occurred": {"start": datetime.fromisoformat(values["Date"])},
                "received_at": published,
                "location": location,
                "people": {
                    "subject_age_band": band,
                    "subject_gender": GENDERS.get(gender, Gender.UNKNOWN) if gender else None,
                    "youth": None if band is None else band in _YOUTH,
                },
                "category": OBJECTS.get(obj, StopSearchCategory.OTHER),
                "search_type": TYPES[values["Type"].lower()],
                "legislation": slug(values["Legislation"]) or None,
                "outcome": slug(values["Outcome"]) or None,
                "outcome_linked": _YES_NO[values["Outcome linked to object of search"].lower()],
                "clothing_removed": _YES_NO[
                    values["Removal of more than just outer clothing"].lower()
                ],
                "operation": values["Part of a policing operation"].lower() == "true",
            },
        }
    )


_YOUTH = frozenset({AgeBand.UNDER_10, AgeBand.AGE_10_17})

POLICE_STOP_SEARCH = Adapter(
    source=Source.POLICE,
    pattern="*-stop-and-search.csv",
    read=read_stop_search_csv,
    to_event=to_event,
    complete_periods=True,
)
