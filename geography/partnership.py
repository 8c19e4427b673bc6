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

Each LSOA's ward is the ONS best-fit ward from ``ward_lookup`` where that lookup has the
LSOA and (when ward boundaries are given) its ward is one of them; otherwise the ward whose
boundary contains the LSOA's interior point (``geography.boundaries.interior_point``). A ward
of another local authority than the LSOA's own (where the boundary file says which) is a
configuration error. A 2021 LSOA code maps to itself where the 2011 set has it, else to the
2011 LSOA containing its interior point (a split LSOA maps to its 2011 parent).
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geography.boundaries import Locator, interior_point, read_text
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
POPULATION_COLUMN = "Age: All usual residents; measures: Value"
_WARD_CODE = re.compile(r"^WD\d\dCD$", re.IGNORECASE)
_WARD_NAME = re.compile(r"^WD\d\dNM$", re.IGNORECASE)
_LAD_CODE = re.compile(r"^(LAD\d\dCD|LADCD_ACTIVE|LADCD)$", re.IGNORECASE)
_LAD_NAME = re.compile(r"^LAD\d\dNM$", re.IGNORECASE)


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

        def place(key: str) -> Path | None:
            value = raw.get(key)
            if value is None:
                return None
            found = (path.parent / str(value)).resolve()
            if not found.is_file():
                raise ConfigError(f"partnership file {path}: {key} {found} does not exist")
            return found

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
        )


@dataclass
class Derivation:
    """What loading a partnership found: its LSOA rows and 2021 code map, and how."""

    rows: list[AreaRow]
    lsoa21: dict[str, tuple[str, str]] = field(default_factory=dict)  # 2021 -> (2011, how)

    def summary(self) -> dict[str, object]:
        return {
            "lsoas": len(self.rows),
            "wards": len({r.ward_code for r in self.rows}),
            "authorities": dict(
                sorted(Counter(f"{r.authority_code} {r.authority_name}" for r in self.rows).items())
            ),
            "population": sum(r.population for r in self.rows),
            "ward_from": dict(Counter(r.ward_from for r in self.rows)),
            "lsoa_2021_codes": dict(Counter(how for _, how in self.lsoa21.values())),
        }


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    yield from csv.DictReader(io.StringIO(read_text(path)))


def _features(path: Path) -> list[dict[str, Any]]:
    try:
        features: list[dict[str, Any]] = json.loads(read_text(path))["features"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is not a GeoJSON FeatureCollection: {exc}") from exc
    return features


def _pick(properties: dict[str, Any], pattern: re.Pattern[str]) -> str | None:
    for key, value in properties.items():
        if pattern.match(key) and value not in (None, "", " "):
            return str(value).strip()
    return None


def load(config: PartnershipConfig) -> Derivation:
    """The partnership's areas: read from its table, or derived from its source files."""
    rows = read_table(config.areas) if config.areas else derive_rows(config)
    if not rows:
        raise ConfigError(f"partnership {config.name}: no LSOAs")
    if config.lsoa_2021_lookup:
        lsoa21 = read_lsoa21(config.lsoa_2021_lookup)
    elif config.lsoa_2021_boundaries:
        lsoa21 = derive_lsoa21(config, {r.lsoa_code for r in rows})
    else:
        lsoa21 = {}
    return Derivation(rows, lsoa21)


def derive_rows(config: PartnershipConfig) -> list[AreaRow]:
    lsoa_features = _features(config.lsoa_boundaries)
    lsoas = Locator.from_features(lsoa_features, config.lsoa_code_property)
    wards: Locator | None = None
    ward_info: dict[str, tuple[str, str | None, str | None]] = {}  # code -> name, lad, lad name
    if config.ward_boundaries:
        features = _features(config.ward_boundaries)
        codes = [_pick(f["properties"], _WARD_CODE) for f in features]
        if any(code is None for code in codes):
            raise ConfigError(f"{config.ward_boundaries}: a feature has no WDyyCD property")
        for feature, code in zip(features, codes, strict=True):
            p = feature["properties"]
            ward_info[str(code)] = (
                _pick(p, _WARD_NAME) or str(code),
                _pick(p, _LAD_CODE),
                _pick(p, _LAD_NAME),
            )
            feature["properties"] = {**p, "_code": code}
        wards = Locator.from_features(features, "_code")
    lookup = _read_ward_lookup(config.ward_lookup) if config.ward_lookup else {}
    population = _read_population(config.population) if config.population else {}
    lsoa_lad = {
        str(f["properties"][config.lsoa_code_property]): _pick(f["properties"], _LAD_CODE)
        for f in lsoa_features
    }
    name_property = config.lsoa_code_property.removesuffix("CD") + "NM"  # LSOA11CD -> LSOA11NM
    lsoa_name = {
        str(f["properties"][config.lsoa_code_property]): str(
            f["properties"].get(name_property) or f["properties"][config.lsoa_code_property]
        )
        for f in lsoa_features
    }
    rows: list[AreaRow] = []
    problems: list[str] = []
    for shape in lsoas.shapes:
        lon, lat = interior_point(shape)
        ward, ward_from = None, ""
        fit = lookup.get(shape.code)
        if fit and (wards is None or fit[0] in ward_info):
            ward, ward_from = fit[0], "ons-best-fit"
            ward_info.setdefault(fit[0], (fit[1], fit[2], fit[3]))
        elif wards is not None:
            ward, ward_from = wards.locate(lat, lon), "interior-point"
        if ward is None:
            problems.append(f"{shape.code}: no ward (not in the lookup, point in no ward)")
            continue
        name, lad, lad_name = ward_info[ward]
        own_lad = lsoa_lad.get(shape.code)
        if own_lad and lad and own_lad != lad:
            problems.append(f"{shape.code} (authority {own_lad}) falls in ward {ward} of {lad}")
            continue
        authority = lad or own_lad
        if not authority:
            problems.append(f"{shape.code}: no local authority in the boundary files or lookup")
            continue
        if shape.code not in population:
            problems.append(f"{shape.code}: no population in {config.population}")
            continue
        rows.append(
            AreaRow(
                lsoa_code=shape.code,
                lsoa_name=lsoa_name[shape.code],
                ward_code=ward,
                ward_name=name,
                authority_code=authority,
                authority_name=lad_name or _authority_name(lsoa_name[shape.code]),
                lat=round(lat, 6),
                lon=round(lon, 6),
                population=population[shape.code],
                ward_from=ward_from,
            )
        )
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise ConfigError(f"partnership {config.name}: {len(problems)} LSOAs: {shown}{more}")
    return sorted(rows, key=lambda r: r.lsoa_code)


def _authority_name(lsoa_name: str) -> str:
    """ONS LSOA names are the authority's name and a code: 'Wirral 035A'."""
    return lsoa_name.rsplit(" ", 1)[0]


def _read_ward_lookup(path: Path) -> dict[str, tuple[str, str, str | None, str | None]]:
    """LSOA -> (ward, ward name, authority, authority name) from an ONS-style lookup."""
    found: dict[str, tuple[str, str, str | None, str | None]] = {}
    for row in _csv_rows(path):
        lsoa = row.get("LSOA11CD") or row.get("LSOA21CD")
        ward = _pick(row, _WARD_CODE)
        if not lsoa or not ward:
            raise ConfigError(f"{path}: expected LSOA11CD/LSOA21CD and WDyyCD columns")
        found[lsoa] = (
            ward,
            _pick(row, _WARD_NAME) or ward,
            _pick(row, _LAD_CODE),
            _pick(row, _LAD_NAME),
        )
    return found


def _read_population(path: Path) -> dict[str, int]:
    """LSOA -> usual residents, from a Census KS102EW-style CSV (Nomis bulk download)."""
    found: dict[str, int] = {}
    for row in _csv_rows(path):
        code = row.get("geography code")
        value = row.get(POPULATION_COLUMN)
        if code is None or value is None:
            raise ConfigError(
                f"{path}: expected 'geography code' and {POPULATION_COLUMN!r} columns"
            )
        found[code] = int(value)
    return found


def derive_lsoa21(config: PartnershipConfig, lsoa11: set[str]) -> dict[str, tuple[str, str]]:
    """2021 LSOA code -> (2011 code, how): unchanged codes map to themselves, others to the
    2011 LSOA containing their interior point."""
    assert config.lsoa_2021_boundaries is not None
    features = _features(config.lsoa_2021_boundaries)
    locator = Locator.from_features(features, "LSOA21CD")
    within = Locator.from_features(_features(config.lsoa_boundaries), config.lsoa_code_property)
    found: dict[str, tuple[str, str]] = {}
    for shape in locator.shapes:
        if shape.code in lsoa11:
            found[shape.code] = (shape.code, "unchanged")
            continue
        lon, lat = interior_point(shape)
        parent = within.locate(lat, lon)
        if parent is None:
            raise ConfigError(f"2021 LSOA {shape.code}: its interior point is in no 2011 LSOA")
        found[shape.code] = (parent, "interior-point")
    return found


def read_table(path: Path) -> list[AreaRow]:
    rows = list(_csv_rows(path))
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
    rows = list(_csv_rows(path))
    if rows and tuple(rows[0]) != LSOA21_COLUMNS:
        raise ConfigError(f"{path}: not a 2021 LSOA table (columns {', '.join(LSOA21_COLUMNS)})")
    return {r["lsoa21_code"]: (r["lsoa11_code"], r["how"]) for r in rows}


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
