"""An operation's zones resolved against the partnership's geography, and which zone of which
operation an incident falls in.

Membership is decided once per record version, when it is aggregated (``store.plan``), and
kept with the record's contribution, so a correction that moves an incident out of a park
takes it out of the operation's counts exactly, like every aggregate. Rules:

- **codes** (wards, LSOAs) place a record by its resolved LSOA and ward, exactly as
  ``safer query`` counts a ward (an operation over wards sums to the wards' own counts);
- **polygons** (GeoJSON) and a buffer **ring** of ``metres`` around the target place a
  record by its point (police.uk points are snapped to anonymous map points, so a small
  polygon can miss crimes on its edge: the evaluation says so); a record without a point
  is not in a polygon zone;
- zones are exclusive in this order: target, then buffer, then control (a record in the
  target is in no other zone); the default control is every record of the partnership in
  neither; the buffer's control (``D``) takes what is in neither target nor buffer;
- a record counts for an operation only in its categories, its sources (implied by the
  categories), its youth choice (``youth``/``adult``: records without the flag are left
  out) and when its time overlaps the baseline or the operation period.

Geometry is in British National Grid metres (``geography.bng``), with shapely.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape as geojson_shape
from shapely.geometry.base import BaseGeometry

from aggregates.buckets import day_bounds
from aggregates.config import ZONE_LEVEL
from aggregates.inputs import AggInput
from geography.areas import Areas
from geography.bng import on_grid, to_bng, to_wgs84
from geography.boundaries import read_text
from operations.spec import OperationError, OperationSpec, Period, ZoneSpec

ZONE_SEP = "."
SLIVER_M = 2.0
OVERLAP_M2 = 100.0
"""Zones overlapping by less than this (boundary slivers of snapped polygons) are not an
error."""


def zone_code(slug: str, zone: str) -> str:
    return f"{slug}{ZONE_SEP}{zone}"


def split_zone_code(code: str) -> tuple[str, str]:
    slug, _, zone = code.rpartition(ZONE_SEP)
    return slug, zone


def hours_of(period: Period) -> tuple[int, int]:
    """A period of local dates as epoch hours [start, end)."""
    return day_bounds(period.start.strftime("%Y%m%d"))[0], day_bounds(
        period.end.strftime("%Y%m%d")
    )[0]


@dataclass(frozen=True, slots=True)
class Zone:
    """One zone: codes placing records by LSOA/ward, and a shape placing them by point."""

    name: str
    wards: frozenset[str] = frozenset()
    lsoas: frozenset[str] = frozenset()
    points: BaseGeometry | None = None
    """Polygons and rings tested against a record's point (BNG metres)."""
    rest: bool = False
    """The default control: the partnership outside the zones before it."""
    outline: BaseGeometry | None = None
    """The whole zone as a shape (codes' polygons too), for maps and overlap checks."""

    def holds(self, ward: str | None, lsoa: str | None, xy: tuple[float, float] | None) -> bool:
        if self.rest:
            return True
        if (lsoa is not None and lsoa in self.lsoas) or (ward is not None and ward in self.wards):
            return True
        return (
            self.points is not None
            and xy is not None
            and bool(shapely.contains_xy(self.points, xy[0], xy[1]))
        )

    @property
    def by_point(self) -> bool:
        return self.points is not None


@dataclass(frozen=True, slots=True)
class ResolvedOperation:
    slug: str
    version: int
    spec: OperationSpec
    zones: tuple[Zone, ...]
    categories: frozenset[str]
    youth: str
    first_hour: int
    last_hour: int

    def zone(self, name: str) -> Zone | None:
        return next((z for z in self.zones if z.name == name), None)

    def placed(
        self, inp: AggInput, ward: str | None, lsoa: str | None, xy: tuple[float, float] | None
    ) -> list[str]:
        """The zone codes of this operation a record falls in (none, one, or one of
        target/buffer/control plus the buffer's control)."""
        if inp.category not in self.categories:
            return []
        if inp.span.end <= self.first_hour or inp.span.start >= self.last_hour:
            return []
        if self.youth != "any" and self.youth not in dict(inp.dims).get("youth", ()):
            return []
        main = next(
            (z.name for z in self.zones if z.name in _EXCLUSIVE and z.holds(ward, lsoa, xy)),
            None,
        )
        found = [main] if main else []
        own = self.zone("buffer_control")
        if own is not None and main not in _TARGET_OR_BUFFER and own.holds(ward, lsoa, xy):
            found.append(own.name)
        return [zone_code(self.slug, name) for name in found]


_TARGET_OR_BUFFER = ("target", "buffer")
_EXCLUSIVE = ("target", "buffer", "control")


@dataclass(frozen=True, slots=True)
class Operations:
    """The operations one generation of aggregates counts (``store.keys``: ``ops``)."""

    operations: tuple[ResolvedOperation, ...] = ()
    digest: str = ""
    _categories: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def __post_init__(self) -> None:
        cats = frozenset(c for op in self.operations for c in op.categories)
        object.__setattr__(self, "_categories", cats)

    def __bool__(self) -> bool:
        return bool(self.operations)

    def place(self, inp: AggInput, lat: float | None, lon: float | None) -> AggInput:
        """The record's contribution with the operation zones it falls in added as areas of
        the ``zone`` level (unchanged when it falls in none). Hot path: one set lookup for a
        record of no operation's category."""
        if inp.category not in self._categories or not inp.in_partnership:
            return inp  # a record of the wider area alone is in no operation's zone
        levels = dict(inp.areas)
        ward, lsoa = levels.get("ward"), levels.get("lsoa")
        xy = _xy(lat, lon)
        codes = [c for op in self.operations for c in op.placed(inp, ward, lsoa, xy)]
        if not codes:
            return inp
        return replace(inp, areas=(*inp.areas, *((ZONE_LEVEL, c) for c in codes)))

    def get(self, slug: str) -> ResolvedOperation | None:
        return next((op for op in self.operations if op.slug == slug), None)


def _xy(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    if lat is None or lon is None or not on_grid(lat, lon):
        return None
    return _bng(round(lat, 6), round(lon, 6))


@cache
def _bng(lat: float, lon: float) -> tuple[float, float]:
    return to_bng(lat, lon)


def resolve(
    spec: OperationSpec, areas: Areas, files: Mapping[str, str], version: int = 0
) -> ResolvedOperation:
    """Check an operation against the geography and build its zones; ``OperationError``
    (one line naming the field) when a code is unknown, a file has no polygons or zones
    overlap."""
    geometry = PartnershipGeometry.of(areas)
    target = _zone("target", spec.target, areas, files, geometry)
    zones = [target]
    taken = target.outline
    if spec.buffer is not None:
        buffer = _zone("buffer", spec.buffer, areas, files, geometry, around=target)
        _no_overlap("buffer", buffer, "target", target)
        zones.append(buffer)
        taken = _union(taken, buffer.outline)
    if spec.control is not None:
        control = _zone("control", spec.control, areas, files, geometry)
        for other in zones:
            _no_overlap("control", control, other.name, other)
    else:
        rest = geometry.whole.difference(taken) if taken is not None else geometry.whole
        control = Zone("control", rest=True, outline=rest)
    zones.append(control)
    if spec.buffer_control is not None:
        own = _zone("buffer_control", spec.buffer_control, areas, files, geometry)
        for other in zones[:2]:
            _no_overlap("buffer_control", own, other.name, other)
        zones.append(own)
    first = min(hours_of(spec.period)[0], hours_of(spec.baseline_period)[0])
    return ResolvedOperation(
        slug=spec.slug,
        version=version,
        spec=spec,
        zones=tuple(zones),
        categories=frozenset(spec.categories),
        youth=spec.youth,
        first_hour=first,
        last_hour=hours_of(spec.period)[1],
    )


def _zone(
    name: str,
    spec: ZoneSpec,
    areas: Areas,
    files: Mapping[str, str],
    geometry: PartnershipGeometry,
    around: Zone | None = None,
) -> Zone:
    wards = frozenset(spec.wards)
    for code in spec.wards:
        if code not in areas.ward_names:
            raise OperationError(f"{name}.wards: unknown ward code {code!r} (not in {_of(areas)})")
    lsoas = frozenset(areas.lsoa(code) for code in spec.lsoas)
    for code in spec.lsoas:
        if areas.lsoa(code) not in areas.lsoa_ward:
            raise OperationError(f"{name}.lsoas: unknown LSOA code {code!r} (not in {_of(areas)})")
    parts: list[BaseGeometry] = []
    if spec.geojson:
        text = files.get(spec.geojson)
        if text is None:
            raise OperationError(f"{name}.geojson: {spec.geojson} was not found")
        parts.append(polygons_of(text, f"{name}.geojson"))
    if spec.metres is not None:
        if around is None or around.outline is None:
            raise OperationError(f"{name}.metres: the target has no shape to draw a ring around")
        ring = around.outline.buffer(spec.metres).difference(around.outline)
        parts.append(ring)
    points = _union(*parts) if parts else None
    coded = [geometry.wards[w] for w in sorted(wards) if w in geometry.wards]
    coded += [geometry.lsoas[c] for c in sorted(lsoas) if c in geometry.lsoas]
    closed = [_closed(shapely.union_all(coded))] if coded else []
    outline = shapely.union_all(closed + parts) if closed or parts else None
    if points is not None and points.is_empty:
        raise OperationError(f"{name}: its polygons cover nothing")
    return Zone(name, wards, lsoas, points, outline=outline)


def _of(areas: Areas) -> str:
    return areas.name or "the partnership"


def _no_overlap(name: str, zone: Zone, other_name: str, other: Zone) -> None:
    shared_codes = (zone.wards & other.wards) | (zone.lsoas & other.lsoas)
    if shared_codes:
        raise OperationError(f"{name}: overlaps the {other_name} ({sorted(shared_codes)[0]})")
    if zone.outline is not None and other.outline is not None:
        area = zone.outline.intersection(other.outline).area
        if area > OVERLAP_M2:
            raise OperationError(
                f"{name}: overlaps the {other_name} by {area / 10_000:,.1f} hectares"
            )


def _union(*parts: BaseGeometry | None) -> BaseGeometry | None:
    found = [p for p in parts if p is not None]
    if not found:
        return None
    return shapely.union_all(found)


def polygons_of(text: str, where: str) -> BaseGeometry:
    """The (Multi)Polygons of a GeoJSON text (FeatureCollection, Feature or geometry, in
    WGS84 lon/lat) as one shape in BNG metres; ``OperationError`` when there are none."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise OperationError(f"{where}: not JSON ({exc})") from None
    found = [g for g in _geometries(doc) if g.get("type") in ("Polygon", "MultiPolygon")]
    if not found:
        raise OperationError(f"{where}: has no Polygon or MultiPolygon")
    try:
        shapes = [geojson_shape(g) for g in found]
        projected = [shapely.transform(s, _to_bng_array) for s in shapes]
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise OperationError(f"{where}: a polygon cannot be read ({exc})") from None
    merged = shapely.make_valid(shapely.union_all(projected))
    if merged.is_empty or merged.area <= 0:
        raise OperationError(f"{where}: its polygons cover nothing")
    return merged


def _geometries(doc: Any) -> Iterable[dict[str, Any]]:
    if not isinstance(doc, dict):
        return
    kind = doc.get("type")
    if kind == "FeatureCollection":
        for feature in doc.get("features") or ():
            yield from _geometries(feature)
    elif kind == "Feature":
        yield from _geometries(doc.get("geometry"))
    elif kind == "GeometryCollection":
        for geometry in doc.get("geometries") or ():
            yield from _geometries(geometry)
    elif isinstance(kind, str):
        yield doc


def _to_bng_array(coords: Any) -> Any:
    import numpy as np

    out = np.empty_like(coords)
    for i, (lon, lat) in enumerate(coords):
        if not on_grid(float(lat), float(lon)):
            raise ValueError(f"point {lat:.5f}, {lon:.5f} is off the British National Grid")
        out[i] = to_bng(float(lat), float(lon))
    return out


def _to_wgs84_array(coords: Any) -> Any:
    import numpy as np

    out = np.empty_like(coords)
    for i, (x, y) in enumerate(coords):
        lat, lon = to_wgs84(float(x), float(y))
        out[i] = (lon, lat)
    return out


def to_geojson(shape: BaseGeometry, simplify_m: float = 5.0) -> dict[str, Any]:
    """A BNG shape as a GeoJSON geometry in WGS84 (simplified, for maps and reports)."""
    simple = shape.simplify(simplify_m, preserve_topology=True)
    geometry: dict[str, Any] = shapely.geometry.mapping(shapely.transform(simple, _to_wgs84_array))
    plain: dict[str, Any] = json.loads(json.dumps(geometry))  # tuples to lists, numpy to floats
    return plain


@dataclass(frozen=True, slots=True)
class PartnershipGeometry:
    """The partnership's LSOA and ward polygons in BNG metres (built once per process)."""

    lsoas: dict[str, BaseGeometry]
    wards: dict[str, BaseGeometry]
    whole: BaseGeometry

    @classmethod
    def of(cls, areas: Areas) -> PartnershipGeometry:
        return _geometry(
            areas.boundaries, areas.lsoa_code_property, tuple(sorted(areas.lsoa_ward.items()))
        )


@cache
def _geometry(
    path: Path, code_property: str, lsoa_ward: tuple[tuple[str, str], ...]
) -> PartnershipGeometry:
    doc = json.loads(read_text(path))
    lsoas: dict[str, BaseGeometry] = {}
    ward_of = dict(lsoa_ward)
    for feature in doc["features"]:
        code = feature["properties"][code_property]
        if code in ward_of:
            projected = shapely.transform(geojson_shape(feature["geometry"]), _to_bng_array)
            lsoas[code] = shapely.make_valid(projected)
    by_ward: dict[str, list[BaseGeometry]] = {}
    for code, shape in lsoas.items():
        by_ward.setdefault(ward_of[code], []).append(shape)
    wards = {ward: _closed(shapely.union_all(parts)) for ward, parts in by_ward.items()}
    return _assemble(lsoas, wards)


def _closed(shape: BaseGeometry) -> BaseGeometry:
    """A union of neighbouring polygons without the hairline gaps between their edges
    (boundary files do not meet exactly: the union would keep them as slivers)."""
    return shape.buffer(SLIVER_M).buffer(-SLIVER_M)


def _assemble(
    lsoas: dict[str, BaseGeometry], wards: dict[str, BaseGeometry]
) -> PartnershipGeometry:
    whole = _closed(shapely.union_all(list(wards.values()))) if wards else shapely.Polygon()
    return PartnershipGeometry(lsoas, wards, whole)
