"""Real public test data kept in ``tests/data`` (large files gzipped)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

DATA = Path(__file__).parent / "data"
WIRRAL = "E08000015"


def data_file(name: str) -> Path:
    """A test data file by its published name (unpacked once into the temp folder if it
    is stored gzipped, so that its name stays the published one)."""
    plain = DATA / name
    if plain.exists():
        return plain
    packed = DATA / f"{name}.gz"
    if not packed.exists():
        raise FileNotFoundError(f"no test data file {name} in {DATA}")
    target = Path(tempfile.gettempdir()) / "safer-test-data" / name
    if not target.exists() or target.stat().st_mtime < packed.stat().st_mtime:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        with gzip.open(packed, "rb") as source, partial.open("wb") as out:
            shutil.copyfileobj(source, out)
        partial.replace(target)
    return target


def police_months(year: int) -> list[Path]:
    """Every Merseyside street-crime month of a year kept here, in month order."""
    names = sorted(p.name.removesuffix(".gz") for p in DATA.glob(f"{year}-*-street.csv*"))
    return [data_file(name) for name in names]


def pandas_counts(path: Path) -> dict[tuple[str, str], int]:
    """Independently: the CSV joined to ONS's LSOA -> ward lookup, Wirral wards only, crime
    type names mapped by the published category reference, rows counted."""
    crimes = pd.read_csv(path, dtype=str)
    wards = pd.read_csv(data_file("ons_lsoa11_to_ward2019_lookup_merseyside.csv"), dtype=str)
    reference = pd.read_csv(data_file("police_uk_categories_reference_DERIVED.csv"), dtype=str)
    slugs = dict(
        reference.loc[reference["kind"] == "street_crime_type", ["name", "api_slug"]].values
    )
    joined = crimes.merge(wards, left_on="LSOA code", right_on="LSOA11CD", how="inner")
    wirral = joined[joined["LAD19CD"] == WIRRAL]
    counts = wirral.groupby(["WD19CD", wirral["Crime type"].map(slugs)]).size()
    return {(ward, category): int(n) for (ward, category), n in counts.items()}


MERSEYSIDE = {
    "Knowsley": "E08000011",
    "Liverpool": "E08000012",
    "St. Helens": "E08000013",
    "Sefton": "E08000014",
    "Wirral": "E08000015",
}
"""The Merseyside police force area's authorities: ONS name (as Census LSOA names begin)
-> code."""


def pandas_authority_counts(
    path: Path, skip_lines: frozenset[int] = frozenset()
) -> dict[tuple[str, str], int]:
    """Independently: the CSV's rows (but those on ``skip_lines``, 1 = header) with an LSOA
    code, joined to the Census 2011 LSOA names of the Liverpool City Region, each LSOA's
    authority read from its name ("Liverpool 031A"), Merseyside's five only; crime type
    names mapped by the published category reference; rows counted per (authority code,
    category)."""
    crimes = pd.read_csv(path, dtype=str)
    crimes = crimes[~(crimes.index + 2).isin(skip_lines) & crimes["LSOA code"].notna()]
    census = pd.read_csv(data_file("census2011_ks102ew_lsoa_liverpool_city_region.csv"), dtype=str)
    census["authority"] = census["geography"].str.rsplit(" ", n=1).str[0].map(MERSEYSIDE)
    reference = pd.read_csv(data_file("police_uk_categories_reference_DERIVED.csv"), dtype=str)
    slugs = dict(
        reference.loc[reference["kind"] == "street_crime_type", ["name", "api_slug"]].values
    )
    joined = crimes.merge(census, left_on="LSOA code", right_on="geography code", how="inner")
    inside = joined[joined["authority"].notna()]
    counts = inside.groupby(["authority", inside["Crime type"].map(slugs)]).size()
    return {(authority, category): int(n) for (authority, category), n in counts.items()}


def geojson_properties(name: str, code: str) -> dict[str, dict[str, str]]:
    """The properties of every feature of a gzipped GeoJSON kept here, by its ``code``."""
    features = json.loads(gzip.decompress((DATA / name).read_bytes()))["features"]
    return {f["properties"][code]: f["properties"] for f in features}
