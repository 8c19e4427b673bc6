"""Adapter: a council's control-room calls and ASB reports -> ``council.asb`` / ``council.call``.

The export (CSV, UTF-8, one header row; column order free; unknown columns are ignored and
never read, so a name or phone column in an export goes nowhere) — the table of columns is
in the README ("Council export format"):

* required: ``reference`` (the council's case or call reference), ``record_type``
  (``asb`` or ``call``), ``received``;
* when: ``occurred_from``, ``occurred_to`` (default: ``received``; a range is an interval);
* what: ``asb_type`` (ASB: slug or label, e.g. ``noise``, ``Youth gang``; its NSIR
  category follows), ``call_category`` (calls: ``asb``, ``crime-in-progress``,
  ``welfare-concern``, ``cctv-observation``, ``alarm-activation``, ``highways-hazard``,
  ``other``), ``channel``, ``priority`` (calls), ``youth`` (``Y``/``N``);
* where: ``street`` (a gazetteer street or place, no house numbers or postcodes),
  ``latitude``, ``longitude``, ``lsoa_code``, ``ward_code``, ``location_type``;
* who: ``caller_ref``, ``address_ref`` (internal references, pseudonymised on reading);
* ``status`` (``cancelled``/``withdrawn`` publishes a cancellation), ``partner``.

Times are ISO 8601 (with an offset, or without one for UK local time) or ``DD/MM/YYYY HH:MM``
(UK local time).

**Privacy.** Caller and address references are replaced, as the file is read, by a keyed
hash (``SAFER_PSEUDONYM_KEY``): the references themselves never reach the topic, the
dead-letter topic or the feed ledger on disk. The pseudonyms are restricted fields (repeat
counts and analyst views only). A rejected row goes to the dead-letter topic with its
references pseudonymised and its street withheld; a row that cannot even be split into the
header's columns, or that holds bytes that are not UTF-8, is reported by line only (its bytes
are withheld).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from feeds.adapters.police import slug
from feeds.adapters.pseudonyms import pseudonym
from feeds.adapters.rows import (
    WITHHELD,
    Adapter,
    Row,
    RowError,
    csv_records,
    envelope,
    in_columns,
    read_text,
)
from schemas.calendar import LONDON
from schemas.categories import (
    ASB_TYPE_CATEGORY,
    AsbType,
    CallCategory,
    EventKind,
    Source,
)
from schemas.events import ControlRoomCallEvent, CouncilAsbEvent

REQUIRED = ("reference", "record_type", "received")
COLUMNS = (
    *REQUIRED,
    "occurred_from",
    "occurred_to",
    "asb_type",
    "call_category",
    "channel",
    "priority",
    "youth",
    "street",
    "latitude",
    "longitude",
    "lsoa_code",
    "ward_code",
    "location_type",
    "caller_ref",
    "address_ref",
    "status",
    "partner",
)
REFERENCES = ("caller_ref", "address_ref")
CANCELLED = {"cancelled", "withdrawn"}
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,60}$")
_UK = re.compile(r"^(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2})$")


def reader(key: bytes) -> Callable[[Path], Iterator[Row | RowError]]:
    """``read`` for one pseudonymisation key."""

    def read(path: Path) -> Iterator[Row | RowError]:
        return read_council_csv(path, key)

    return read


def read_council_csv(path: Path, key: bytes) -> Iterator[Row | RowError]:
    """Every row of a council export, adapted (references pseudonymised) or rejected."""
    records = csv_records(read_text(path))
    _, first = next(records, (1, []))
    header = [h.strip() for h in first] if isinstance(first, list) else []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        yield RowError(str(path), 1, f"not a council export: no column {missing}", b"")
        return
    index = {name: header.index(name) for name in COLUMNS if name in header}
    for line, record in records:
        values = in_columns(record, len(header))
        if isinstance(values, str):  # references not pseudonymised yet: nothing is kept
            yield RowError(str(path), line, f"{values} (row withheld)", b"")
            continue
        picked = {name: values[i].strip() for name, i in index.items()}
        for name in REFERENCES:
            if picked.get(name):
                picked[name] = pseudonym(key, picked[name])
        row = _adapt(picked, line)
        if isinstance(row, str):
            yield RowError(str(path), line, row, _withheld(picked))
        else:
            yield row


def _withheld(picked: dict[str, str]) -> bytes:
    """A rejected row as the dead-letter topic may carry it: references already
    pseudonymised, the street withheld."""
    safe = {k: (WITHHELD if k == "street" and v else v) for k, v in picked.items()}
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(f"{k}={v}" for k, v in safe.items())
    return out.getvalue().encode()


def _adapt(picked: dict[str, str], line: int) -> Row | str:
    reference = picked["reference"]
    if not _REFERENCE.match(reference):
        return f"reference {reference!r} is not an identifier"
    kind = picked["record_type"].lower()
    if kind not in ("asb", "call"):
        return f"record_type {picked['record_type']!r} is not asb or call"
    try:
        received = parse_local(picked["received"])
    except ValueError as exc:
        return f"received: {exc}"
    partner = slug(picked.get("partner", "")) or "council"
    scope = f"{partner}/{received.astimezone(LONDON):%Y-%m}"  # parse_local made sure it can
    fields = tuple(f"{name}={picked[name]}" for name in COLUMNS if name in picked)
    return Row(f"council:{partner}:{kind}:{reference}", scope, line, fields)


def parse_local(text: str) -> datetime:
    """ISO 8601 (no offset: UK local time) or DD/MM/YYYY HH:MM (UK local), in UTC; raises
    ``ValueError``, also for a time so near year 1 or 9999 that it has no UTC or UK time."""
    uk = _UK.match(text)
    if uk:
        day, month, year, hour, minute = map(int, uk.groups())
        value = datetime(year, month, day, hour, minute, tzinfo=LONDON)
    else:
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a date and time") from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=LONDON)
    try:
        utc = value.astimezone(UTC)
        utc.astimezone(LONDON)  # the period (scope) is the UK month
    except OverflowError:
        raise ValueError(f"{text!r} is out of range") from None
    return utc


def _youth(text: str) -> bool | None:
    text = text.lower()
    if text in ("y", "yes", "true", "1"):
        return True
    if text in ("n", "no", "false", "0"):
        return False
    if text:
        raise ValueError(f"youth {text!r} is not Y or N")
    return None


def _asb_type(text: str) -> AsbType:
    try:
        return AsbType(slug(text.replace("/", " ")))
    except ValueError:
        raise ValueError(f"unknown asb_type {text!r}") from None


def _call_category(text: str) -> CallCategory:
    value = slug(text)
    try:
        return CallCategory(value if value.startswith("call-") else f"call-{value}")
    except ValueError:
        raise ValueError(f"unknown call_category {text!r}") from None


def to_event(
    row: Row, version: int, published: datetime, cancelled: bool = False
) -> CouncilAsbEvent | ControlRoomCallEvent:
    """The event of one row version (raises ``ValidationError``/``ValueError``)."""
    f = dict(field.split("=", 1) for field in row.fields)
    kind = f["record_type"].lower()
    received = parse_local(f["received"])
    start = parse_local(f["occurred_from"]) if f.get("occurred_from") else received
    end = parse_local(f["occurred_to"]) if f.get("occurred_to") else None
    location: dict[str, object] = {}
    if f.get("latitude") and f.get("longitude"):
        location |= {"lat": float(f["latitude"]), "lon": float(f["longitude"])}
    for name, target in (
        ("street", "place"),
        ("lsoa_code", "lsoa_code"),
        ("ward_code", "ward_code"),
        ("location_type", "location_type"),
    ):
        if f.get(name):
            location[target] = f[name]
    data: dict[str, object] = {
        "occurred": {"start": start, "end": end if end and end > start else None},
        "received_at": received,
        "reported_at": received,
        "location": location,
        "people": {"youth": _youth(f.get("youth", ""))},
    }
    for name in REFERENCES:
        if f.get(name):
            data[name] = f[name]
    model: type[CouncilAsbEvent] | type[ControlRoomCallEvent]
    if kind == "asb":
        sub_type = _asb_type(f.get("asb_type", ""))
        data |= {"asb_type": sub_type, "category": ASB_TYPE_CATEGORY[sub_type]}
        event_kind, model = EventKind.COUNCIL_ASB, CouncilAsbEvent
    else:  # a call
        data["category"] = _call_category(f.get("call_category", ""))
        if f.get("channel"):
            data["channel"] = f["channel"].lower()
        if f.get("priority"):
            data["priority"] = int(f["priority"])
        event_kind, model = EventKind.COUNCIL_CALL, ControlRoomCallEvent
    gone = cancelled or f.get("status", "").lower() in CANCELLED
    partner = row.record_key.split(":")[1]
    head = envelope(row, version, published, gone, partner, event_kind, Source.COUNCIL)
    return model.model_validate(
        {
            **head,
            "data": data,
        }
    )


def council_adapter(key: bytes) -> Adapter:
    """The council export adapter, pseudonymising with ``key``."""
    return Adapter(
        source=Source.COUNCIL,
        pattern="*.csv",
        read=reader(key),
        to_event=to_event,
        complete_periods=False,
        dead_letter_bytes=lambda row: _withheld(dict(f.split("=", 1) for f in row.fields)),
    )
