"""The partnership's areas: LSOAs, their wards, interior points and population.

Default: Wirral (packaged ``safer/data/wirral_lsoa11_areas.csv``). Read-only reference
data, loaded once per process (``load_areas`` is cached).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from safer.boundaries import Locator

DEFAULT_AREAS = Path(__file__).parent / "data" / "wirral_lsoa11_areas.csv"
DEFAULT_BOUNDARIES = Path(__file__).parent / "data" / "wirral_lsoa_2011.geojson"


@dataclass(frozen=True, slots=True)
class Lsoa:
    code: str
    name: str
    ward_code: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True, slots=True)
class Areas:
    lsoas: tuple[Lsoa, ...]
    ward_names: dict[str, str]
    lsoa_ward: dict[str, str]
    boundaries: Path = DEFAULT_BOUNDARIES

    def locate(self, lat: float, lon: float) -> str | None:
        """The partnership LSOA containing a point (point-in-polygon), None outside."""
        return _locator(self.boundaries).locate(lat, lon)

    def ward_name(self, code: str) -> str:
        return self.ward_names.get(code, code)

    def ward_population(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for lsoa in self.lsoas:
            totals[lsoa.ward_code] = totals.get(lsoa.ward_code, 0) + lsoa.population
        return totals


@cache
def _locator(path: Path) -> Locator:
    return Locator.from_geojson(path)


@cache
def load_areas(path: Path = DEFAULT_AREAS) -> Areas:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    lsoas = tuple(
        Lsoa(
            code=r["lsoa_code"],
            name=r["lsoa_name"],
            ward_code=r["ward_code"],
            lat=float(r["lat"]),
            lon=float(r["lon"]),
            population=int(r["population_2011"]),
        )
        for r in rows
    )
    names = {r["ward_code"]: r["ward_name"] for r in rows}
    return Areas(
        lsoas=lsoas,
        ward_names=dict(sorted(names.items(), key=lambda kv: kv[1])),
        lsoa_ward={lsoa.code: lsoa.ward_code for lsoa in lsoas},
    )
