"""Poison input the validator must reject: each function turns a valid event into bytes
that ``schemas.codec.decode_incident`` refuses, the way real partner feeds go wrong.

Kinds: not JSON at all, truncated JSON, a required field missing, an unknown category,
a naive (zone-less) timestamp, and personal data the contract has no field for (a name,
a phone number, a free-text address, a postcode or house number in ``place``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from schemas.codec import encode_incident
from schemas.events import IncidentEvent

Malformer = Callable[[random.Random, IncidentEvent], bytes]

_NOT_JSON = (
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    b"\x00\x1f\x8b\x08\xde\xad\xbe\xef",
    b"crime_id,category,lat,lon\r\n1234,burglary,53.39,-3.01\r\n",
    b"",
)
_UNKNOWN_CATEGORIES = (
    "anti-social-behavior",
    "violence-and-sexual-offences",
    "asb-youth",
    "bonfire",
)
_REQUIRED = (("data", "received_at"), ("data", "occurred"), ("record_key",), ("type",), ("id",))
_PERSONAL: tuple[tuple[str, str, str], ...] = (
    ("data", "caller_name", "Jane Example"),
    ("data", "phone", "0151 496 0000"),
    ("data", "address", "12 Acacia Avenue"),
    ("data", "narrative", "Caller says the man at number 12 threatened her"),
    ("people", "victim_name", "John Example"),
    ("location", "place", "12 Acacia Avenue"),
    ("location", "place", "On or near CH41 5LH"),
)


def _document(event: IncidentEvent) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(encode_incident(event))
    return document


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def not_json(rng: random.Random, event: IncidentEvent) -> bytes:
    return rng.choice(_NOT_JSON)


def truncated(rng: random.Random, event: IncidentEvent) -> bytes:
    """A strict prefix of a JSON object is never valid JSON (the closing brace is missing)."""
    raw = encode_incident(event)
    return raw[: rng.randrange(1, len(raw) - 1)]


def missing_field(rng: random.Random, event: IncidentEvent) -> bytes:
    document = _document(event)
    *parents, name = rng.choice(_REQUIRED)
    target = document
    for parent in parents:
        target = target[parent]
    del target[name]
    return _dump(document)


def unknown_category(rng: random.Random, event: IncidentEvent) -> bytes:
    document = _document(event)
    document["data"]["category"] = rng.choice(_UNKNOWN_CATEGORIES)
    return _dump(document)


def naive_timestamp(rng: random.Random, event: IncidentEvent) -> bytes:
    """``received_at`` without its zone, as a spreadsheet export would write it."""
    document = _document(event)
    document["data"]["received_at"] = event.data.received_at.replace(tzinfo=None).isoformat()
    return _dump(document)


def personal_data(rng: random.Random, event: IncidentEvent) -> bytes:
    """A name, phone number, free-text address or postcode: fields the contract forbids."""
    document = _document(event)
    section, name, value = rng.choice(_PERSONAL)
    target = document["data"] if section == "data" else document["data"].setdefault(section, {})
    target[name] = value
    return _dump(document)


MALFORMERS: dict[str, Malformer] = {
    "not-json": not_json,
    "truncated": truncated,
    "missing-field": missing_field,
    "unknown-category": unknown_category,
    "naive-timestamp": naive_timestamp,
    "personal-data": personal_data,
}
"""Every kind of malformed message, by name (tests exercise each one)."""


def malformed(rng: random.Random, event: IncidentEvent) -> bytes:
    """Bytes of one randomly chosen kind of malformed message derived from ``event``."""
    return rng.choice(list(MALFORMERS.values()))(rng, event)
