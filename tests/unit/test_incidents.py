"""Single incidents per role (``dashboard.incidents``): the Live page's latest incidents and
the briefing's notable ones, as ``aggregates.disclosure.IncidentDetail`` allows."""

from __future__ import annotations

import re
from typing import Any

import pytest

from aggregates.disclosure import FEWER, INCIDENT_DETAIL, Role
from dashboard import incidents

WARDS = {"E05000954": "Bebington", "E05000956": "Birkenhead and Tranmere"}
ALL = ("police", "council", "fire")
BEB, BIRK = "E05000954", "E05000956"
HEADINGS = ("Latest incidents", "Counts instead")


def ticker(category: str, **extra: Any) -> dict[str, Any]:
    return {
        "source": "police",
        "category": category,
        "ward": BEB,
        "lsoa": "E01007130",
        "place": "On or near Grange Road",
        "location_type": "street",
        "occurred_start": "2026-07-01T10:05:00+00:00",
        "received_at": "2026-07-01T11:00:00+00:00",
        "domestic_abuse": False,
        **extra,
    }


ROWS = [
    ticker("burglary"),
    ticker("violent-crime"),
    ticker("criminal-damage-arson", domestic_abuse=True),
]


def test_the_analyst_sees_single_incidents_in_full() -> None:
    """The analyst's rows carry the minute, the street or place and the location type."""
    exact = incidents.ticker_frame(ROWS, WARDS, ALL, Role.ANALYST, 50)
    assert list(exact.columns) == [
        "Occurred (UK time)",
        "Source",
        "Category",
        "Ward",
        "Place",
        "Location type",
        "Received (UK time)",
    ]
    records = exact.to_dict("records")
    assert [r["Place"] for r in records] == ["On or near Grange Road"] * 3
    assert {r["Occurred (UK time)"] for r in records} == {"2026-07-01 11:05"}
    assert {r["Location type"] for r in records} == {"Street"}


def test_a_partner_sees_day_source_category_and_ward_only() -> None:
    """Every partner row, sensitive or not, has the day and the ward and nothing finer: no
    minute, no street or place, no LSOA, no location type."""
    shown = incidents.ticker_frame(ROWS, WARDS, ALL, Role.PARTNER, 50)
    assert list(shown.columns) == [
        "Occurred (UK date)",
        "Source",
        "Category",
        "Ward",
        "Received (UK date)",
    ]
    for record in shown.to_dict("records"):
        assert record["Ward"] == "Bebington (E05000954)"
        assert record["Occurred (UK date)"] == "2026-07-01"
        assert record["Received (UK date)"] == "2026-07-01"
    text = shown.to_csv()
    assert not re.search(r"\d\d:\d\d", text)
    for finer in ("Grange Road", "On or near", "E01007130", "Street", "street"):
        assert finer not in text


def test_the_public_sees_no_list_of_single_incidents() -> None:
    """Asking for the public's list of single incidents is an error, never a list."""
    assert not INCIDENT_DETAIL[Role.PUBLIC].listed
    with pytest.raises(ValueError, match="not listed for the public role"):
        incidents.ticker_frame(ROWS, WARDS, ALL, Role.PUBLIC, 50)


def test_the_public_gets_disclosed_counts_by_category_instead() -> None:
    """In place of the list, the public sees per category its disclosed count (small
    counts suppressed, others rounded); a partner and the analyst still get the list."""
    cells = {(BEB, "burglary"): 2, (BIRK, "burglary"): 6, (BEB, "drugs"): 3}
    view = incidents.incidents_view(ROWS, cells, WARDS, ALL, Role.PUBLIC, HEADINGS, 50)
    assert not view.listed
    assert view.heading == "Counts instead"
    assert view.table.to_dict("records") == [
        {"Category": "Burglary", "Source": "Police", "Incidents": "10"},  # 6 + 2 (imputed)
        {"Category": "Drugs", "Source": "Police", "Incidents": FEWER},
    ]
    for role in (Role.PARTNER, Role.ANALYST):
        listed = incidents.incidents_view(ROWS, cells, WARDS, ALL, role, HEADINGS, 50)
        assert (listed.listed, listed.heading, len(listed.table)) == (True, HEADINGS[0], 3)


def test_public_counts_of_chosen_categories_include_zeros() -> None:
    """The briefing's notable categories are all shown to the public, zeros included, only
    the selected sources' ones, a suppressed count (1 to 4) between the fives and the zeros;
    the public's note says why there is no list."""
    cells = {(BIRK, "robbery"): 5, (BEB, "burglary"): 9, (BEB, "violent-crime"): 2}
    notable = {"robbery", "primary-fire", "violent-crime", "possession-of-weapons"}
    view = incidents.incidents_view(
        [], cells, WARDS, ["police"], Role.PUBLIC, HEADINGS, 50, notable
    )
    assert view.table.to_dict("records") == [
        {"Category": "Robbery", "Source": "Police", "Incidents": "5"},
        {"Category": "Violence and sexual offences", "Source": "Police", "Incidents": FEWER},
        {"Category": "Possession of weapons", "Source": "Police", "Incidents": "0"},
    ]
    assert "not listed in the public view" in view.note
    partner = incidents.incidents_view([], cells, WARDS, ALL, Role.PARTNER, HEADINGS, 50)
    assert partner.note == "Outside the analyst role single incidents show their day and ward only."
    assert incidents.incidents_view([], cells, WARDS, ALL, Role.ANALYST, HEADINGS, 50).note == ""


def test_ticker_filter_and_limit() -> None:
    """The list keeps the selected sources' rows, up to the limit."""
    rows = [ticker("drugs") for _ in range(80)] + [ticker("secondary-fire", source="fire")]
    assert len(incidents.ticker_frame(rows, WARDS, ALL, Role.ANALYST, 50)) == 50
    fire = incidents.ticker_frame(rows, WARDS, ["fire"], Role.PARTNER, 50)
    assert list(fire["Source"]) == ["Fire"]
    assert incidents.ticker_frame([], WARDS, ALL, Role.PARTNER, 50).empty
