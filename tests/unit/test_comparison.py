"""A partnership's comparison area (``geography.comparison``): the packaged Merseyside table is
the five force authorities' LSOAs with their Census 2011 populations, reproducible from the
Census file; a broken ``[comparison]`` or table is a one-line configuration error; a file
without one has none."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from cli.main import main
from geography.areas import DEFAULT_PARTNERSHIP, load_areas
from geography.comparison import COMPARISON_COLUMNS, read_comparison_table
from geography.derivation import derive_comparison_rows
from safer.errors import ConfigError
from store.reader import WindowRow
from store.wider import WiderFigures
from tests.data_files import DATA

PACKAGED = DEFAULT_PARTNERSHIP.parent
TABLE = PACKAGED / "merseyside_lsoa11_authorities.csv"
CENSUS = DATA / "census2011_ks102ew_lsoa_liverpool_city_region.csv"
"""The Census rows of the Liverpool City Region: Merseyside's five authorities and Halton."""
ONS_LOOKUP = DATA / "ons_lsoa11_to_ward2019_lookup_merseyside.csv"
MERSEYSIDE = {
    "E08000011": "Knowsley",
    "E08000012": "Liverpool",
    "E08000013": "St. Helens",
    "E08000014": "Sefton",
    "E08000015": "Wirral",
}


def _census() -> dict[str, tuple[str, int]]:
    """LSOA -> (name, usual residents), read here with csv alone."""
    with CENSUS.open(newline="", encoding="utf-8") as handle:
        return {
            r["geography code"]: (
                r["geography"],
                int(r["Age: All usual residents; measures: Value"]),
            )
            for r in csv.DictReader(handle)
        }


def _wirral_with(tmp_path: Path, comparison: str) -> Path:
    """A copy of the packaged Wirral file with another ``[comparison]`` (or none: "")."""
    path = tmp_path / "wirral.toml"
    path.write_text(
        'name = "Wirral"\n'
        f'lsoa_boundaries = "{PACKAGED / "wirral_lsoa_2011.geojson"}"\n'
        f'areas = "{PACKAGED / "wirral_lsoa11_areas.csv"}"\n' + comparison
    )
    return path


def test_the_packaged_comparison_is_merseysides_five_authorities() -> None:
    """Wirral is compared with Merseyside: the five force authorities (codes as ONS's
    lookup gives them for every LSOA), each population the Census total of its LSOAs, the
    partnership's own equal to its borough's population."""
    comparison = load_areas().comparison
    assert comparison is not None
    assert comparison.name == "Merseyside"
    assert comparison.authority_names == MERSEYSIDE
    with ONS_LOOKUP.open(newline="", encoding="utf-8") as handle:
        ons = {r["LSOA11CD"]: r["LAD19CD"] for r in csv.DictReader(handle)}
    assert comparison.lsoa_authority == ons  # the same 910 LSOAs, the same authorities
    census = _census()
    expected: Counter[str] = Counter()
    for lsoa, authority in ons.items():
        expected[authority] += census[lsoa][1]
    assert comparison.population == dict(expected)
    assert comparison.population == {
        "E08000011": 145_893,
        "E08000012": 466_415,
        "E08000013": 175_308,
        "E08000014": 273_790,
        "E08000015": 319_783,
    }
    assert comparison.total_population == 1_381_189
    assert comparison.population["E08000015"] == load_areas().authority_population()["E08000015"]


def test_the_packaged_table_is_what_the_census_derives() -> None:
    """Reproducible: each LSOA's authority read from its Census name's prefix ("Liverpool
    001A"); Halton's LSOAs (in the same Census rows, not in the force area) are left out."""
    derived = derive_comparison_rows(CENSUS, MERSEYSIDE)
    assert derived == read_comparison_table(TABLE)
    assert len(derived) == 910
    halton = [code for code, (name, _) in _census().items() if name.startswith("Halton ")]
    assert len(halton) == 79
    assert not {row.lsoa_code for row in derived} & set(halton)


def test_safer_areas_writes_the_comparison_table(tmp_path: Path) -> None:
    """``safer areas --out-comparison`` derives the table from a file naming the Census and
    the authorities, byte for byte the packaged one."""
    authorities = ", ".join(f'{code} = "{name}"' for code, name in MERSEYSIDE.items())
    sources = _wirral_with(
        tmp_path,
        f'[comparison]\nname = "Merseyside"\npopulation = "{CENSUS}"\n'
        f"authorities = {{ {authorities} }}\n",
    )
    out = tmp_path / "table.csv"
    code = main(["areas", "--partnership", str(sources), "--out-comparison", str(out)])
    assert code == 0
    assert out.read_bytes() == TABLE.read_bytes()


def test_without_a_comparison_there_is_none(tmp_path: Path) -> None:
    """A partnership file without ``[comparison]`` loads as before: no comparison area."""
    areas = load_areas(_wirral_with(tmp_path, ""))
    assert areas.comparison is None
    assert areas.authority_names == {"E08000015": "Wirral"}


def _write(path: Path, rows: list[list[str]], header: tuple[str, ...] = COMPARISON_COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _packaged_rows() -> list[list[str]]:
    return [list(row.values()) for row in read_comparison_table(TABLE)]


def _broken_tables(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Broken tables and the error each gives."""
    rows = _packaged_rows()
    wirral = next(i for i, r in enumerate(rows) if r[1] == "E08000015")
    moved = [r.copy() for r in rows]
    moved[wirral][1:3] = ["E08000012", "Liverpool"]
    bad_number = [r.copy() for r in rows]
    bad_number[3][3] = "many"
    renamed = [r.copy() for r in rows]
    renamed[0][2] = "Knowsley Borough"
    return {
        "columns": (_write(tmp_path / "c.csv", rows, ("lsoa", "la")), "not a comparison table"),
        "empty": (_write(tmp_path / "e.csv", []), "no LSOAs"),
        "population": (_write(tmp_path / "p.csv", bad_number), "population 'many' is not"),
        "short row": (_write(tmp_path / "s.csv", [*rows, ["E01000001"]]), r"\.csv:912: expected"),
        "twice": (_write(tmp_path / "t.csv", [*rows, rows[0]]), f"LSOA {rows[0][0]} twice"),
        "two names": (_write(tmp_path / "n.csv", renamed), "E08000011 has two names"),
        "moved": (_write(tmp_path / "m.csv", moved), f"LSOA {rows[wirral][0]} is in E08000012"),
        "missing": (
            _write(tmp_path / "w.csv", rows[:wirral] + rows[wirral + 1 :]),
            f"partnership's LSOA {rows[wirral][0]} of E08000015 is not in its table",
        ),
    }


@pytest.mark.parametrize(
    "case",
    ["columns", "empty", "population", "short row", "twice", "two names", "moved", "missing"],
)
def test_a_broken_comparison_table_is_a_one_line_error(tmp_path: Path, case: str) -> None:
    """A table that is not one, a bad row, an LSOA twice, an authority of two names, a
    partnership LSOA of another authority or missing from it: one line naming it."""
    path, message = _broken_tables(tmp_path)[case]
    partnership = _wirral_with(tmp_path, f'[comparison]\nname = "M"\nareas = "{path}"\n')
    with pytest.raises(ConfigError, match=message) as raised:
        load_areas(partnership)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('comparison = "Merseyside"\n', r"\[comparison\] must be a table"),
        ('[comparison]\nareas = "t.csv"\n', "'name' is required"),
        ('[comparison]\nname = "M"\narea = "t.csv"\n', r"unknown settings \['area'\]"),
        ('[comparison]\nname = "M"\n', "give 'areas' \\(a table\\) or 'population'"),
        ('[comparison]\nname = "M"\nareas = "nowhere.csv"\n', "comparison.areas .* not exist"),
        (
            f'[comparison]\nname = "M"\npopulation = "{CENSUS}"\n'
            'authorities = { E08000013 = "St Helens" }\n',
            "no LSOA named after E08000013 'St Helens'",
        ),
        (
            f'[comparison]\nname = "M"\npopulation = "{CENSUS}"\nauthorities = ["Wirral"]\n',
            "'authorities' must map codes to names",
        ),
    ],
)
def test_a_bad_comparison_setting_is_a_one_line_error(
    tmp_path: Path, text: str, message: str
) -> None:
    """Every way the ``[comparison]`` table can be wrong is refused at start, in one line."""
    with pytest.raises(ConfigError, match=message) as raised:
        load_areas(_wirral_with(tmp_path, text))
    assert "\n" not in str(raised.value)


def test_wider_figures_sum_by_authority_and_category_and_rate_per_1000() -> None:
    """The whole area is the sum of its authorities; a rate is per 1,000 residents of the
    authority, or of the whole area; an unknown population has no rate."""
    figures = WiderFigures(
        (
            WindowRow("E08000012", "burglary", "", 30, 0),
            WindowRow("E08000012", "robbery", "", 10, 0),
            WindowRow("E08000015", "burglary", "", 20, 1),
        )
    )
    population = {"E08000012": 400_000, "E08000015": 100_000}
    assert figures.total == 60
    assert figures.by_authority() == Counter({"E08000012": 40, "E08000015": 20})
    assert figures.by_category() == Counter({"burglary": 50, "robbery": 10})
    assert figures.by_category("E08000015") == Counter({"burglary": 20})
    assert figures.counts()[("E08000012", "robbery")] == 10
    assert figures.rate_per_1000(population, "E08000012") == 0.1
    assert figures.rate_per_1000(population) == 0.12
    assert figures.rate_per_1000(population, "E08000011") is None
