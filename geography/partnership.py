"""A partnership's geography, configured by files alone: which LSOAs it covers, the ward and
local authority of each, an interior point and the resident population.

A partnership is a TOML file (``SAFER_PARTNERSHIP``; default: Wirral, packaged
``geography/data/wirral.toml``). Paths are relative to the TOML file; ``.gz`` files are read as
such::

    name = "Liverpool City Region"
    # required: the 2011 LSOAs (point-in-polygon, interior points, their authority)
    lsoa_boundaries = "liverpool_city_region_lsoa_2011.geojson"
    # ward names and authorities, and the ward containing each LSOA's interior point
    ward_boundaries = "liverpool_city_region_wards_2025.geojson"
    # optional: the ONS best-fit ward, where it fits the wards above
    ward_lookup = "ons_lsoa11_to_ward2019_lookup_ew.csv"
    population = "census2011_ks102ew_age_structure_lsoa_england_wales.csv"
    # optional: records with 2021 LSOA codes are mapped to 2011 ones
    lsoa_2021_boundaries = "wirral_lsoa_2021.geojson"
    # or, instead of deriving: areas = "table.csv", lsoa_2021_lookup = "lsoa21.csv"
    # (the tables ``safer areas --out`` / ``--out-2021`` write)
    # optional: the wider area its figures are compared with (``geography.comparison``)
    [comparison]
    name = "Merseyside"
    areas = "merseyside_lsoa11_authorities.csv"

Each LSOA's ward is the ONS best-fit ward from ``ward_lookup`` where that lookup has the
LSOA and (when ward boundaries are given) its ward is one of them; otherwise the ward whose
boundary contains the LSOA's interior point (``geography.boundaries.interior_point``). A ward
of another local authority than the LSOA's own (where the boundary file says which) is a
configuration error. A 2021 LSOA code maps to itself where the 2011 set has it, else to the
2011 LSOA containing its interior point (a split LSOA maps to its 2011 parent). The
derivation from source files is ``geography.derivation``; this module holds the file format
and the derived tables.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geography.boundaries import read_text
from geography.comparison import ComparisonConfig
from safer.errors import ConfigError

TABLE_COLUMNS = (
    "lsoa_code",
    "lsoa_name",
    "ward_code",
    "ward_name",
    "authority_code",
    "authority_name",
    "lat",
    "lon",
    "population",
    "ward_from",
)
LSOA21_COLUMNS = ("lsoa21_code", "lsoa11_code", "how")


@dataclass(frozen=True, slots=True)
class AreaRow:
    """One LSOA of the partnership, as the areas table holds it."""

    lsoa_code: str
    lsoa_name: str
    ward_code: str
    ward_name: str
    authority_code: str
    authority_name: str
    lat: float
    lon: float
    population: int
    ward_from: str  # "ons-best-fit" | "interior-point" | what the table said

    def values(self) -> tuple[str, ...]:
        return (
            self.lsoa_code,
            self.lsoa_name,
            self.ward_code,
            self.ward_name,
            self.authority_code,
            self.authority_name,
            f"{self.lat:.6f}",
            f"{self.lon:.6f}",
            str(self.population),
            self.ward_from,
        )


@dataclass(frozen=True, slots=True)
class PartnershipConfig:
    name: str
    source: Path
    lsoa_boundaries: Path
    lsoa_code_property: str = "LSOA11CD"
    areas: Path | None = None
    ward_boundaries: Path | None = None
    ward_lookup: Path | None = None
    population: Path | None = None
    lsoa_2021_boundaries: Path | None = None
    lsoa_2021_lookup: Path | None = None
    comparison: ComparisonConfig | None = None

    @classmethod
    def load(cls, path: Path) -> PartnershipConfig:
        try:
            raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"partnership file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"partnership file {path} is not valid TOML: {exc}") from exc
        known = {f for f in cls.__dataclass_fields__ if f != "source"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"partnership file {path}: unknown settings {unknown}")
        for required in ("name", "lsoa_boundaries"):
            if required not in raw:
                raise ConfigError(f"partnership file {path}: {required!r} is required")
        if "areas" not in raw and ("ward_boundaries" not in raw and "ward_lookup" not in raw):
            raise ConfigError(
                f"partnership file {path}: give 'areas' (a table) or 'ward_boundaries' and/or "
                "'ward_lookup' to derive one"
            )
        if "areas" not in raw and "population" not in raw:
            raise ConfigError(f"partnership file {path}: 'population' is required to derive")

        def resolve(key: str, value: object) -> Path:
            found = (path.parent / str(value)).resolve()
            if not found.is_file():
                raise ConfigError(f"partnership file {path}: {key} {found} does not exist")
            return found

        def place(key: str) -> Path | None:
            value = raw.get(key)
            return None if value is None else resolve(key, value)

        lsoa_boundaries = place("lsoa_boundaries")
        assert lsoa_boundaries is not None
        return cls(
            name=str(raw["name"]),
            source=path,
            lsoa_boundaries=lsoa_boundaries,
            lsoa_code_property=str(raw.get("lsoa_code_property", "LSOA11CD")),
            areas=place("areas"),
            ward_boundaries=place("ward_boundaries"),
            ward_lookup=place("ward_lookup"),
            population=place("population"),
            lsoa_2021_boundaries=place("lsoa_2021_boundaries"),
            lsoa_2021_lookup=place("lsoa_2021_lookup"),
            comparison=ComparisonConfig.parse(raw["comparison"], path, resolve)
            if "comparison" in raw
            else None,
        )


def csv_rows(path: Path) -> Iterator[dict[str, str]]:
    yield from csv.DictReader(io.StringIO(read_text(path)))


def read_table(path: Path) -> list[AreaRow]:
    rows = list(csv_rows(path))
    if not rows or tuple(rows[0]) != TABLE_COLUMNS:
        raise ConfigError(f"{path}: not an areas table (columns {', '.join(TABLE_COLUMNS)})")
    return [
        AreaRow(
            r["lsoa_code"],
            r["lsoa_name"],
            r["ward_code"],
            r["ward_name"],
            r["authority_code"],
            r["authority_name"],
            float(r["lat"]),
            float(r["lon"]),
            int(r["population"]),
            r["ward_from"],
        )
        for r in rows
    ]


def read_lsoa21(path: Path) -> dict[str, tuple[str, str]]:
    rows = list(csv_rows(path))
    if rows and tuple(rows[0]) != LSOA21_COLUMNS:
        raise ConfigError(f"{path}: not a 2021 LSOA table (columns {', '.join(LSOA21_COLUMNS)})")
    return {r["lsoa21_code"]: (r["lsoa11_code"], r["how"]) for r in rows}


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
