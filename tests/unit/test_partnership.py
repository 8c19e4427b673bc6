"""A partnership is configured by files alone (``geography.partnership``): Wirral by default,
Liverpool City Region from its boundary and population files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from aggregates.inputs import from_canonical
from geography.areas import DEFAULT_PARTNERSHIP, load_areas
from geography.boundaries import Locator, Shape, interior_point
from geography.derivation import derive_rows, load
from geography.partnership import PartnershipConfig, read_table
from safer.errors import ConfigError
from tests.data_files import DATA, geojson_properties

LCR = DATA / "liverpool_city_region.toml"
PACKAGED = DEFAULT_PARTNERSHIP.parent


def test_liverpool_city_region_is_derived_from_its_files() -> None:
    """Every LSOA gets a ward of its own local authority (the ward containing its interior
    point), a population, and the region's six authorities; nothing is left out."""
    lsoas = geojson_properties("liverpool_city_region_lsoa_2011.geojson.gz", "LSOA11CD")
    wards = geojson_properties("liverpool_city_region_wards_2025.geojson.gz", "WD25CD")
    areas = load_areas(LCR)
    assert areas.name == "Liverpool City Region"
    assert len(areas.lsoas) == len(lsoas) == 989
    assert set(areas.ward_names) == set(wards)  # every ward has at least one LSOA
    for lsoa in areas.lsoas:
        assert wards[lsoa.ward_code]["LAD25CD"] == lsoas[lsoa.code]["LADCD_ACTIVE"], lsoa
        assert lsoa.authority_code == lsoas[lsoa.code]["LADCD_ACTIVE"]
    assert areas.authority_names == {
        "E06000006": "Halton",
        "E08000011": "Knowsley",
        "E08000012": "Liverpool",
        "E08000013": "St. Helens",
        "E08000014": "Sefton",
        "E08000015": "Wirral",
    }
    population = areas.authority_population()
    assert sum(population.values()) == sum(lsoa.population for lsoa in areas.lsoas)
    assert population["E08000015"] == sum(load_areas().ward_population().values())


def test_the_packaged_wirral_table_is_what_its_sources_derive(tmp_path: Path) -> None:
    """The default table is reproducible: ONS best-fit wards, shapely-equal interior
    points (to 1e-6 degrees) and Census populations, from the source files."""
    config = tmp_path / "wirral.toml"
    config.write_text(
        f'name = "Wirral"\nlsoa_boundaries = "{PACKAGED / "wirral_lsoa_2011.geojson"}"\n'
        f'ward_lookup = "{DATA / "ons_lsoa11_to_ward2019_lookup_merseyside.csv"}"\n'
        f'population = "{DATA / "census2011_ks102ew_lsoa_liverpool_city_region.csv"}"\n'
    )
    derived = derive_rows(PartnershipConfig.load(config))
    packaged = read_table(PACKAGED / "wirral_lsoa11_areas.csv")
    assert len(derived) == len(packaged) == 206
    for new, old in zip(derived, packaged, strict=True):
        assert (new.lsoa_code, new.ward_code, new.authority_code, new.population) == (
            old.lsoa_code,
            old.ward_code,
            old.authority_code,
            old.population,
        )
        assert abs(new.lat - old.lat) <= 2e-6
        assert abs(new.lon - old.lon) <= 2e-6
        assert new.ward_from == "ons-best-fit"


def test_a_2021_lsoa_code_counts_in_its_2011_lsoa() -> None:
    """The six 2021 LSOAs split from three 2011 ones count in their parent's LSOA and ward;
    unchanged codes map to themselves."""
    areas = load_areas()
    assert areas.lsoa_aliases == {
        "E01034836": "E01032903",
        "E01034837": "E01032903",
        "E01034838": "E01007126",
        "E01034839": "E01007126",
        "E01034840": "E01007140",
        "E01034841": "E01007140",
    }
    doc = {
        "source": "police",
        "data": {
            "category": "burglary",
            "occurred": {"start": "2025-06-01T00:00:00+00:00"},
            "location": {"lsoa_code": "E01034838"},
        },
    }
    placed = dict(from_canonical(doc, areas).areas)
    assert placed == {
        "borough": "E08000015",
        "ward": areas.lsoa_ward["E01007126"],
        "lsoa": "E01007126",
        "wider": "E08000015",
    }
    assert areas.lsoa("E01007110") == "E01007110"


def test_interior_point_is_inside_where_the_centroid_is_not() -> None:
    """A U-shaped polygon: its centroid lies in the notch; the interior point does not."""
    ring = ((0.0, 0.0), (3.0, 0.0), (3.0, 3.0), (2.0, 3.0), (2.0, 1.0), (1.0, 1.0), (1.0, 3.0))
    ring = (*ring, (0.0, 3.0), (0.0, 0.0))
    shape = Shape("U", ((ring,),), (0.0, 0.0, 3.0, 3.0))
    xs, ys = [x for x, _ in ring[:-1]], [y for _, y in ring[:-1]]
    assert not shape.contains(sum(xs) / len(xs), sum(ys) / len(ys))
    assert shape.contains(*interior_point(shape))
    lcr = Locator.from_geojson(DATA / "liverpool_city_region_lsoa_2011.geojson.gz")
    assert all(s.contains(*interior_point(s)) for s in lcr.shapes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "X"\n', "'lsoa_boundaries' is required"),
        ('name = "X"\nlsoa_boundaries = "nowhere.geojson"\nareas = "t.csv"\n', "does not exist"),
        ('name = "X"\nlsoa_bounds = "a"\n', "unknown settings ['lsoa_bounds']"),
        ('name = "X\n', "not valid TOML"),
    ],
)
def test_a_bad_partnership_file_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        PartnershipConfig.load(path)


def test_an_lsoa_without_population_or_in_another_authoritys_ward_is_refused(
    tmp_path: Path,
) -> None:
    """Derivation checks what it derives: a missing population, or a ward boundary file of
    another authority than an LSOA's own, is a configuration error naming the LSOAs."""
    population = tmp_path / "population.csv"
    lines = (DATA / "census2011_ks102ew_lsoa_liverpool_city_region.csv").read_text().splitlines()
    population.write_text("\n".join(line for line in lines if "E01007110" not in line) + "\n")
    config = tmp_path / "p.toml"
    config.write_text(
        f'name = "Wirral"\nlsoa_boundaries = "{PACKAGED / "wirral_lsoa_2011.geojson"}"\n'
        f'ward_lookup = "{DATA / "ons_lsoa11_to_ward2019_lookup_merseyside.csv"}"\n'
        f'population = "{population}"\n'
    )
    with pytest.raises(ConfigError, match="E01007110: no population"):
        load(PartnershipConfig.load(config))
    wards = gzip.decompress((DATA / "liverpool_city_region_wards_2025.geojson.gz").read_bytes())
    sefton = json.loads(wards)
    for feature in sefton["features"]:
        feature["properties"]["LAD25CD"] = "E08000014"  # every ward said to be Sefton's
    (tmp_path / "wards.geojson").write_text(json.dumps(sefton))
    config.write_text(
        f'name = "LCR"\nlsoa_boundaries = "{DATA / "liverpool_city_region_lsoa_2011.geojson.gz"}"\n'
        'ward_boundaries = "wards.geojson"\n'
        f'population = "{DATA / "census2011_ks102ew_lsoa_liverpool_city_region.csv"}"\n'
    )
    with pytest.raises(ConfigError, match=r"falls in ward E05\d+ of E08000014"):
        load(PartnershipConfig.load(config))
