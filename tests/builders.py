"""Builders of contract-valid events (override any field); tests never spell whole dicts."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

NOW = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _envelope(kind: str, source: str, partner: str, key_prefix: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "type": kind,
        "source": source,
        "partner": partner,
        "time": NOW.isoformat(),
        "record_key": f"{key_prefix}:{uuid.uuid4().hex[:16]}",
        "version": 1,
    }


DEFAULT_LSOA, DEFAULT_WARD = "E01007126", "E05000956"


@lru_cache(maxsize=1)
def _first_lsoa_of() -> dict[str, str]:
    from geography.areas import load_areas

    first: dict[str, str] = {}
    for lsoa, ward in sorted(load_areas().lsoa_ward.items()):
        first.setdefault(ward, lsoa)
    return first


def _consistent(event: dict[str, Any]) -> dict[str, Any]:
    """A ward named without an LSOA gets one of its LSOAs instead of the default one (the
    LSOA's ward wins downstream, so a default LSOA of another ward would move the record)."""
    loc = event.get("data", {}).get("location")
    if not isinstance(loc, dict):
        return event
    ward = loc.get("ward_code")
    if ward not in (None, DEFAULT_WARD) and loc.get("lsoa_code") == DEFAULT_LSOA:
        lsoa = _first_lsoa_of().get(ward)
        loc = {k: v for k, v in loc.items() if k not in ("lsoa_code", "lat", "lon")}
        event["data"]["location"] = loc | ({"lsoa_code": lsoa} if lsoa else {})
    return event


def _core(**location: Any) -> dict[str, Any]:
    return {
        "occurred": {
            "start": (NOW - timedelta(hours=3)).isoformat(),
            "end": (NOW - timedelta(hours=1)).isoformat(),
        },
        "received_at": NOW.isoformat(),
        "location": {
            "lat": 53.39,
            "lon": -3.02,
            "lsoa_code": DEFAULT_LSOA,
            "ward_code": DEFAULT_WARD,
            **location,
        },
    }


def make_police_incident(**overrides: Any) -> dict[str, Any]:
    base = _envelope("police.crime", "police", "merseyside-police", "police:merseyside")
    base["data"] = {**_core(place="On or near Grange Road"), "category": "burglary"}
    return _consistent(_merge(base, overrides))


def make_police_uk_crime(lsoa_code: str, **overrides: Any) -> dict[str, Any]:
    """A police.uk street crime as the adapter makes it: the (UK local) month of ``NOW``,
    the publisher's LSOA code and "On or near" place, no ward code and no point (give
    ``data={"location": {"lat": …, "lon": …}}`` for one)."""
    base = _envelope("police.crime", "police", "merseyside-police", "police:merseyside")
    base["data"] = {
        "occurred": {
            "start": datetime(NOW.year, NOW.month, 1, tzinfo=UTC).isoformat(),
            "end": datetime(NOW.year, NOW.month + 1, 1, tzinfo=UTC).isoformat(),
        },
        "received_at": NOW.isoformat(),
        "location": {"lsoa_code": lsoa_code, "place": "On or near Bold Street"},
        "category": "burglary",
    }
    return _merge(base, overrides)


def make_council_asb(**overrides: Any) -> dict[str, Any]:
    base = _envelope("council.asb", "council", "wirral-council", "council:wirral:asb")
    base["data"] = {
        **_core(),
        "category": "asb-nuisance",
        "asb_type": "scrambler-bikes",
        "people": {"youth": True},
    }
    return _consistent(_merge(base, overrides))


def make_control_room_call(**overrides: Any) -> dict[str, Any]:
    base = _envelope("council.call", "council", "wirral-council", "council:wirral:call")
    base["data"] = {**_core(), "category": "call-asb", "channel": "cctv"}
    base["data"]["occurred"] = {"start": (NOW - timedelta(minutes=4)).isoformat()}
    return _consistent(_merge(base, overrides))


def make_fire_incident(**overrides: Any) -> dict[str, Any]:
    base = _envelope("fire.incident", "fire", "merseyside-fire", "fire:merseyside")
    base["data"] = {**_core(), "category": "secondary-fire", "cause": "deliberate"}
    base["data"]["occurred"] = {"start": (NOW - timedelta(minutes=1)).isoformat()}
    return _consistent(_merge(base, overrides))


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


def key_of(event: dict[str, Any]) -> bytes:
    return str(event["record_key"]).encode()


def count_cell(source: str, ward: str | None, category: str) -> str:
    """How tests name one live count: source, ward and category."""
    return f"{source}|{ward}|{category}"
