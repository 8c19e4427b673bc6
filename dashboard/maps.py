"""The Live page's map: ward shading drawn from the partnership's own LSOA boundaries (pure:
no Streamlit, no Redis).

Each LSOA polygon is filled with its ward's level, so the map reads as ward shading with
no background tiles (the network may be closed). The analyst's tooltip carries the exact
count, the partner's the disclosed one; the public map shows concentrations only: five
bands by rank, no numbers anywhere.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aggregates.disclosure import Role, disclose_sum
from aggregates.places import PLACE_LEVEL, Place
from dashboard.exports import MapPicture
from dashboard.window_figures import Cells
from geography.areas import Areas
from geography.bng import cell_bounds, to_wgs84
from geography.boundaries import read_text

BANDS = ("quietest", "quieter", "middle", "busier", "busiest")
# viridis, five steps (colour-blind safe, light to dark is quiet to busy when reversed)
PALETTE = ((253, 231, 37), (94, 201, 98), (33, 145, 140), (59, 82, 139), (68, 1, 84))
NONE_COLOUR = (235, 235, 235)


@cache
def boundary_features(path: Path) -> tuple[dict[str, Any], ...]:
    """The boundary features with coordinates rounded to 4 decimals (~10 m, plenty for ward
    shading): a third of the bytes sent to every browser on every map refresh."""
    features = json.loads(read_text(path))["features"]
    for feature in features:
        feature["geometry"]["coordinates"] = _rounded(feature["geometry"]["coordinates"])
    return tuple(features)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    return [_rounded(v) for v in value]


def band_of(value: float, distinct: Sequence[float]) -> int:
    """By level among the areas with incidents, ties alike: lowest 'quietest', top
    'busiest'."""
    top = len(distinct) - 1
    return len(BANDS) - 1 if top == 0 else round(distinct.index(value) * (len(BANDS) - 1) / top)


GRID_M = 250
POINT_M = 12.0
"""Radius in metres of a street or place point with one incident (area grows with the count):
under a pixel at borough zoom, a few pixels at street zoom, so the points appear as the map
is zoomed in (deck.gl sizes ``meters`` with the zoom)."""


def place_points(cells: Cells) -> list[dict[str, Any]]:
    """Analyst only: each street or place point (``place`` level) with incidents, sized in
    metres by its count, banded like the wards, with its name(s) and exact count; places
    without a point are left out. For the reason of ``grid_squares``, none for other roles."""
    per: dict[tuple[float, float], dict[str, int]] = {}
    for (code, _), n in cells.items():
        place = Place.parse(code)
        if place.point is not None and n:
            names = per.setdefault(place.point, {})
            names[place.name] = names.get(place.name, 0) + n
    distinct = sorted({sum(names.values()) for names in per.values()})
    points = []
    for (lat, lon), names in sorted(per.items()):
        n = sum(names.values())
        band = band_of(n, distinct)
        points.append(
            {
                "position": [lon, lat],
                "radius": round(POINT_M * math.sqrt(n), 1),
                "fill": [*PALETTE[band], 230],
                "tooltip": f"{_names_text(names)}: {BANDS[band]} ({n})",
            }
        )
    return points


def _names_text(names: Mapping[str, int], shown: int = 2) -> str:
    """The names at one point, busiest first: 'A', 'A; B' or 'A; B and 3 more'."""
    ordered = [name for name, _ in sorted(names.items(), key=lambda item: (-item[1], item[0]))]
    text = "; ".join(ordered[:shown])
    return text + (f" and {len(ordered) - shown} more" if len(ordered) > shown else "")


def grid_squares(cells: Cells) -> list[dict[str, Any]]:
    """Analyst only: each 250 m grid square (``cell`` level) with incidents, as a polygon
    (lon, lat corners from the British National Grid), its band's fill and an exact-count
    tooltip. Outside the analyst role squares below ward level would reopen differencing
    against the protected ward figures, as LSOAs would."""
    per: dict[str, int] = {}
    for (cell, _), n in cells.items():
        per[cell] = per.get(cell, 0) + n
    distinct = sorted(set(per.values()))
    squares = []
    for cell, n in sorted(per.items()):
        min_e, min_n, max_e, max_n = cell_bounds(cell, GRID_M)
        corners = ((min_e, min_n), (max_e, min_n), (max_e, max_n), (min_e, max_n))
        polygon = [[round(lon, 5), round(lat, 5)] for lat, lon in (to_wgs84(*c) for c in corners)]
        band = band_of(n, distinct)
        squares.append(
            {
                "polygon": polygon,
                "fill": [*PALETTE[band], 220],
                "tooltip": f"{GRID_M} m square: {BANDS[band]} ({n})",
            }
        )
    return squares


def ward_levels(
    cells: Cells, wards: Sequence[str], role: Role
) -> dict[str, tuple[int | None, str, str]]:
    """Per ward: (band index or None for none at all, band name, tooltip figure)."""
    per: dict[str, list[int]] = {}
    for (ward, _), n in cells.items():
        per.setdefault(ward, []).append(n)
    shown = {ward: disclose_sum(per.get(ward, []), role) for ward in wards}
    values = {ward: s.value or 0 for ward, s in shown.items() if s.value or s.suppressed}
    distinct = sorted(set(values.values()))
    out: dict[str, tuple[int | None, str, str]] = {}
    for ward, value in values.items():
        band = band_of(value, distinct)
        figure = "" if role is Role.PUBLIC else shown[ward].text
        out[ward] = (band, BANDS[band], figure)
    for ward in wards:
        out.setdefault(ward, (None, "none", "" if role is Role.PUBLIC else "0"))
    return out


def geojson(
    areas: Areas, levels: Mapping[str, tuple[int | None, str, str]], names: Mapping[str, str]
) -> dict[str, Any]:
    """The partnership's LSOA polygons, each with its ward's name, band, figure and fill."""
    ward_of = areas.lsoa_ward
    features = []
    for feature in boundary_features(areas.boundaries):
        code = feature["properties"].get(areas.lsoa_code_property)
        ward = ward_of.get(code or "")
        if ward is None:
            continue
        band, label, figure = levels.get(ward, (None, "none", ""))
        colour = NONE_COLOUR if band is None else PALETTE[band]
        text = f"{names.get(ward, ward)}: {label}" + (f" ({figure})" if figure else "")
        features.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {"ward": ward, "tooltip": text, "fill": [*colour, 190]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def text_alternative(
    levels: Mapping[str, tuple[int | None, str, str]], names: Mapping[str, str]
) -> str:
    """The map in words: the wards in the busiest band, busiest first (and their figures if
    shown; without figures, by name)."""
    busiest = sorted(
        (-_figure_value(fig), names.get(w, w), fig)
        for w, (b, _, fig) in levels.items()
        if b == len(BANDS) - 1
    )
    if not busiest:
        return "Map of wards: no incidents in this window."
    listed = (name + (f" ({fig})" if fig else "") for _, name, fig in busiest)
    return "Map of wards by level; busiest: " + ", ".join(listed) + "."


def _figure_value(figure: str) -> int:
    """A shown figure's number ('1,294' -> 1294); 0 for none or a hidden count."""
    digits = figure.replace(",", "")
    return int(digits) if digits.isdigit() else 0


# --- what the Live page's map shows -----------------------------------------------------

Levels = dict[str, tuple[int | None, str, str]]


def levels_to_read(role: Role) -> tuple[str, ...]:
    """The area levels the map reads in one round trip: wards, and for the analyst 250 m
    grid squares and streets or places too (exact)."""
    return ("ward", "cell", PLACE_LEVEL) if role.exact else ("ward",)


@dataclass(frozen=True, slots=True)
class MapView:
    """What the map draws: each ward's level, and (analyst) grid squares and place points."""

    levels: Levels
    squares: list[dict[str, Any]]
    points: list[dict[str, Any]]


def map_view(cells: Sequence[Cells], wards: Sequence[str], role: Role) -> MapView:
    """The map of a window from the cells of each level of ``levels_to_read``."""
    return MapView(
        ward_levels(cells[0], wards, role),
        grid_squares(cells[1]) if role.exact else [],
        place_points(cells[2]) if role.exact else [],
    )


def picture(areas: Areas, view: MapView, names: Mapping[str, str], title: str) -> MapPicture:
    """The ward shading as an export's map picture, with its legend and text alternative
    (no grid squares or dots: a printed map is read at borough scale)."""
    legend = (*zip(PALETTE, BANDS, strict=True), (NONE_COLOUR, "none"))
    return MapPicture(
        title,
        geojson(areas, view.levels, names),
        tuple(legend),
        text_alternative(view.levels, names),
    )


def caption(view: MapView, names: Mapping[str, str], role: Role, refresh_s: float) -> str:
    """The legend, how often the map refreshes, and the map in words."""
    legend = " → ".join(BANDS)
    return (
        f"Wards light to dark: {legend} (grey: none)"
        + (f"; squares: the {GRID_M} m grid, same levels" if view.squares else "")
        + ("; dots: streets and places, sized by count (zoom in)" if view.points else "")
        + f". Refreshes every {refresh_s:g} s. "
        + ("Concentrations only, no numbers. " if role is Role.PUBLIC else "")
        + text_alternative(view.levels, names)
    )
