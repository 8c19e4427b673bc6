"""Area drill-down figures per role (``dashboard.drilldown``)."""

from __future__ import annotations

import pytest

from aggregates.disclosure import FEWER, SMALL, Role, Shown
from aggregates.places import Place
from dashboard import area_tables, drilldown
from geography.areas import load_areas
from tests.data_files import DATA

CELLS = {("W1", "burglary"): 12, ("W1", "drugs"): 3, ("W2", "burglary"): 2}
NAMES = {"W1": "North", "W2": "South", "W3": "East"}
POP = {"W1": 6000, "W2": 4000, "W3": 5000}


def test_rates_come_from_the_disclosed_count() -> None:
    assert area_tables.rate(Shown(15, "15"), 6000) == 2.5
    assert area_tables.rate(Shown(None, FEWER), 6000) is None
    assert area_tables.rate(Shown(15, "15"), 0) is None


def test_area_table_per_role() -> None:
    exact = area_tables.area_table(
        CELLS, ["W1", "W2", "W3"], NAMES, POP, Role.ANALYST, ("All", 1.0)
    )
    assert exact.to_dict("records") == [
        {
            "Area": "North (W1)",
            "Incidents": "15",
            "Per 1,000 residents": 2.5,
            "Compared with": "2.5× All",
        },
        {
            "Area": "South (W2)",
            "Incidents": "2",
            "Per 1,000 residents": 0.5,
            "Compared with": "0.5× All",
        },
        {
            "Area": "East (W3)",
            "Incidents": "0",
            "Per 1,000 residents": 0.0,
            "Compared with": "0.0× All",
        },
    ]
    shared = area_tables.area_table(CELLS, ["W1", "W2"], NAMES, POP, Role.PARTNER, ("All", 1.0))
    # North: 12 + 3 -> 12 + 2 = 14 -> 15; South: 2 -> suppressed, no rate
    assert list(shared["Incidents"]) == ["15", FEWER]
    assert shared["Per 1,000 residents"].iloc[0] == 2.5
    assert shared["Compared with"].iloc[1] == "—"


def test_categories_compare_shares_with_the_parent() -> None:
    table = area_tables.categories(CELLS, "W1", CELLS, "All", Role.ANALYST)
    assert table.to_dict("records") == [
        {"Category": "Burglary", "Incidents": "12", "Share": "80%", "Share in All": "82%"},
        {"Category": "Drugs", "Incidents": "3", "Share": "20%", "Share in All": "18%"},
    ]
    shared = area_tables.categories(CELLS, "W1", CELLS, "All", Role.PUBLIC)
    assert shared.iloc[1].to_dict() == {
        "Category": "Drugs",
        "Incidents": FEWER,
        "Share": "—",
        "Share in All": "—",
    }


def test_places_table_lists_the_analysts_streets_busiest_first() -> None:
    park_a = "L1/53.39315,-3.01701/On or near Park Road"
    park_b = "L1/53.39400,-3.01800/On or near Park Road"  # another point of the same street
    shop = "L1/53.39000,-3.02000/On or near Supermarket"
    elsewhere = "L2/53.40000,-3.03000/On or near Market Street"
    cells = {
        (park_a, "drugs"): 2,
        (park_b, "drugs"): 1,
        (park_b, "asb-nuisance"): 2,
        (shop, "shoplifting"): 4,
        (shop, "secondary-fire"): 0,
        (elsewhere, "burglary"): 9,
    }
    table = area_tables.places_table(cells, {"L1": "Wirral 001A"}, Role.ANALYST)
    assert table.to_dict("records") == [
        {
            "Street or place": "On or near Park Road",
            "LSOA": "Wirral 001A (L1)",
            "Incidents": "5",
            "Main categories": "Drugs (3), ASB – nuisance (2)",
            "Sources": "Council, Police",
        },
        {
            "Street or place": "On or near Supermarket",
            "LSOA": "Wirral 001A (L1)",
            "Incidents": "4",
            "Main categories": "Shoplifting (4)",
            "Sources": "Police",
        },
    ]
    assert list(
        area_tables.places_table(cells, {"L1": "a", "L2": "b"}, Role.ANALYST, top=1)[
            "Street or place"
        ]
    ) == ["On or near Market Street"]


def test_places_are_never_tabled_outside_the_analyst_role() -> None:
    for role in (Role.PARTNER, Role.PUBLIC):
        with pytest.raises(ValueError, match="analyst only"):
            area_tables.places_table({}, {"L1": "a"}, role)


def test_an_authoritys_figure_is_the_disclosed_sum_of_its_ward_cells() -> None:
    """Two wards of 3 each: the authority shows the protected sum of the ward cells (3 and 3
    count as 2 and 2: fewer than 5), never its own exact 6 rounded to 5, which beside the
    wards' figures would give their small counts away."""
    cells = {("W1", "burglary"): 3, ("W2", "burglary"): 3, ("W3", "drugs"): 9}
    parent = {"W1": "A", "W2": "A", "W3": "B"}
    grouped = area_tables.grouped(cells, parent)
    assert sum(grouped.values()) == 15
    shared = area_tables.area_table(
        grouped, ["A", "B"], {"A": "Aa", "B": "Bb"}, {}, Role.PARTNER, ("All", None)
    )
    assert dict(zip(shared["Area"], shared["Incidents"], strict=True)) == {
        "Aa (A)": SMALL,  # not "5"
        "Bb (B)": "10",
    }
    exact = area_tables.area_table(
        grouped, ["A", "B"], {"A": "Aa", "B": "Bb"}, {}, Role.ANALYST, ("All", None)
    )
    assert list(exact["Incidents"]) == ["9", "6"]
    assert area_tables.within(cells, {"W3"}) == {("W3", "drugs"): 9}


def test_sources_are_disclosed_sums_of_their_category_cells() -> None:
    cells = {
        ("W1", "burglary"): 12,
        ("W1", "drugs"): 3,
        ("W1", "asb-nuisance"): 6,
        ("W2", "secondary-fire"): 4,
    }
    exact = area_tables.sources(cells, "W1", cells, "All", Role.ANALYST)
    assert exact.to_dict("records") == [
        {"Source": "Police", "Incidents": "15", "Share": "71%", "Share in All": "60%"},
        {"Source": "Council", "Incidents": "6", "Share": "29%", "Share in All": "24%"},
        {"Source": "Fire", "Incidents": "0", "Share": "0%", "Share in All": "16%"},
    ]
    shared = area_tables.sources(cells, "W1", cells, "All", Role.PARTNER)
    # police: 12 + 3 counted as 12 + 2 = 14 -> 15; council 6 -> 5; no fire in W1
    assert dict(zip(shared["Source"], shared["Incidents"], strict=True)) == {
        "Police": "15",
        "Council": "5",
        "Fire": "0",
    }


# --- what the page shows for a choice (``drilldown.area_view``) --------------------------

WIRRAL_AREAS = load_areas()  # one authority
BIRK, BEB = "E05000956", "E05000954"
BIRK_LSOA = "E01007126"  # Wirral 016A, 1,858 residents
WARD_CELLS = {(BIRK, "burglary"): 7, (BEB, "drugs"): 2}
LSOA_CELLS = {(BIRK_LSOA, "burglary"): 4, ("E01007127", "burglary"): 3}
GRANGE_ROAD = Place(BIRK_LSOA, (53.395, -3.019), "On or near Grange Road")
PLACE_CELLS = {(GRANGE_ROAD.code, "burglary"): 4}


def choice(
    ward: str | None = None, lsoa: str | None = None, authority: str | None = None
) -> drilldown.Choice:
    return drilldown.resolved(WIRRAL_AREAS, drilldown.Choice(authority, ward, lsoa))


def test_only_the_analyst_in_a_ward_reads_below_wards() -> None:
    assert drilldown.levels_to_read(Role.ANALYST, BIRK) == ("ward", "lsoa", "place")
    assert drilldown.levels_to_read(Role.ANALYST, None) == ("ward",)
    assert drilldown.levels_to_read(Role.PARTNER, BIRK) == ("ward",)
    assert choice(BIRK).authority == "E08000015"  # a ward's own authority
    assert choice().authority is None


def test_the_whole_borough_lists_its_wards_against_itself() -> None:
    view = drilldown.area_view(WIRRAL_AREAS, Role.ANALYST, choice(), WARD_CELLS, {}, {})
    assert view.heading == "Wirral: 9 incidents"
    assert len(view.captions) == 1
    assert view.captions[0].endswith("per 1,000 residents")
    ((title, wards),) = view.tables
    assert title == "Wards"
    assert len(wards) == len(WIRRAL_AREAS.ward_names)  # zeros included
    assert wards.iloc[0]["Area"] == f"Birkenhead and Tranmere ({BIRK})"
    assert view.compared == (WARD_CELLS, None, WARD_CELLS, "Wirral")


def test_a_ward_goes_down_to_lsoas_and_places_for_the_analyst_only() -> None:
    cells = (WARD_CELLS, LSOA_CELLS, PLACE_CELLS)
    exact = drilldown.area_view(WIRRAL_AREAS, Role.ANALYST, choice(BIRK), *cells)
    assert exact.heading == "Birkenhead and Tranmere: 7 incidents"
    assert "; Wirral: " in exact.captions[0]
    assert [title for title, _ in exact.tables] == [
        "LSOAs",
        "Busiest streets and places (top 15)",
    ]
    assert exact.tables[1][1].iloc[0]["Street or place"] == "On or near Grange Road"
    assert exact.compared == (WARD_CELLS, BIRK, WARD_CELLS, "Wirral")
    shared = drilldown.area_view(WIRRAL_AREAS, Role.PARTNER, choice(BIRK), WARD_CELLS, {}, {})
    assert shared.heading == "Birkenhead and Tranmere: 5 incidents"
    assert shared.captions[1] == drilldown.WARDS_ONLY
    assert shared.tables == []


def test_an_lsoa_is_compared_with_its_ward() -> None:
    cells = (WARD_CELLS, LSOA_CELLS, PLACE_CELLS)
    view = drilldown.area_view(WIRRAL_AREAS, Role.ANALYST, choice(BIRK, BIRK_LSOA), *cells)
    assert view.heading == f"Wirral 016A ({BIRK_LSOA}), in Birkenhead and Tranmere: 4 incidents"
    rates = view.captions[0].split("; ")
    assert rates[0] == "2.15 per 1,000 residents"  # 4 of 1,858
    assert rates[1].startswith("Birkenhead and Tranmere: ")
    assert rates[2].startswith("Wirral: ")
    assert [title for title, _ in view.tables] == ["Streets and places"]
    assert view.compared == (
        LSOA_CELLS,
        BIRK_LSOA,
        {(BIRK, "burglary"): 7},
        "Birkenhead and Tranmere",
    )


def test_a_partnership_of_several_authorities_compares_with_the_nearest_first() -> None:
    region = load_areas(DATA / "liverpool_city_region.toml")
    liverpool, canning = "E08000012", "E05015285"
    cells = {(canning, "burglary"): 12, (BEB, "drugs"): 3}
    whole = drilldown.area_view(
        region, Role.ANALYST, drilldown.Choice(None, None, None), cells, {}, {}
    )
    assert [title for title, _ in whole.tables] == ["Local authorities", "Wards"]
    city = drilldown.resolved(region, drilldown.Choice(liverpool, None, None))
    own = drilldown.area_view(region, Role.ANALYST, city, cells, {}, {})
    assert own.heading == "Liverpool: 12 incidents"
    assert own.captions[0].split("; ")[1].startswith("Liverpool City Region: ")
    assert [title for title, _ in own.tables] == ["Wards"]
    ward = drilldown.resolved(region, drilldown.Choice(None, canning, None))
    assert ward.authority == liverpool
    view = drilldown.area_view(region, Role.PARTNER, ward, cells, {}, {})
    assert view.compared[2:] == ({(canning, "burglary"): 12}, "Liverpool")
