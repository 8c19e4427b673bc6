"""The partnership's areas: LSOAs, their wards and local authorities, interior points and
population, and the point-in-polygon that places a record without an LSOA code.

Which partnership is configuration (``SAFER_PARTNERSHIP``, see ``geography.partnership``);
default: Wirral (packaged ``geography/data/wirral.toml``). Read-only reference data, loaded once
per process (``load_areas`` is cached).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from geography.boundaries import Locator
from geography.comparison import Comparison

DEFAULT_PARTNERSHIP = Path(__file__).parent / "data" / "wirral.toml"


@dataclass(frozen=True, slots=True)
class Lsoa:
    code: str
    name: str
    ward_code: str
    lat: float
    lon: float
    population: int
    authority_code: str = ""


@dataclass(frozen=True, slots=True)
class Areas:
    lsoas: tuple[Lsoa, ...]
    ward_names: dict[str, str]
    lsoa_ward: dict[str, str]
    boundaries: Path
    name: str = ""
    lsoa_code_property: str = "LSOA11CD"
    authority_names: dict[str, str] = field(default_factory=dict)
    ward_authority: dict[str, str] = field(default_factory=dict)
    lsoa_aliases: dict[str, str] = field(default_factory=dict)
    """LSOA codes of another vintage (2021) -> the partnership's own (2011) code."""
    comparison: Comparison | None = None
    """The wider area the partnership is compared with (``[comparison]``), if configured."""

    def locate(self, lat: float, lon: float) -> str | None:
        """The partnership LSOA containing a point (point-in-polygon), None outside."""
        return _locator(self.boundaries, self.lsoa_code_property).locate(lat, lon)

    def lsoa(self, code: str) -> str:
        """A record's LSOA code as the partnership's own (a 2021 code mapped to 2011)."""
        return self.lsoa_aliases.get(code, code)

    def ward_name(self, code: str) -> str:
        return self.ward_names.get(code, code)

    @property
    def combined(self) -> bool:
        """Whether the partnership spans several local authorities (a combined authority)."""
        return len(self.authority_names) > 1

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lon) of the middle of the partnership's LSOAs' bounding box."""
        lats = [a.lat for a in self.lsoas]
        lons = [a.lon for a in self.lsoas]
        return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2

    def authority_wards(self, authority: str | None) -> set[str]:
        """The wards of one local authority (None: every ward of the partnership)."""
        return {
            w
            for w in self.ward_names
            if authority is None or self.ward_authority.get(w) == authority
        }

    def ward_population(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for lsoa in self.lsoas:
            totals[lsoa.ward_code] = totals.get(lsoa.ward_code, 0) + lsoa.population
        return totals

    def authority_population(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for lsoa in self.lsoas:
            totals[lsoa.authority_code] = totals.get(lsoa.authority_code, 0) + lsoa.population
        return totals


@cache
def _locator(path: Path, code_property: str) -> Locator:
    return Locator.from_geojson(path, code_property)


@cache
def load_areas(partnership: Path | None = None) -> Areas:
    """The areas of a partnership file (default: Wirral); raises ``ConfigError``."""
    from geography.derivation import load
    from geography.partnership import PartnershipConfig

    config = PartnershipConfig.load(partnership or DEFAULT_PARTNERSHIP)
    found = load(config)
    lsoas = tuple(
        Lsoa(r.lsoa_code, r.lsoa_name, r.ward_code, r.lat, r.lon, r.population, r.authority_code)
        for r in found.rows
    )
    comparison = (
        Comparison.of(
            config.comparison.name,
            found.comparison,
            {lsoa.code: lsoa.authority_code for lsoa in lsoas},
        )
        if config.comparison
        else None
    )
    wards = {r.ward_code: r.ward_name for r in found.rows}
    return Areas(
        lsoas=lsoas,
        ward_names=dict(sorted(wards.items(), key=lambda kv: kv[1])),
        lsoa_ward={lsoa.code: lsoa.ward_code for lsoa in lsoas},
        boundaries=config.lsoa_boundaries,
        name=config.name,
        lsoa_code_property=config.lsoa_code_property,
        authority_names=dict(
            sorted({r.authority_code: r.authority_name for r in found.rows}.items())
        ),
        ward_authority={r.ward_code: r.authority_code for r in found.rows},
        lsoa_aliases={new: old for new, (old, _) in found.lsoa21.items() if new != old},
        comparison=comparison,
    )
