"""Adapter: fire and rescue incident records, in the shapes services publish them ->
``fire.incident``.

Two shapes (recognised by their header), after London Fire Brigade's open data:

* **incident records** (``IncidentNumber, DateOfCall, TimeOfCall, IncidentGroup,
  StopCodeDescription, PropertyCategory, IncGeo_WardCode, Latitude, Longitude,
  Easting_rounded …``): the incident group and stop code give the Home Office category
  (primary, secondary or chimney fire, false alarm, special service);
* **animal rescues** (``INCIDENT_NUMBER, date_time of call, type-of-incident, property
  category, ward code, latitude, easting rounded …``): special services.

The time of call (UK local time) is the event's instant; the ward code is the service's own
assignment; coordinates are the published point, or the grid reference rounded to 50 m
where the point is withheld (converted from the British National Grid). Deliberate or
accidental is taken from a ``Cause``/``Motive`` column where a service publishes one, and is
``unknown`` otherwise. Postcodes, UPRNs, USRNs and address qualifiers are never carried, not
even in the dead-letter copy of a refused row.
Exports are incremental: an incident missing from a later export is not cancelled.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from feeds.adapters.police import slug
from feeds.adapters.rows import WITHHELD, Adapter, Row, RowError, csv_records, envelope, in_columns
from geography.bng import to_wgs84
from schemas.calendar import LONDON
from schemas.categories import (
    EventKind,
    FireCategory,
    FireCause,
    LocationType,
    PropertyCategory,
    Source,
)
from schemas.events import FireIncidentEvent

INCIDENTS = "incidents"
ANIMALS = "animals"
# The columns read, per shape: record id, call time, group, stop code, property category,
# ward, lat, lon, easting, northing, service, cause
SHAPES: dict[str, dict[str, str]] = {
    INCIDENTS: {
        "id": "IncidentNumber",
        "date": "DateOfCall",
        "time": "TimeOfCall",
        "group": "IncidentGroup",
        "stop": "StopCodeDescription",
        "property": "PropertyCategory",
        "ward": "IncGeo_WardCode",
        "lat": "Latitude",
        "lon": "Longitude",
        "easting": "Easting_rounded",
        "northing": "Northing_rounded",
        "service": "FRS",
    },
    ANIMALS: {
        "id": "INCIDENT_NUMBER",
        "datetime": "date_time of call",
        "group": "type-of-incident",
        "property": "property category",
        "ward": "ward code",
        "lat": "latitude",
        "lon": "longitude",
        "easting": "easting rounded",
        "northing": "northing rounded",
    },
}
DEFAULT_SERVICE = {INCIDENTS: "fire", ANIMALS: "london"}  # animal rescues: LFB's own file
CAUSE_COLUMNS = ("Cause", "Motive", "cause", "motive")
IDENTIFYING = {"Postcode_full", "UPRN", "USRN", "AddressQualifier", "uprn", "usrn"}
STOP_CODES = {
    "primary fire": FireCategory.PRIMARY_FIRE,
    "secondary fire": FireCategory.SECONDARY_FIRE,
    "chimney fire": FireCategory.CHIMNEY_FIRE,
}
PROPERTY = {
    "dwelling": PropertyCategory.DWELLING,
    "non residential": PropertyCategory.NON_RESIDENTIAL,
    "road vehicle": PropertyCategory.ROAD_VEHICLE,
    "outdoor": PropertyCategory.OUTDOOR,
    "outdoor structure": PropertyCategory.OUTDOOR_STRUCTURE,
}
LOCATION_TYPE = {
    PropertyCategory.DWELLING: LocationType.DWELLING,
    PropertyCategory.ROAD_VEHICLE: LocationType.STREET,
}
_ID = re.compile(r"^[A-Za-z0-9-]{1,40}$")
_NULL = {"", "NULL", "null", "NA", "N/A"}


def read_fire_csv(path: Path) -> Iterator[Row | RowError]:
    """Every row of an incident-records or animal-rescues export, adapted or rejected."""
    records = csv_records(path.read_text(encoding="utf-8-sig", errors="replace"))
    _, first = next(records, (1, []))
    header = first if isinstance(first, list) else []
    shape = next((name for name, cols in SHAPES.items() if set(cols.values()) <= set(header)), "")
    if not shape:
        yield RowError(str(path), 1, "not a fire incident export: unknown header", b"")
        return
    wanted = [*SHAPES[shape].values(), *(c for c in CAUSE_COLUMNS if c in header)]
    index = {name: header.index(name) for name in wanted}
    for line, record in records:
        values = in_columns(record, len(header))
        if isinstance(values, str):
            yield RowError(str(path), line, f"{values} (row withheld)", b"")
            continue
        picked = {name: values[i].strip() for name, i in index.items()}
        row = _adapt(shape, picked, line)
        if isinstance(row, str):
            yield RowError(str(path), line, row, _withheld(header, values))
        else:
            yield row


def _withheld(header: list[str], values: list[str]) -> bytes:
    """A refused row as the dead-letter topic may carry it: postcode, UPRN, USRN and the
    address qualifier blanked (as for every event, they are never passed on)."""
    kept = [
        WITHHELD if name in IDENTIFYING and v else v for name, v in zip(header, values, strict=True)
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(kept)
    return out.getvalue().encode()


def _adapt(shape: str, picked: dict[str, str], line: int) -> Row | str:
    cols = SHAPES[shape]
    ident = picked[cols["id"]]
    if not _ID.match(ident):
        return f"incident number {ident!r} is not an identifier"
    try:
        called = _call_time(shape, picked)
    except ValueError as exc:
        return f"time of call: {exc}"
    service = slug(picked.get(cols.get("service", ""), "") or "") or DEFAULT_SERVICE[shape]
    # the content: shape, call time, then "column=value" of every column read
    fields = (shape, called.isoformat(), *(f"{name}={value}" for name, value in picked.items()))
    scope = f"{service}/{called.astimezone(LONDON):%Y-%m}"
    return Row(f"fire:{service}:{ident}", scope, line, fields)


def _call_time(shape: str, picked: dict[str, str]) -> datetime:
    cols = SHAPES[shape]
    if shape == ANIMALS:
        local = datetime.strptime(picked[cols["datetime"]], "%d/%m/%Y %H:%M")
    else:
        text = f"{picked[cols['date']]} {picked[cols['time']]}"
        local = datetime.strptime(text, "%d %b %Y %H:%M:%S")
    return local.replace(tzinfo=LONDON).astimezone(UTC)


@lru_cache(maxsize=64)
def category(group: str, stop: str) -> FireCategory:
    group, stop = group.lower(), stop.lower()
    if group.startswith("false alarm"):
        return FireCategory.FALSE_ALARM
    if group.startswith("special service"):
        return FireCategory.SPECIAL_SERVICE
    if group == "fire" and stop in STOP_CODES:
        return STOP_CODES[stop]
    raise ValueError(f"unknown incident group / stop code: {group!r} / {stop!r}")


def _cause(text: str) -> FireCause:
    text = text.lower()
    if "deliberate" in text or "malicious" in text:
        return FireCause.DELIBERATE
    if "accident" in text:
        return FireCause.ACCIDENTAL
    return FireCause.UNKNOWN


def _number(text: str) -> float | None:
    """A published coordinate; blank, NULL and 0 (a placeholder) are missing."""
    if text in _NULL:
        return None
    value = float(text)
    return value or None


def to_event(
    row: Row, version: int, published: datetime, cancelled: bool = False
) -> FireIncidentEvent:
    """The ``fire.incident`` event of one row version (raises ``ValidationError``/
    ``ValueError``)."""
    shape, called_iso, *pairs = row.fields
    cols = SHAPES[shape]
    picked = dict(pair.split("=", 1) for pair in pairs)
    called = datetime.fromisoformat(called_iso)
    stop = picked.get(cols.get("stop", ""), "") or ""
    kind = category(picked[cols["group"]], stop)
    prop = PROPERTY.get(picked.get(cols["property"], "").lower(), PropertyCategory.OTHER)
    location: dict[str, object] = {}
    lat, lon = _number(picked.get(cols["lat"], "")), _number(picked.get(cols["lon"], ""))
    if lat is None or lon is None:
        easting = _number(picked.get(cols["easting"], ""))
        northing = _number(picked.get(cols["northing"], ""))
        if easting is not None and northing is not None:
            lat, lon = to_wgs84(easting, northing)
    if lat is not None and lon is not None:
        location |= {"lat": round(lat, 6), "lon": round(lon, 6)}
    ward = picked.get(cols["ward"], "")
    if ward not in _NULL:
        location["ward_code"] = ward
    if prop in LOCATION_TYPE:
        location["location_type"] = LOCATION_TYPE[prop]
    cause = next((_cause(picked[c]) for c in CAUSE_COLUMNS if picked.get(c)), FireCause.UNKNOWN)
    partner = row.record_key.split(":")[1] + "-fire"
    head = envelope(
        row, version, published, cancelled, partner, EventKind.FIRE_INCIDENT, Source.FIRE
    )
    return FireIncidentEvent.model_validate(
        {
            **head,
            "data": {
                "occurred": {"start": called},
                "reported_at": called,
                "received_at": published,
                "location": location,
                "category": kind,
                "cause": cause,
                "property_category": prop,
            },
        }
    )


FIRE_INCIDENTS = Adapter(
    source=Source.FIRE,
    pattern="*.csv",
    read=read_fire_csv,
    to_event=to_event,
    complete_periods=False,
)
