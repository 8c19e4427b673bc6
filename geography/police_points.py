"""police.uk's anonymised map points of the partnership, and snapping a point to them.

data.police.uk never publishes where a crime happened: each is moved to the nearest of a
set of anonymous map points (the centre of a street, a public place), named "On or near …".
The packaged points (``geography/data/wirral_police_points.csv``, derived from real
street-level files by ``scripts/derive_police_points.py``) serve twice: the simulator
places police events on them, and a sharing agreement with ``snapped-point`` precision
moves every shared record's point to the nearest of them within its LSOA, as police.uk does
(``sharing``). An LSOA without points snaps to its interior point.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DEFAULT_POINTS = Path(__file__).parent / "data" / "wirral_police_points.csv"


@dataclass(frozen=True, slots=True)
class PolicePoint:
    """A police.uk anonymised map point: coordinates and its 'On or near …' name."""

    lsoa_code: str
    lat: float
    lon: float
    place: str
    crimes: int


@cache
def load_police_points(path: Path = DEFAULT_POINTS) -> dict[str, tuple[PolicePoint, ...]]:
    """Packaged police points grouped by LSOA code (see ``scripts/derive_police_points.py``)."""
    with path.open(newline="", encoding="utf-8") as handle:
        points = [_point(row) for row in csv.DictReader(handle)]
    grouped: dict[str, list[PolicePoint]] = {}
    for point in points:
        grouped.setdefault(point.lsoa_code, []).append(point)
    return {code: tuple(group) for code, group in grouped.items()}


def _point(row: dict[str, str]) -> PolicePoint:
    return PolicePoint(
        row["lsoa_code"], float(row["lat"]), float(row["lon"]), row["place"], int(row["crimes"])
    )


def nearest(points: tuple[PolicePoint, ...], lat: float, lon: float) -> PolicePoint:
    """The point nearest (lat, lon) (equirectangular distance: exact enough within an LSOA;
    ties go to the first in file order, so snapping is deterministic)."""
    scale = math.cos(math.radians(lat))
    return min(points, key=lambda p: (p.lat - lat) ** 2 + ((p.lon - lon) * scale) ** 2)
