"""Deriving a partnership's area table from its source files: boundaries (GeoJSON), the ONS
best-fit ward lookup and Census populations (the rules: ``geography.partnership``); and its
comparison area's table from the Census file (``geography.comparison``)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geography.boundaries import Locator, Shape, interior_point, read_text
from geography.comparison import ComparisonConfig, ComparisonRow, read_comparison_table
from geography.partnership import (
    AreaRow,
    PartnershipConfig,
    csv_rows,
    read_lsoa21,
    read_table,
)
from safer.errors import ConfigError

POPULATION_COLUMN = "Age: All usual residents; measures: Value"
_WARD_CODE = re.compile(r"^WD\d\dCD$", re.IGNORECASE)
_WARD_NAME = re.compile(r"^WD\d\dNM$", re.IGNORECASE)
_LAD_CODE = re.compile(r"^(LAD\d\dCD|LADCD_ACTIVE|LADCD)$", re.IGNORECASE)
_LAD_NAME = re.compile(r"^LAD\d\dNM$", re.IGNORECASE)


@dataclass
class Derivation:
    """What loading a partnership found: its LSOA rows and 2021 code map, and how."""

    rows: list[AreaRow]
    lsoa21: dict[str, tuple[str, str]] = field(default_factory=dict)  # 2021 -> (2011, how)
    comparison: list[ComparisonRow] = field(default_factory=list)  # the comparison area's

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
            **({"comparison": self._comparison_summary()} if self.comparison else {}),
        }

    def _comparison_summary(self) -> dict[str, object]:
        population: Counter[str] = Counter()
        lsoas: Counter[str] = Counter()
        for row in self.comparison:
            name = f"{row.authority_code} {row.authority_name}"
            population[name] += row.population
            lsoas[name] += 1
        return {
            "lsoas": dict(sorted(lsoas.items())),
            "population": dict(sorted(population.items())),
        }


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
    comparison = derive_comparison(config.comparison) if config.comparison else []
    return Derivation(rows, lsoa21, comparison)


def derive_comparison(config: ComparisonConfig) -> list[ComparisonRow]:
    """The comparison area's LSOAs: read from its table, or derived from the Census file."""
    if config.areas:
        return read_comparison_table(config.areas)
    assert config.population is not None  # ComparisonConfig.parse: one or the other
    return derive_comparison_rows(config.population, dict(config.authorities))


def derive_comparison_rows(census: Path, authorities: dict[str, str]) -> list[ComparisonRow]:
    """Every LSOA of the Census file whose name starts with one of the authorities' names
    ("Liverpool 001A": Liverpool), by code, with its usual residents; an authority with no
    LSOA there is a configuration error (a misspelt name)."""
    code_of = {name: code for code, name in authorities.items()}
    rows = [
        ComparisonRow(lsoa, code_of[prefix], prefix, population)
        for lsoa, (name, population) in sorted(_read_census(census).items())
        if (prefix := _authority_name(name)) in code_of
    ]
    missing = sorted(set(authorities) - {row.authority_code for row in rows})
    if missing:
        shown = ", ".join(f"{code} {authorities[code]!r}" for code in missing)
        raise ConfigError(f"{census}: no LSOA named after {shown}")
    return rows


WardInfo = dict[str, tuple[str, str | None, str | None]]
"""Ward code -> name, local authority code, local authority name."""


def derive_rows(config: PartnershipConfig) -> list[AreaRow]:
    """Every LSOA of the partnership with its ward, authority, interior point and population;
    a configuration error lists the LSOAs that cannot be placed."""
    lsoa_features = _features(config.lsoa_boundaries)
    lsoas = Locator.from_features(lsoa_features, config.lsoa_code_property)
    wards, ward_info = _ward_locator(config)
    context = _LsoaContext(
        config=config,
        wards=wards,
        ward_info=ward_info,
        lookup=_read_ward_lookup(config.ward_lookup) if config.ward_lookup else {},
        population=_read_population(config.population) if config.population else {},
        lsoa_lad={
            str(f["properties"][config.lsoa_code_property]): _pick(f["properties"], _LAD_CODE)
            for f in lsoa_features
        },
        lsoa_name=_lsoa_names(config, lsoa_features),
    )
    rows: list[AreaRow] = []
    problems: list[str] = []
    for shape in lsoas.shapes:
        row = context.row(shape)
        if isinstance(row, str):
            problems.append(row)
        else:
            rows.append(row)
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise ConfigError(f"partnership {config.name}: {len(problems)} LSOAs: {shown}{more}")
    return sorted(rows, key=lambda r: r.lsoa_code)


def _ward_locator(config: PartnershipConfig) -> tuple[Locator | None, WardInfo]:
    """The ward boundaries as a locator (None without them) and each ward's names."""
    ward_info: WardInfo = {}
    if not config.ward_boundaries:
        return None, ward_info
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
    return Locator.from_features(features, "_code"), ward_info


def _lsoa_names(config: PartnershipConfig, lsoa_features: list[dict[str, Any]]) -> dict[str, str]:
    """LSOA code -> its name (LSOA11CD -> LSOA11NM), the code where the name is missing."""
    code_property = config.lsoa_code_property
    name_property = code_property.removesuffix("CD") + "NM"
    return {
        str(f["properties"][code_property]): str(
            f["properties"].get(name_property) or f["properties"][code_property]
        )
        for f in lsoa_features
    }


@dataclass(frozen=True)
class _LsoaContext:
    """What placing one LSOA needs: the wards, the lookup, populations and LSOA attributes."""

    config: PartnershipConfig
    wards: Locator | None
    ward_info: WardInfo
    lookup: dict[str, tuple[str, str, str | None, str | None]]
    population: dict[str, int]
    lsoa_lad: dict[str, str | None]
    lsoa_name: dict[str, str]

    def row(self, shape: Shape) -> AreaRow | str:
        """The LSOA's row, or why it cannot have one."""
        lon, lat = interior_point(shape)
        ward, ward_from = None, ""
        fit = self.lookup.get(shape.code)
        if fit and (self.wards is None or fit[0] in self.ward_info):
            ward, ward_from = fit[0], "ons-best-fit"
            self.ward_info.setdefault(fit[0], (fit[1], fit[2], fit[3]))
        elif self.wards is not None:
            ward, ward_from = self.wards.locate(lat, lon), "interior-point"
        if ward is None:
            return f"{shape.code}: no ward (not in the lookup, point in no ward)"
        name, lad, lad_name = self.ward_info[ward]
        own_lad = self.lsoa_lad.get(shape.code)
        if own_lad and lad and own_lad != lad:
            return f"{shape.code} (authority {own_lad}) falls in ward {ward} of {lad}"
        authority = lad or own_lad
        if not authority:
            return f"{shape.code}: no local authority in the boundary files or lookup"
        if shape.code not in self.population:
            return f"{shape.code}: no population in {self.config.population}"
        return AreaRow(
            lsoa_code=shape.code,
            lsoa_name=self.lsoa_name[shape.code],
            ward_code=ward,
            ward_name=name,
            authority_code=authority,
            authority_name=lad_name or _authority_name(self.lsoa_name[shape.code]),
            lat=round(lat, 6),
            lon=round(lon, 6),
            population=self.population[shape.code],
            ward_from=ward_from,
        )


def _authority_name(lsoa_name: str) -> str:
    """ONS LSOA names are the authority's name and a code: 'Wirral 035A'."""
    return lsoa_name.rsplit(" ", 1)[0]


def _read_ward_lookup(path: Path) -> dict[str, tuple[str, str, str | None, str | None]]:
    """LSOA -> (ward, ward name, authority, authority name) from an ONS-style lookup."""
    found: dict[str, tuple[str, str, str | None, str | None]] = {}
    for row in csv_rows(path):
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
    return {code: population for code, (_, population) in _read_census(path).items()}


def _read_census(path: Path) -> dict[str, tuple[str, int]]:
    """LSOA -> (name, usual residents), from a Census KS102EW-style CSV (Nomis bulk; the
    name column ``geography`` may be missing: "")."""
    found: dict[str, tuple[str, int]] = {}
    for line, row in enumerate(csv_rows(path), start=2):
        code, value = row.get("geography code"), row.get(POPULATION_COLUMN)
        if code is None or value is None:
            raise ConfigError(
                f"{path}: expected 'geography code' and {POPULATION_COLUMN!r} columns"
            )
        if not value.strip().isdigit():
            raise ConfigError(f"{path}:{line}: population {value!r} is not a count")
        found[code] = (row.get("geography") or "", int(value))
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
