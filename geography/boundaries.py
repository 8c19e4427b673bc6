"""Point-in-polygon: which LSOA of the partnership a WGS84 point lies in.

Boundaries are a GeoJSON FeatureCollection of (Multi)Polygons in lon/lat with the LSOA code
in a property (default: Wirral's 2011 LSOAs, ``geography/data/wirral_lsoa_2011.geojson``, ONS,
OGL). A grid index over the bounding boxes (about 1 km cells) leaves a few candidate
polygons per point; each is tested by ray casting, holes included. A point on no polygon
(outside the partnership) gives ``None``.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from math import floor
from pathlib import Path
from typing import Any

from geography.bng import POINT_CACHE

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
        return cls.from_features(json.loads(read_text(path))["features"], code_property)

    @classmethod
    def from_features(cls, features: list[dict[str, Any]], code_property: str) -> Locator:
        shapes = []
        for feature in features:
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


def read_text(path: Path) -> str:
    """A text file's content (UTF-8, BOM dropped); ``.gz`` files are decompressed."""
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes()).decode("utf-8-sig")
    return path.read_text(encoding="utf-8-sig")


def interior_point(shape: Shape) -> tuple[float, float]:
    """A point (lon, lat) strictly inside the shape's largest polygon: the middle of the
    widest inside stretch of a horizontal line through the middle of its extent, the line
    placed between vertices so that it crosses edges cleanly (a centroid can fall outside a
    concave or holed polygon; this cannot)."""
    polygon = max(shape.polygons, key=_extent)
    ys = sorted({y for ring in polygon for _, y in ring})
    middle = (ys[0] + ys[-1]) / 2
    below = max((y for y in ys if y <= middle), default=ys[0])
    above = min((y for y in ys if y > middle), default=ys[-1])
    line = (below + above) / 2
    crossings = sorted(
        xa + (line - ya) * (xb - xa) / (yb - ya)
        for ring in polygon
        for (xa, ya), (xb, yb) in zip(ring, ring[1:] + ring[:1], strict=True)
        if (ya > line) != (yb > line)
    )
    start, end = max(zip(crossings[::2], crossings[1::2], strict=True), key=lambda s: s[1] - s[0])
    return (start + end) / 2, line


def _extent(polygon: tuple[Ring, ...]) -> float:
    xs = [x for x, _ in polygon[0]]
    ys = [y for _, y in polygon[0]]
    return (max(xs) - min(xs)) * (max(ys) - min(ys))


@lru_cache(maxsize=POINT_CACHE)
def _cached_locate(locator: Locator, lat: float, lon: float) -> str | None:
    return locator._locate(lat, lon)
