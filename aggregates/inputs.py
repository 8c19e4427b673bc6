"""What one record version contributes to the aggregates, reduced to a compact value.

``AggInput`` is derived once from an event (areas resolved, dimensions extracted) and
stored with the record, so a later correction retracts exactly what was added, whatever
the geography or configuration says by then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aggregates.buckets import Span, span_of
from safer.bng import grid_cell
from safer.geography import Areas
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
        return json.dumps(parts, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> AggInput:
        source, category, start, end, areas, dims, *refs = json.loads(text)
        return cls(
            source,
            category,
            Span(start, end),
            tuple((lvl, area) for lvl, area in areas),
            tuple((d, tuple(v)) for d, v in dims),
            tuple((kind, ref) for kind, ref in refs[0]) if refs else (),
        )


def from_event(event: IncidentEvent, areas: Areas, borough_code: str) -> AggInput:
    data = event.data
    return AggInput(
        source=event.source.value,
        category=event.category,
        span=span_of(data.occurred.start, data.occurred.end),
        areas=_areas(event, areas, borough_code),
        dims=_dims(event),
        refs=_refs(event),
    )


def _refs(event: IncidentEvent) -> tuple[tuple[str, str], ...]:
    caller = getattr(event.data, "caller_ref", None)
    address = getattr(event.data, "address_ref", None)
    return tuple((kind, ref) for kind, ref in (("caller", caller), ("address", address)) if ref)


def _areas(event: IncidentEvent, areas: Areas, borough_code: str) -> tuple[tuple[str, str], ...]:
    loc = event.data.location
    ward = loc.ward_code or areas.lsoa_ward.get(loc.lsoa_code or "")
    in_area = ward in areas.ward_names or (loc.lsoa_code or "") in areas.lsoa_ward
    if not in_area:
        return ()
    found: list[tuple[str, str]] = [("borough", borough_code)]
    if ward:
        found.append(("ward", ward))
    if loc.lsoa_code:
        found.append(("lsoa", loc.lsoa_code))
    if loc.lat is not None and loc.lon is not None:
        found.append(("cell", grid_cell(loc.lat, loc.lon)))
    return tuple(found)


def _one(value: object) -> tuple[str, ...]:
    return () if value is None else (str(getattr(value, "value", value)),)


def _dims(event: IncidentEvent) -> Dims:
    people, flags = event.data.people, event.data.flags
    youth = () if people.youth is None else ("youth" if people.youth else "adult",)
    found = {
        "youth": youth,
        "age_victim": _one(people.victim_age_band),
        "age_offender": _one(people.offender_age_band),
        "gender_victim": _one(people.victim_gender),
        "gender_offender": _one(people.offender_gender),
        "loctype": _one(event.data.location.location_type),
        "relationship": _one(people.relationship),
        "flag": _flags(flags),
    }
    return tuple((name, values) for name, values in found.items() if values)


def _flags(flags: object) -> tuple[str, ...]:
    from schemas.events import Flags

    assert isinstance(flags, Flags)
    out = [
        name.replace("_", "-")
        for name in (
            "domestic_abuse",
            "hate_crime",
            "alcohol_related",
            "drug_related",
            "vulnerable_victim",
        )
        if getattr(flags, name)
    ]
    out += [f"hate-{s.value}" for s in flags.hate_strands]
    if flags.weapon is not None:
        out.append(f"weapon-{flags.weapon.value}")
    return tuple(out)
