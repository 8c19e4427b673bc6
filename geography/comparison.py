"""A partnership's comparison area: the wider area its figures are set against (Wirral
against Merseyside, the police force area), each LSOA's local authority and the Census 2011
usual residents of each authority — the partnership's own included.

Configured by a table in the partnership file (paths relative to it)::

    [comparison]
    name = "Merseyside"                          # the force area
    areas = "merseyside_lsoa11_authorities.csv"  # the table (``COMPARISON_COLUMNS``)
    # or, to derive that table: the Census file and the authorities, by their ONS names
    # population = "census2011_ks102ew_age_structure_lsoa_england_wales.csv"
    # authorities = { E08000011 = "Knowsley", E08000012 = "Liverpool", ... }

Derived (``geography.derivation.derive_comparison_rows``; ``safer areas --out-comparison``
writes the table), an LSOA belongs to the authority its Census name starts with ("Liverpool
001A"). Records in the comparison area outside the partnership count at the wider level only
(``aggregates.inputs.record_areas``). Without ``[comparison]`` there is none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from geography.boundaries import read_text
from safer.errors import ConfigError

COMPARISON_COLUMNS = ("lsoa_code", "authority_code", "authority_name", "population")
_SETTINGS = ("name", "areas", "population", "authorities")


@dataclass(frozen=True, slots=True)
class ComparisonConfig:
    """The ``[comparison]`` table of a partnership file: the table, or its sources."""

    name: str
    areas: Path | None = None
    population: Path | None = None
    authorities: tuple[tuple[str, str], ...] = ()
    """(ONS code, ONS name) of each authority, to derive the table from ``population``."""

    @classmethod
    def parse(
        cls, raw: object, source: Path, place: Callable[[str, object], Path]
    ) -> ComparisonConfig:
        """The table as read from the TOML; ``place(key, value)`` resolves a file path."""
        where = f"partnership file {source}: [comparison]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where} must be a table")
        unknown = sorted(set(raw) - set(_SETTINGS))
        if unknown:
            raise ConfigError(f"{where}: unknown settings {unknown}")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: 'name' is required")
        authorities = raw.get("authorities", {})
        if not isinstance(authorities, dict) or not all(
            isinstance(v, str) for v in authorities.values()
        ):
            raise ConfigError(f"{where}: 'authorities' must map codes to names")
        if "areas" not in raw and not ("population" in raw and authorities):
            raise ConfigError(f"{where}: give 'areas' (a table) or 'population' and 'authorities'")
        return cls(
            name=name.strip(),
            areas=place("comparison.areas", raw["areas"]) if "areas" in raw else None,
            population=place("comparison.population", raw["population"])
            if "population" in raw
            else None,
            authorities=tuple(sorted(authorities.items())),
        )


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One LSOA of the comparison area, as its table holds it."""

    lsoa_code: str
    authority_code: str
    authority_name: str
    population: int

    def values(self) -> tuple[str, ...]:
        return (self.lsoa_code, self.authority_code, self.authority_name, str(self.population))


def read_comparison_table(path: Path) -> list[ComparisonRow]:
    """The rows of a comparison table; a broken file is a one-line ``ConfigError``."""
    try:
        reader = csv.reader(io.StringIO(read_text(path)))
        header = next(reader, None)
        if header is None or tuple(header) != COMPARISON_COLUMNS:
            raise ConfigError(
                f"{path}: not a comparison table (columns {', '.join(COMPARISON_COLUMNS)})"
            )
        rows = []
        for line, values in enumerate(reader, start=2):
            if len(values) != len(COMPARISON_COLUMNS) or not all(values[:3]):
                raise ConfigError(f"{path}:{line}: expected {', '.join(COMPARISON_COLUMNS)}")
            code, authority, name, population = values
            if not population.isdigit():
                raise ConfigError(f"{path}:{line}: population {population!r} is not a count")
            rows.append(ComparisonRow(code, authority, name, int(population)))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"comparison table {path} cannot be read: {exc}") from exc
    return rows


@dataclass(frozen=True, slots=True)
class Comparison:
    """The loaded comparison area (``Areas.comparison``)."""

    name: str
    lsoa_authority: dict[str, str]
    """Every 2011 LSOA of the area -> its local authority (ONS code)."""
    authority_names: dict[str, str]
    """Authority code -> name, by code (the partnership's own among them)."""
    population: dict[str, int]
    """Authority code -> Census 2011 usual residents."""

    @property
    def authorities(self) -> tuple[str, ...]:
        """The area's local authorities: the shards of its level (``aggregates.hashes``)."""
        return tuple(self.authority_names)

    @property
    def total_population(self) -> int:
        return sum(self.population.values())

    @classmethod
    def of(
        cls, name: str, rows: Sequence[ComparisonRow], partnership: Mapping[str, str]
    ) -> Comparison:
        """From its table's rows, checked against the partnership's LSOA -> authority: an
        LSOA of both has the same authority in both, and every partnership LSOA of a
        comparison authority is in the table (so its wider figure is its borough's)."""
        if not rows:
            raise ConfigError(f"comparison area {name}: no LSOAs")
        lsoas: dict[str, str] = {}
        names: dict[str, str] = {}
        population: dict[str, int] = {}
        for row in rows:
            if row.lsoa_code in lsoas:
                raise ConfigError(f"comparison area {name}: LSOA {row.lsoa_code} twice")
            if names.setdefault(row.authority_code, row.authority_name) != row.authority_name:
                raise ConfigError(
                    f"comparison area {name}: authority {row.authority_code} has two names"
                )
            lsoas[row.lsoa_code] = row.authority_code
            population[row.authority_code] = population.get(row.authority_code, 0) + row.population
        for lsoa, authority in sorted(partnership.items()):
            found = lsoas.get(lsoa)
            if found is not None and found != authority:
                raise ConfigError(
                    f"comparison area {name}: LSOA {lsoa} is in {found}, the partnership "
                    f"says {authority}"
                )
            if found is None and authority in names:
                raise ConfigError(
                    f"comparison area {name}: the partnership's LSOA {lsoa} of {authority} "
                    "is not in its table"
                )
        return cls(name, lsoas, dict(sorted(names.items())), dict(sorted(population.items())))
