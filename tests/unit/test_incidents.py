"""Single incidents per role (``dashboard.incidents``): the Live page's latest incidents and
the briefing's notable ones."""

from __future__ import annotations

from typing import Any

from dashboard import incidents
from dashboard.disclosure import Role

WARDS = {"E05000954": "Bebington", "E05000956": "Birkenhead and Tranmere"}
ALL = ("police", "council", "fire")
BEB = "E05000954"


def ticker(category: str, **extra: Any) -> dict[str, Any]:
    return {
        "source": "police",
        "category": category,
        "ward": BEB,
        "place": "On or near Grange Road",
        "location_type": "street",
        "occurred_start": "2026-07-01T10:05:00+00:00",
        "received_at": "2026-07-01T11:00:00+00:00",
        "domestic_abuse": False,
        **extra,
    }


def test_ticker_hides_time_and_place_of_sensitive_incidents_outside_the_analyst_role() -> None:
    rows = [
        ticker("burglary"),
        ticker("violent-crime"),
        ticker("criminal-damage-arson", domestic_abuse=True),
    ]
    exact = incidents.ticker_frame(rows, WARDS, ALL, Role.ANALYST, 50).to_dict("records")
    assert [r["Place"] for r in exact] == ["On or near Grange Road"] * 3
    assert {r["Occurred (UK time)"] for r in exact} == {"2026-07-01 11:05"}
    for role in (Role.PARTNER, Role.PUBLIC):
        shown = incidents.ticker_frame(rows, WARDS, ALL, role, 50).to_dict("records")
        assert shown[0]["Place"] == "On or near Grange Road"
        assert shown[0]["Occurred (UK time)"] == "2026-07-01 11:05"
        for hidden in shown[1:]:
            assert hidden["Ward"] == "Bebington (E05000954)"
            assert hidden["Occurred (UK time)"] == "2026-07-01"  # the day only
            assert hidden["Received (UK time)"] == "2026-07-01"
            assert (hidden["Place"], hidden["Location type"]) == ("withheld", "withheld")


def test_ticker_filter_and_limit() -> None:
    rows = [ticker("drugs") for _ in range(80)] + [ticker("secondary-fire", source="fire")]
    assert len(incidents.ticker_frame(rows, WARDS, ALL, Role.ANALYST, 50)) == 50
    fire = incidents.ticker_frame(rows, WARDS, ["fire"], Role.ANALYST, 50)
    assert list(fire["Source"]) == ["Fire"]
    assert incidents.ticker_frame([], WARDS, ALL, Role.PUBLIC, 50).empty
