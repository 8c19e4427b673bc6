"""The field report form (``GET /v1/report``): wardens and patrols report ASB from a phone,
as they once did from PDAs with GIS.

One page, no external resources (it works on a patrol's phone with only the gateway in
reach): the kind of ASB, when (now by default), where — a tap on the partnership's map
(its LSOA boundaries drawn as SVG, from the partnership's own boundary file) or the
phone's current location — and whether young people were involved. No free text and no
photo (a photo is refused: it would carry faces, number plates and its own location
data), so no personal data can be typed or attached. The page posts through the ingest
endpoint (``POST /v1/events/council``) with the device's key, which it keeps in the
phone's local storage, and a fresh Idempotency-Key that a resend repeats; the worker
places the point in its LSOA and ward like any council record.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shapely.geometry import shape

from geography.areas import Areas
from schemas.categories import ASB_TYPE_CATEGORY

WIDTH = 360.0
SIMPLIFY_DEG = 0.0004
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True, slots=True)
class MapFrame:
    """The linear map from (lon, lat) to SVG pixels (equirectangular at mid latitude)."""

    west: float
    north: float
    scale_x: float
    scale_y: float
    height: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * self.scale_x, (self.north - lat) * self.scale_y


@cache
def _map_svg(boundaries: Path, code_property: str) -> tuple[tuple[tuple[str, str], ...], MapFrame]:
    """Each LSOA's polygons as SVG point lists (by LSOA code), and the frame they are in."""
    features = json.loads(boundaries.read_text())["features"]
    codes = [str(f["properties"].get(code_property, "")) for f in features]
    shapes = [shape(f["geometry"]).simplify(SIMPLIFY_DEG) for f in features]
    west = min(s.bounds[0] for s in shapes)
    south = min(s.bounds[1] for s in shapes)
    east = max(s.bounds[2] for s in shapes)
    north = max(s.bounds[3] for s in shapes)
    aspect = math.cos(math.radians((north + south) / 2))
    scale_x = WIDTH / (east - west)
    scale_y = scale_x / aspect
    frame = MapFrame(west, north, scale_x, scale_y, (north - south) * scale_y)
    paths = []
    for code, geometry in zip(codes, shapes, strict=True):
        for polygon in getattr(geometry, "geoms", [geometry]):
            corners = (frame.xy(lon, lat) for lon, lat in polygon.exterior.coords)
            paths.append((code, " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)))
    return tuple(paths), frame


def page(areas: Areas) -> str:
    """The form's HTML for this partnership."""
    polygons, frame = _map_svg(areas.boundaries, areas.lsoa_code_property)
    shapes = "\n".join(
        f'<polygon data-ward="{html.escape(areas.ward_name(areas.lsoa_ward.get(code, "")))}" '
        f'points="{points}"/>'
        for code, points in polygons
    )
    options = "\n".join(
        f'<option value="{t.value}" data-category="{c.value}">{_label(t.value)}</option>'
        for t, c in ASB_TYPE_CATEGORY.items()
    )
    name = html.escape(areas.name or "the partnership")
    return f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Field report – {name}</title>
<link rel="stylesheet" href="report.css">
</head>
<body>
<main>
<h1>Report anti-social behaviour</h1>
<p class="note">For wardens and patrols in {name}. No names, no descriptions of people, no
photos: only what, when and where.</p>
<form id="report" novalidate>
  <fieldset id="device">
    <legend>This device</legend>
    <label for="key">Device key</label>
    <input id="key" name="key" type="password" autocomplete="off" required>
  </fieldset>
  <label for="asb_type">What</label>
  <select id="asb_type" name="asb_type" required>
  {options}
  </select>
  <label for="when">When</label>
  <input id="when" name="when" type="datetime-local" required>
  <div class="check">
    <input id="youth" name="youth" type="checkbox">
    <label for="youth">Young people (under 18) involved</label>
  </div>
  <fieldset>
    <legend>Where</legend>
    <p id="where-help" class="note">Tap the map where it happened, or use this phone's location.</p>
    <svg id="map" role="img" aria-labelledby="map-title" aria-describedby="where-help"
      viewBox="0 0 {WIDTH:.0f} {frame.height:.0f}"
      data-west="{frame.west}" data-north="{frame.north}"
      data-sx="{frame.scale_x}" data-sy="{frame.scale_y}">
      <title id="map-title">Map of {name}'s neighbourhoods (LSOAs)</title>
      <g class="areas">{shapes}</g>
      <circle id="pin" r="6" cx="-20" cy="-20"/>
    </svg>
    <button type="button" id="locate">Use my location</button>
    <p id="point" aria-live="polite">No place chosen yet.</p>
  </fieldset>
  <p class="note">Photos are not accepted: they can show people and vehicles.</p>
  <button type="submit" id="send">Send report</button>
  <p id="result" role="status" aria-live="polite"></p>
</form>
</main>
<script src="report.js"></script>
</body>
</html>
"""


def _label(slug: str) -> str:
    return html.escape(slug.replace("-", " ").capitalize())


def asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")
