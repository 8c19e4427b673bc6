"""A subscriber's view of one canonical incident: what its agreement allows, nothing else.

Pure and total over canonical documents (``aggregates.inputs.Doc``): the stream job
(``streams.subscribers``) calls it for every record and every records-level agreement.

- **In scope** when the record's source, kind and category are agreed and it lies in an
  agreed area. Where a record is comes from ``aggregates.inputs.record_areas`` — the same
  placing the counts use (its own LSOA, else its point, else its ward) — so a record the
  dashboard counts in a ward is shared as that ward's. A record that cannot be placed in the
  partnership is never shared (its area cannot be shown to be agreed).
- **Fields**: the envelope (``ENVELOPE``), the agreement's revision, and of the payload only
  the agreed fields; everything else is removed, not blanked.
- **Precision**: ``none`` — no location at all; ``ward`` — the ward code; ``lsoa`` — LSOA
  and ward codes; ``snapped-point`` — those and the record's point moved to the nearest
  police.uk anonymous map point in its LSOA with that point's "On or near" name (the LSOA's
  interior point where it has none; no point for a record without one). The record's own
  coordinates and place never leave. ``location.location_type`` only when agreed.
- A record that was shared and whose correction falls out of scope is **withdrawn**: the
  job sends ``withdrawal`` (the envelope as cancelled, no payload), since the subscriber
  holds the earlier version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aggregates.inputs import Doc, record_areas
from geography.areas import Areas, Lsoa
from geography.police_points import PolicePoint, load_police_points, nearest
from schemas.categories import RecordStatus
from sharing.agreements import ENVELOPE, PARTNERSHIP, Agreement, Level, Precision

LOCATION_TYPE = "location.location_type"


@dataclass(frozen=True, slots=True)
class Scope:
    """An agreement made ready to apply (sets looked up once, not per record)."""

    agreement: Agreement
    revision: str
    kinds: frozenset[str]
    categories: frozenset[str] | None
    wards: frozenset[str]
    payload: tuple[str, ...]
    people: tuple[str, ...]
    flags: tuple[str, ...]
    location_type: bool
    areas: Areas
    lsoas: Mapping[str, Lsoa]
    points: Mapping[str, tuple[PolicePoint, ...]]

    @classmethod
    def of(
        cls,
        agreement: Agreement,
        areas: Areas,
        points: Mapping[str, tuple[PolicePoint, ...]] | None = None,
    ) -> Scope:
        if agreement.level is not Level.RECORDS:
            raise ValueError(f"{agreement.subscriber}: an aggregates agreement shares no records")
        fields = agreement.fields
        if points is None:
            points = load_police_points() if agreement.precision is Precision.SNAPPED_POINT else {}
        return cls(
            agreement=agreement,
            revision=agreement.revision,
            kinds=frozenset(k.value for k in agreement.allowed_kinds),
            categories=None if agreement.categories is None else frozenset(agreement.categories),
            wards=frozenset(agreed_wards(agreement, areas)),
            payload=tuple(f for f in fields if "." not in f),
            people=tuple(f.split(".", 1)[1] for f in fields if f.startswith("people.")),
            flags=tuple(f.split(".", 1)[1] for f in fields if f.startswith("flags.")),
            location_type=LOCATION_TYPE in fields,
            areas=areas,
            lsoas={lsoa.code: lsoa for lsoa in areas.lsoas},
            points=points,
        )


def agreed_wards(agreement: Agreement, areas: Areas) -> set[str]:
    """The partnership's wards an agreement covers (its wards, its authorities' wards)."""
    if PARTNERSHIP in agreement.areas:
        return set(areas.ward_names)
    agreed = set(agreement.areas)
    return {w for w in areas.ward_names if w in agreed or areas.ward_authority.get(w) in agreed}


def shared_view(doc: Doc, scope: Scope) -> Doc | None:
    """The record as the subscriber may receive it, or None when it is out of scope."""
    data = doc.get("data")
    if not isinstance(data, dict) or doc.get("type") not in scope.kinds:
        return None
    if scope.categories is not None and data.get("category") not in scope.categories:
        return None
    location = data.get("location") or {}
    placed = dict(record_areas(location, scope.areas))
    ward = placed.get("ward")
    if ward is None or ward not in scope.wards:
        return None
    shared: dict[str, Any] = {name: data[name] for name in scope.payload if name in data}
    for group, names in (("people", scope.people), ("flags", scope.flags)):
        values = data.get(group) or {}
        picked = {name: values[name] for name in names if name in values}
        if picked:
            shared[group] = picked
    where = _location(location, placed, scope)
    if where:
        shared["location"] = where
    return _envelope(doc, scope.revision, str(doc.get("status", RecordStatus.ACTIVE.value)), shared)


def withdrawal(doc: Doc, scope: Scope) -> Doc:
    """The message that withdraws a shared record whose new version is out of scope."""
    return _envelope(doc, scope.revision, RecordStatus.CANCELLED.value, {})


def _envelope(doc: Doc, revision: str, status: str, data: Doc) -> Doc:
    out: dict[str, Any] = {name: doc[name] for name in ENVELOPE if name in doc}
    out["status"] = status
    out["agreement"] = revision
    out["data"] = data
    return out


def _location(location: Doc, placed: dict[str, str], scope: Scope) -> Doc:
    precision = scope.agreement.precision
    where: dict[str, Any] = {}
    if precision is Precision.NONE:
        return where
    lsoa = placed.get("lsoa")
    if precision is Precision.SNAPPED_POINT and lsoa is not None and "cell" in placed:
        where.update(_snapped(location["lat"], location["lon"], lsoa, scope))
    if precision in (Precision.SNAPPED_POINT, Precision.LSOA) and lsoa is not None:
        where["lsoa_code"] = lsoa
    where["ward_code"] = placed["ward"]
    if scope.location_type and "location_type" in location:
        where["location_type"] = location["location_type"]
    return where


def _snapped(lat: float, lon: float, lsoa: str, scope: Scope) -> Doc:
    """The nearest police.uk map point in the LSOA, else the LSOA's interior point."""
    candidates = scope.points.get(lsoa)
    if candidates:
        point = nearest(candidates, lat, lon)
        return {"lat": point.lat, "lon": point.lon, "place": point.place}
    interior = scope.lsoas[lsoa]
    return {"lat": interior.lat, "lon": interior.lon}
