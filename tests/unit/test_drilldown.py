"""Area drill-down figures per role (``dashboard.drilldown``)."""

from __future__ import annotations

from dashboard import drilldown
from dashboard.disclosure import FEWER, Role, Shown

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
