"""The police.uk API's street-level crimes (``crimes-street`` JSON) -> the CSV's rows.

A response is a JSON array of records such as ``{"category": "burglary", "location":
{"latitude": "53.39", "longitude": "-3.016", "street": {"id": 1, "name": "On or near …"}},
"persistent_id": "<64 hex>", "outcome_status": {"category": "…", "date": "2018-04"},
"month": "2018-03", …}``. Each record is read into the 12 columns of the street-level CSV
(``feeds.adapters.police.COLUMNS``) and adapted by the CSV's own code, so both formats give the same
record keys, periods (``{force}/{month}``), outcome slugs and events:

* The API names no force: it comes from the file name as data.police.uk names its files,
  ``YYYY-MM-{force id}-street.json`` (``2018-03-merseyside-street.json``), and becomes the
  force's published name ("Merseyside Police"), i.e. the CSV's "Reported by". A file whose
  name does not say a known force is one ``RowError`` (line 1), nothing is guessed.
* ``persistent_id`` is the CSV's Crime ID, so a crime has the same key in both formats and
  importing both never counts it twice. Anti-social behaviour has none; its key is the hash
  of its columns plus its occurrence among identical records, as in the CSV, but the API
  carries no LSOA code or name, so **ASB keys differ between the formats**: import one
  format per month (a month re-issued in the other format replaces its ASB records and
  corrects its crimes, no record is counted twice).
* ``category`` must be one of the 14 street-level slugs (``CrimeType``); the outcome's
  category is the CSV's "Last outcome category" (its date is not carried); there is no LSOA
  code, so the point places the record (point-in-polygon, downstream).
* A record that cannot be read is a ``RowError`` whose line is the record's 1-based index in
  the array ("record 17: …") and whose bytes are the record's JSON; a file that is not a
  JSON array is one ``RowError``. Nothing raises.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from feeds.adapters.police import COLUMNS, adapt
from feeds.adapters.rows import Row, RowError
from schemas.categories import CATEGORY_NAMES, CrimeType

FORCE_NAMES: dict[str, str] = {
    "avon-and-somerset": "Avon and Somerset Constabulary",
    "bedfordshire": "Bedfordshire Police",
    "btp": "British Transport Police",
    "cambridgeshire": "Cambridgeshire Constabulary",
    "cheshire": "Cheshire Constabulary",
    "city-of-london": "City of London Police",
    "cleveland": "Cleveland Police",
    "cumbria": "Cumbria Constabulary",
    "derbyshire": "Derbyshire Constabulary",
    "devon-and-cornwall": "Devon & Cornwall Police",
    "dorset": "Dorset Police",
    "durham": "Durham Constabulary",
    "dyfed-powys": "Dyfed-Powys Police",
    "essex": "Essex Police",
    "gloucestershire": "Gloucestershire Constabulary",
    "greater-manchester": "Greater Manchester Police",
    "gwent": "Gwent Police",
    "hampshire": "Hampshire Constabulary",
    "hertfordshire": "Hertfordshire Constabulary",
    "humberside": "Humberside Police",
    "kent": "Kent Police",
    "lancashire": "Lancashire Constabulary",
    "leicestershire": "Leicestershire Police",
    "lincolnshire": "Lincolnshire Police",
    "merseyside": "Merseyside Police",
    "metropolitan": "Metropolitan Police Service",
    "norfolk": "Norfolk Constabulary",
    "north-wales": "North Wales Police",
    "north-yorkshire": "North Yorkshire Police",
    "northamptonshire": "Northamptonshire Police",
    "northern-ireland": "Police Service of Northern Ireland",
    "northumbria": "Northumbria Police",
    "nottinghamshire": "Nottinghamshire Police",
    "south-wales": "South Wales Police",
    "south-yorkshire": "South Yorkshire Police",
    "staffordshire": "Staffordshire Police",
    "suffolk": "Suffolk Constabulary",
    "surrey": "Surrey Police",
    "sussex": "Sussex Police",
    "thames-valley": "Thames Valley Police",
    "warwickshire": "Warwickshire Police",
    "west-mercia": "West Mercia Police",
    "west-midlands": "West Midlands Police",
    "west-yorkshire": "West Yorkshire Police",
    "wiltshire": "Wiltshire Police",
}
"""data.police.uk force ids (its file names and ``/api/forces``) -> the published names the
CSV's "Reported by" carries."""
_DATED_FORCE = r"(?P<month>\d{4}-(0[1-9]|1[0-2]))-(?P<force>[a-z0-9]+(?:-[a-z0-9]+)*)-"
REQUIRED = ("category", "location", "persistent_id", "month")
"""What every record has (``outcome_status`` and ``context`` may be absent or null)."""
CRIME_SLUGS = frozenset(c.value for c in CrimeType)


def month_and_force(path: Path, ending: str) -> tuple[str, str] | None:
    """(month, the force's published name) from a data.police.uk file name
    ``YYYY-MM-{force id}-{ending}``, or None (the files' contents name no force)."""
    named = re.fullmatch(_DATED_FORCE + re.escape(ending), path.name)
    if not named or named["force"] not in FORCE_NAMES:
        return None
    return named["month"], FORCE_NAMES[named["force"]]


def force_of(path: Path) -> str | None:
    """The published name of the force a ``*-street.json`` file name says, or None."""
    named = month_and_force(path, "street.json")
    return named[1] if named else None


def read_street_json(path: Path) -> Iterator[Row | RowError]:
    """Every record of a ``crimes-street`` response, adapted or rejected, in array order."""
    force = force_of(path)
    if force is None:
        yield RowError(
            str(path),
            1,
            "the file name does not say the force: the API's crimes carry none, so name the "
            "file as data.police.uk does, YYYY-MM-{force}-street.json with a data.police.uk "
            "force id (e.g. 2018-03-merseyside-street.json)",
            b"",
        )
        return
    try:
        records = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        yield RowError(str(path), 1, f"not JSON: {exc}", b"")
        return
    if not isinstance(records, list):
        found = _kind(records)
        yield RowError(str(path), 1, f"not a crimes-street response: {found}, not an array", b"")
        return
    seen: Counter[tuple[str, ...]] = Counter()
    for index, record in enumerate(records, start=1):
        try:
            row = adapt(_columns(record, force), index, seen)
        except _UnreadableError as exc:
            row = str(exc)
        if isinstance(row, str):
            yield RowError(str(path), index, f"record {index}: {row}", _raw(record))
        else:
            yield row


def _raw(record: object) -> bytes:
    """A record's JSON for its dead-letter copy (a lone surrogate, which JSON can escape but
    UTF-8 cannot carry, as its escape)."""
    try:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        return json.dumps(record, separators=(",", ":")).encode()


class _UnreadableError(ValueError):
    """Why a record cannot be read into the CSV's columns (caught per record)."""


def _columns(record: object, force: str) -> list[str]:
    """A record as the CSV's columns (``force``: the published name), else ``_UnreadableError``."""
    if not isinstance(record, dict):
        raise _UnreadableError(f"expected an object, found {_kind(record)}")
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        raise _UnreadableError(f"missing {', '.join(missing)}")
    category = record["category"]
    if not isinstance(category, str) or category not in CRIME_SLUGS:
        raise _UnreadableError(f"unknown category {category!r}")
    longitude, latitude, place = _where(record["location"])
    outcome = record.get("outcome_status")
    if outcome is not None and not isinstance(outcome, dict):
        raise _UnreadableError(f"outcome_status is {_kind(outcome)}, not an object or null")
    columns = {
        "Crime ID": _text(record, "persistent_id"),
        "Month": _text(record, "month"),
        "Reported by": force,
        "Falls within": force,
        "Longitude": longitude,
        "Latitude": latitude,
        "Location": place,
        "LSOA code": "",
        "LSOA name": "",
        "Crime type": CATEGORY_NAMES[category],
        "Last outcome category": (
            _text(outcome, "category", "outcome_status.") if outcome is not None else ""
        ),
        "Context": _text(record, "context") if record.get("context") is not None else "",
    }
    return [columns[c] for c in COLUMNS]


def _where(location: object) -> tuple[str, str, str]:
    """Longitude, latitude and "On or near …" as the CSV writes them (none: "No Location",
    as in the CSV and the API's ``crimes-no-location`` records)."""
    if location is None:
        return "", "", "No Location"
    if not isinstance(location, dict):
        raise _UnreadableError(f"location is {_kind(location)}, not an object")
    street = location.get("street")
    missing = [f"location.{k}" for k in ("latitude", "longitude", "street") if k not in location]
    if missing:
        raise _UnreadableError(f"missing {', '.join(missing)}")
    longitude, latitude = _coordinate(location["longitude"]), _coordinate(location["latitude"])
    if longitude is None or latitude is None:
        shown = f"{location['latitude']!r}, {location['longitude']!r}"
        raise _UnreadableError(f"bad coordinates (latitude, longitude) {shown}")
    if not isinstance(street, dict):
        raise _UnreadableError(f"location.street is {_kind(street)}, not an object")
    return longitude, latitude, _text(street, "name", "location.street.")


def _text(values: dict[str, object], key: str, where: str = "") -> str:
    if key not in values:
        raise _UnreadableError(f"missing {where}{key}")
    value = values[key]
    if not isinstance(value, str):
        raise _UnreadableError(f"{where}{key} is {_kind(value)}, not text")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:  # "\ud800" in the JSON: not a character
            raise _UnreadableError(f"{where}{key} holds a lone surrogate, not text") from None
    return value


def _coordinate(value: object) -> str | None:
    """A coordinate as text (the API sends text, e.g. "53.401130"), if it is a number."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return None
    return text if math.isfinite(number) else None


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return "null" if value is None else f"{type(value).__name__} {value!r}"[:60]
