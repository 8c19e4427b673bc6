"""Point-in-polygon: which LSOA of the partnership a WGS84 point lies in.

Boundaries are a GeoJSON FeatureCollection of (Multi)Polygons in lon/lat with the LSOA code
in a property (default: Wirral's 2011 LSOAs, ``safer/data/wirral_lsoa_2011.geojson``, ONS,
OGL). A grid index over the bounding boxes (about 1 km cells) leaves a few candidate
polygons per point; each is tested by ray casting, holes included. A point on no polygon
(outside the partnership) gives ``None``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from math import floor
from pathlib import Path

Ring = tuple[tuple[float, float], ...]
CELL_DEG = 0.01


@dataclass(frozen=True, slots=True)
class Shape:
    code: str
    polygons: tuple[tuple[Ring, ...], ...]  # each: outer ring, then holes
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat

    def contains(self, lon: float, lat: float) -> bool:
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        return any(
            _inside(outer, lon, lat) and not any(_inside(hole, lon, lat) for hole in holes)
            for outer, *holes in self.polygons
        )


def _inside(ring: Ring, x: float, y: float) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


class Locator:
    def __init__(self, shapes: list[Shape]) -> None:
        self.shapes = shapes
        self._grid: dict[tuple[int, int], list[Shape]] = defaultdict(list)
        for shape in shapes:
            x0, y0, x1, y1 = shape.bbox
            for gx in range(floor(x0 / CELL_DEG), floor(x1 / CELL_DEG) + 1):
                for gy in range(floor(y0 / CELL_DEG), floor(y1 / CELL_DEG) + 1):
                    self._grid[gx, gy].append(shape)

    @classmethod
    def from_geojson(cls, path: Path, code_property: str = "LSOA11CD") -> Locator:
        collection = json.loads(path.read_text(encoding="utf-8"))
        shapes = []
        for feature in collection["features"]:
            geometry = feature["geometry"]
            parts = (
                [geometry["coordinates"]]
                if geometry["type"] == "Polygon"
                else geometry["coordinates"]
            )
            polygons = tuple(
                tuple(tuple((float(x), float(y)) for x, y, *_ in ring) for ring in part)
                for part in parts
            )
            xs = [x for poly in polygons for x, _ in poly[0]]
            ys = [y for poly in polygons for _, y in poly[0]]
            code = feature["properties"][code_property]
            shapes.append(Shape(code, polygons, (min(xs), min(ys), max(xs), max(ys))))
        return cls(shapes)

    def locate(self, lat: float, lon: float) -> str | None:
        """The code of the area containing the point, or None outside every one."""
        return _cached_locate(self, round(lat, 6), round(lon, 6))

    def _locate(self, lat: float, lon: float) -> str | None:
        for shape in self._grid.get((floor(lon / CELL_DEG), floor(lat / CELL_DEG)), ()):
            if shape.contains(lon, lat):
                return shape.code
        return None


@lru_cache(maxsize=65536)
def _cached_locate(locator: Locator, lat: float, lon: float) -> str | None:
    return locator._locate(lat, lon)
