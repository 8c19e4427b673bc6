"""The drill-down's map: the chosen area's children shaded by rate per 1,000 residents or by
count, each clickable to drill into it (pure: no Streamlit, no Redis).

The whole partnership (or one of its authorities) shows its wards; the analyst's ward shows
its LSOAs, and an LSOA shows its ward's LSOAs with itself outlined. Partner and public stop
at wards (``dashboard.drilldown``): a ward of theirs is drawn in its own level alone, with
nothing to click. Every figure is the drill-down's own, disclosed for the role (a rate from
the disclosed count), so the map says nothing its tables do not. Polygons are the
partnership's LSOA boundaries (``dashboard.maps``); a ward is the union of its LSOAs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aggregates.disclosure import Role, Shown
from dashboard.area_tables import rate, total
from dashboard.drilldown import Choice
from dashboard.maps import BANDS, NONE_COLOUR, PALETTE, band_of, boundary_features
from dashboard.window_figures import Cells
from geography.areas import Areas

SHADES = {"rate": "Rate per 1,000 residents", "count": "Incidents"}
MAP_WIDTH_PX, MAP_HEIGHT_PX = 470, 420
"""The size the view is fitted to (the map's column at 1440 px wide, and its height)."""


@dataclass(frozen=True, slots=True)
class Child:
    """An area the map shades: its code (what a click drills into; None: nothing to
    click), name, disclosed count and rate."""

    code: str | None
    name: str
    shown: Shown
    rate: float | None


@dataclass(frozen=True, slots=True)
class DrillMap:
    """The features to draw (LSOA polygons carrying their child's code, name, tooltip and
    fill), the legend, the view (centre and zoom) and the map in words."""

    geojson: dict[str, Any]
    legend: tuple[tuple[tuple[int, int, int], str], ...]
    view: tuple[float, float, float]
    text: str
    clickable: bool


def children(
    areas: Areas, role: Role, choice: Choice, wards: Cells, lsoas: Cells
) -> tuple[str, dict[str, Child]]:
    """The level the map shades ('ward' or 'lsoa') and its children by LSOA code."""
    if choice.ward is None:
        codes = areas.authority_wards(choice.authority)
        pops = areas.ward_population()
        per_ward = {
            w: Child(w, areas.ward_name(w), total(wards, w, role), None) for w in sorted(codes)
        }
        per_ward = {w: _with_rate(c, pops.get(w, 0)) for w, c in per_ward.items()}
        return "ward", {a.code: per_ward[a.ward_code] for a in areas.lsoas if a.ward_code in codes}
    mine = [a for a in areas.lsoas if a.ward_code == choice.ward]
    if not role.exact:
        ward = Child(None, areas.ward_name(choice.ward), total(wards, choice.ward, role), None)
        ward = _with_rate(ward, areas.ward_population().get(choice.ward, 0))
        return "ward", {a.code: ward for a in mine}
    found = {
        a.code: _with_rate(Child(a.code, a.name, total(lsoas, a.code, role), None), a.population)
        for a in mine
    }
    return "lsoa", found


def _with_rate(child: Child, population: int) -> Child:
    return Child(child.code, child.name, child.shown, rate(child.shown, population))


def drill_map(
    areas: Areas, role: Role, choice: Choice, wards: Cells, lsoas: Cells, shade: str
) -> DrillMap:
    """The map of a drill-down choice, shaded by ``shade`` ('rate' or 'count')."""
    level, found = children(areas, role, choice, wards, lsoas)
    values = {code: _value(child, shade) for code, child in found.items()}
    distinct = sorted({v for v in values.values() if v is not None})
    bands = {code: None if v is None else band_of(v, distinct) for code, v in values.items()}
    features = []
    for feature in boundary_features(areas.boundaries):
        code = feature["properties"].get(areas.lsoa_code_property)
        child = found.get(code or "")
        if child is None:
            continue
        band = bands[code]
        colour = NONE_COLOUR if band is None else PALETTE[band]
        chosen = choice.lsoa is not None and code == choice.lsoa
        features.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {
                    "code": child.code or "",
                    "tooltip": _tooltip(child, shade),
                    "fill": [*colour, 220 if chosen else 180],
                    "line": [17, 17, 17] if chosen else [255, 255, 255],
                    "width": 3 if chosen else 0.5,
                },
            }
        )
    clickable = any(c.code for c in found.values())
    return DrillMap(
        {"type": "FeatureCollection", "features": features},
        _legend(distinct, shade),
        view_of(areas, list(found)),
        _words(level, found, shade, clickable),
        clickable,
    )


def _value(child: Child, shade: str) -> float | None:
    if shade == "count":
        return None if child.shown.value is None else float(child.shown.value)
    return child.rate


def _tooltip(child: Child, shade: str) -> str:
    rate_text = "—" if child.rate is None else f"{child.rate:g} per 1,000"
    return f"{child.name}: {child.shown.text} incidents, {rate_text}"


def _legend(distinct: list[float], shade: str) -> tuple[tuple[tuple[int, int, int], str], ...]:
    """Each band with the lowest and highest value in it, then 'none'."""
    spans: dict[int, list[float]] = {}
    for value in distinct:
        spans.setdefault(band_of(value, distinct), []).append(value)
    unit = " per 1,000" if shade == "rate" else ""
    entries = [(PALETTE[b], f"{BANDS[b]}: {_range(v)}{unit}") for b, v in sorted(spans.items())]
    return (*entries, (NONE_COLOUR, "none or hidden"))


def _range(values: list[float]) -> str:
    low, high = min(values), max(values)
    return _num(low) if low == high else f"{_num(low)}–{_num(high)}"


def _num(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _words(level: str, found: Mapping[str, Child], shade: str, clickable: bool) -> str:
    """The map in words: the three highest children by the shading."""
    unique = {c.name: c for c in found.values()}
    ranked = sorted(unique.values(), key=lambda c: -(_value(c, shade) or -1))[:3]
    listed = ", ".join(f"{c.name} ({_tooltip(c, shade).split(': ', 1)[1]})" for c in ranked)
    what = "wards" if level == "ward" else "LSOAs"
    click = f" Click one of the {what} to drill into it." if clickable else ""
    return f"Map of {what} by {SHADES[shade].lower()}; highest: {listed}.{click}"


def view_of(areas: Areas, lsoas: list[str]) -> tuple[float, float, float]:
    """Centre and zoom that fit the given LSOAs' interior points into the map's size (Web
    Mercator, 512-pixel tiles as deck.gl draws them)."""
    points = [(a.lat, a.lon) for a in areas.lsoas if a.code in set(lsoas)]
    if not points:
        lat, lon = areas.centre
        return lat, lon, 10.3
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    lat, lon = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    x_span = max(_x(max(lons)) - _x(min(lons)), 1e-6)
    y_span = max(abs(_y(max(lats)) - _y(min(lats))), 1e-6)
    # interior points, not edges: leave room for the outer areas' other halves
    fit = min(MAP_WIDTH_PX / x_span, MAP_HEIGHT_PX / y_span) * 0.45
    return lat, lon, round(min(max(math.log2(fit), 9.0), 15.0), 2)


def _x(lon: float) -> float:
    """Web Mercator x of a longitude, in pixels at zoom 0 (512-pixel world)."""
    return (lon + 180.0) / 360.0 * 512.0


def _y(lat: float) -> float:
    """Web Mercator y of a latitude, in pixels at zoom 0 (512-pixel world, north up)."""
    phi = math.radians(lat)
    return (1.0 - math.log(math.tan(phi) + 1.0 / math.cos(phi)) / math.pi) / 2.0 * 512.0


def screen_offset(view: tuple[float, float, float], lat: float, lon: float) -> tuple[float, float]:
    """Where a point is drawn, in pixels from the map's centre (right and down positive)."""
    centre_lat, centre_lon, zoom = view
    scale = 2.0**zoom
    return (_x(lon) - _x(centre_lon)) * scale, (_y(lat) - _y(centre_lat)) * scale
