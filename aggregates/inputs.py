"""What one record version contributes to the aggregates, reduced to a compact value.

``AggInput`` is derived once from an event (areas resolved, dimensions extracted) and
stored with the record, so a later correction retracts exactly what was added, whatever
the geography or configuration says by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from aggregates.buckets import Span, span_of
from aggregates.config import WIDER_LEVEL
from aggregates.places import PLACE_LEVEL, place_code
from geography.areas import Areas
from geography.bng import grid_cell, on_grid
from schemas.codec import encode_incident
from schemas.events import IncidentEvent

Dims = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class AggInput:
    source: str
    category: str
    span: Span
    areas: tuple[tuple[str, str], ...]
    dims: Dims
    refs: tuple[tuple[str, str], ...] = ()
    """Restricted: (``caller``/``address``, keyed-hash pseudonym), for repeat counts only."""

    @property
    def in_partnership(self) -> bool:
        """Whether it counts in an area of the partnership (not only in the wider
        comparison area, not out of area): the borough level comes first."""
        return bool(self.areas) and self.areas[0][0] != WIDER_LEVEL

    def encode(self) -> str:
        parts: list[object] = [
            self.source,
            self.category,
            self.span.start,
            self.span.end,
            [list(a) for a in self.areas],
            [[d, list(v)] for d, v in self.dims],
        ]
        if self.refs:
            parts.append([list(r) for r in self.refs])
        return orjson.dumps(parts).decode()

    @classmethod
    def decode(cls, text: str) -> AggInput:
        source, category, start, end, areas, dims, *refs = orjson.loads(text)
        return cls(
            source,
            category,
            Span(start, end),
            tuple((lvl, area) for lvl, area in areas),
            tuple((d, tuple(v)) for d, v in dims),
            tuple((kind, ref) for kind, ref in refs[0]) if refs else (),
        )


Doc = dict[str, Any]
"""A canonical event as JSON (``schemas.codec.encode_incident``): what the log holds."""


def canonical_doc(event: IncidentEvent) -> Doc:
    doc: Doc = orjson.loads(encode_incident(event))
    return doc


def from_canonical(doc: Doc, areas: Areas) -> AggInput:
    """The aggregation input of a canonical event. The live worker and ``safer rebuild`` both
    derive it from the canonical JSON, so they cannot disagree."""
    data = doc["data"]
    occurred = data["occurred"]
    end = occurred.get("end")
    return AggInput(
        source=doc["source"],
        category=data["category"],
        span=span_of(parse_time(occurred["start"]), parse_time(end) if end else None),
        areas=record_areas(data.get("location", {}), areas),
        dims=_dims(data),
        refs=tuple(
            (kind, data[f"{kind}_ref"]) for kind in ("caller", "address") if data.get(f"{kind}_ref")
        ),
    )


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def record_areas(loc: Doc, areas: Areas) -> tuple[tuple[str, str], ...]:
    """The record's own LSOA code is authoritative (a 2021 code as its 2011 LSOA); without
    one, its point places it (point-in-polygon); its ward is its LSOA's ward (a ward code
    that disagrees — another ward, or one that does not exist — is replaced by it, so every
    level nests: an LSOA's figures are always inside its ward's), else its own ward code;
    the borough level is the local authority of that ward; a controlled street or place
    name in a known LSOA is the place level; last, the wider level (``WIDER_LEVEL``) under
    the borough's authority when the comparison area holds it. Neither a ward nor an LSOA of
    the partnership: the wider level alone when the record's LSOA code is one of the
    comparison area's (points are placed in the partnership's LSOAs only: police.uk records
    carry the code), else out of area (counted nowhere). A point off the British National
    Grid (the contract's lat/lon box is wider) places nothing and has no grid cell."""
    code = areas.lsoa(loc["lsoa_code"]) if loc.get("lsoa_code") else None
    lat, lon = loc.get("lat"), loc.get("lon")
    point = (lat, lon) if lat is not None and lon is not None and on_grid(lat, lon) else None
    if not code and point:
        code = areas.locate(*point)
    lsoa = code if code in areas.lsoa_ward else None  # an LSOA of another area is no level
    ward = areas.lsoa_ward.get(lsoa or "") or loc.get("ward_code")
    comparison = areas.comparison
    if ward is None or ward not in areas.ward_names:
        other = comparison.lsoa_authority.get(code) if comparison and code else None
        return ((WIDER_LEVEL, other),) if other else ()
    authority = areas.ward_authority[ward]
    found: list[tuple[str, str]] = [("borough", authority), ("ward", ward)]
    if lsoa:
        found.append(("lsoa", lsoa))
    if point:
        found.append(("cell", grid_cell(*point)))
    if lsoa and loc.get("place"):
        found.append((PLACE_LEVEL, place_code(lsoa, lat, lon, loc["place"])))
    if comparison and authority in comparison.authority_names:
        found.append((WIDER_LEVEL, authority))
    return tuple(found)


def _one(value: object) -> tuple[str, ...]:
    return () if value is None else (str(value),)


def _dims(data: Doc) -> Dims:
    people = data.get("people", {})
    youth = people.get("youth")
    found = {
        "youth": () if youth is None else ("youth" if youth else "adult",),
        "age_victim": _one(people.get("victim_age_band")),
        "age_offender": _one(people.get("offender_age_band")),
        "gender_victim": _one(people.get("victim_gender")),
        "gender_offender": _one(people.get("offender_gender")),
        "loctype": _one(data.get("location", {}).get("location_type")),
        "relationship": _one(people.get("relationship")),
        "flag": _flags(data.get("flags", {})),
        "cause": _one(data.get("cause")),  # fire: accidental / deliberate / not known
    }
    return tuple((name, values) for name, values in found.items() if values)


_FLAGS = ("domestic_abuse", "hate_crime", "alcohol_related", "drug_related", "vulnerable_victim")


def _flags(flags: Doc) -> tuple[str, ...]:
    out = [name.replace("_", "-") for name in _FLAGS if flags.get(name)]
    out += [f"hate-{strand}" for strand in flags.get("hate_strands", ())]
    if flags.get("weapon"):
        out.append(f"weapon-{flags['weapon']}")
    return tuple(out)
