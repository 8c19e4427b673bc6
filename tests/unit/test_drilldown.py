"""Area drill-down figures per role (``dashboard.drilldown``)."""

from __future__ import annotations

import pytest

from dashboard import drilldown
from dashboard.disclosure import FEWER, SMALL, Role, Shown

CELLS = {("W1", "burglary"): 12, ("W1", "drugs"): 3, ("W2", "burglary"): 2}
NAMES = {"W1": "North", "W2": "South", "W3": "East"}
POP = {"W1": 6000, "W2": 4000, "W3": 5000}


def test_rates_come_from_the_disclosed_count() -> None:
    assert drilldown.rate(Shown(15, "15"), 6000) == 2.5
    assert drilldown.rate(Shown(None, FEWER), 6000) is None
    assert drilldown.rate(Shown(15, "15"), 0) is None


def test_area_table_per_role() -> None:
    exact = drilldown.area_table(CELLS, ["W1", "W2", "W3"], NAMES, POP, Role.ANALYST, ("All", 1.0))
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
    shared = drilldown.area_table(CELLS, ["W1", "W2"], NAMES, POP, Role.PARTNER, ("All", 1.0))
    # North: 12 + 3 -> 12 + 2 = 14 -> 15; South: 2 -> suppressed, no rate
    assert list(shared["Incidents"]) == ["15", FEWER]
    assert shared["Per 1,000 residents"].iloc[0] == 2.5
    assert shared["Compared with"].iloc[1] == "—"


def test_categories_compare_shares_with_the_parent() -> None:
    table = drilldown.categories(CELLS, "W1", CELLS, "All", Role.ANALYST)
    assert table.to_dict("records") == [
        {"Category": "Burglary", "Incidents": "12", "Share": "80%", "Share in All": "82%"},
        {"Category": "Drugs", "Incidents": "3", "Share": "20%", "Share in All": "18%"},
    ]
    shared = drilldown.categories(CELLS, "W1", CELLS, "All", Role.PUBLIC)
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
    table = drilldown.places_table(cells, {"L1": "Wirral 001A"}, Role.ANALYST)
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
        drilldown.places_table(cells, {"L1": "a", "L2": "b"}, Role.ANALYST, top=1)[
            "Street or place"
        ]
    ) == ["On or near Market Street"]


def test_places_are_never_tabled_outside_the_analyst_role() -> None:
    for role in (Role.PARTNER, Role.PUBLIC):
        with pytest.raises(ValueError, match="analyst only"):
            drilldown.places_table({}, {"L1": "a"}, role)


def test_an_authoritys_figure_is_the_disclosed_sum_of_its_ward_cells() -> None:
    """Two wards of 3 each: the authority shows the protected sum of the ward cells (3 and 3
    count as 2 and 2: fewer than 5), never its own exact 6 rounded to 5, which beside the
    wards' figures would give their small counts away."""
    cells = {("W1", "burglary"): 3, ("W2", "burglary"): 3, ("W3", "drugs"): 9}
    parent = {"W1": "A", "W2": "A", "W3": "B"}
    grouped = drilldown.grouped(cells, parent)
    assert sum(grouped.values()) == 15
    shared = drilldown.area_table(
        grouped, ["A", "B"], {"A": "Aa", "B": "Bb"}, {}, Role.PARTNER, ("All", None)
    )
    assert dict(zip(shared["Area"], shared["Incidents"], strict=True)) == {
        "Aa (A)": SMALL,  # not "5"
        "Bb (B)": "10",
    }
    exact = drilldown.area_table(
        grouped, ["A", "B"], {"A": "Aa", "B": "Bb"}, {}, Role.ANALYST, ("All", None)
    )
    assert list(exact["Incidents"]) == ["9", "6"]
    assert drilldown.within(cells, {"W3"}) == {("W3", "drugs"): 9}


def test_sources_are_disclosed_sums_of_their_category_cells() -> None:
    cells = {
        ("W1", "burglary"): 12,
        ("W1", "drugs"): 3,
        ("W1", "asb-nuisance"): 6,
        ("W2", "secondary-fire"): 4,
    }
    exact = drilldown.sources(cells, "W1", cells, "All", Role.ANALYST)
    assert exact.to_dict("records") == [
        {"Source": "Police", "Incidents": "15", "Share": "71%", "Share in All": "60%"},
        {"Source": "Council", "Incidents": "6", "Share": "29%", "Share in All": "24%"},
        {"Source": "Fire", "Incidents": "0", "Share": "0%", "Share in All": "16%"},
    ]
    shared = drilldown.sources(cells, "W1", cells, "All", Role.PARTNER)
    # police: 12 + 3 counted as 12 + 2 = 14 -> 15; council 6 -> 5; no fire in W1
    assert dict(zip(shared["Source"], shared["Incidents"], strict=True)) == {
        "Police": "15",
        "Council": "5",
        "Fire": "0",
    }
