"""The overnight briefing's window and notable incidents (``dashboard.briefing``)."""

from __future__ import annotations

from datetime import UTC, datetime

from aggregates.buckets import epoch_hour
from aggregates.disclosure import FEWER, Role
from dashboard import briefing

NOW = datetime(2026, 1, 14, 8, 30, tzinfo=UTC)  # GMT: UK time = UTC
WARDS = {"E05000954": "Bebington"}


def row(category: str, occurred: str, **extra: object) -> dict[str, object]:
    return {
        "source": "police",
        "category": category,
        "ward": "E05000954",
        "place": "On or near High Street",
        "location_type": "street",
        "occurred_start": occurred,
        "received_at": "2026-01-14T08:00:00+00:00",
        "domestic_abuse": False,
        **extra,
    }


def test_default_window_is_since_18_00_yesterday_for_the_analyst() -> None:
    window = briefing.briefing_window(NOW, Role.ANALYST)
    assert window.start == epoch_hour(datetime(2026, 1, 13, 18, tzinfo=UTC))
    assert window.end == epoch_hour(NOW) + 1
    assert window.label == "Since Tue 13 Jan 18:00"


def test_partner_window_is_yesterday_whatever_the_start_asked() -> None:
    asked = datetime(2025, 1, 1, tzinfo=UTC)
    window = briefing.briefing_window(NOW, Role.PARTNER, asked)
    assert (window.start, window.end) == (
        epoch_hour(datetime(2026, 1, 13, tzinfo=UTC)),
        epoch_hour(datetime(2026, 1, 14, tzinfo=UTC)),
    )


def test_notable_incidents_in_the_window_only() -> None:
    """Notable categories occurring in the window, newest first: in full for the analyst, by
    day and ward for a partner, and as counts of every notable category for the public."""
    window = briefing.briefing_window(NOW, Role.ANALYST)
    rows = [
        row("robbery", "2026-01-13T22:10:00+00:00"),
        row("burglary", "2026-01-13T23:00:00+00:00"),  # not a notable category
        row("robbery", "2026-01-13T12:00:00+00:00"),  # before the window
        row("violent-crime", "2026-01-14T01:00:00+00:00", domestic_abuse=True),
    ]
    cells = {("E05000954", "robbery"): 1, ("E05000954", "burglary"): 6}
    exact = briefing.notable(rows, cells, window, WARDS, ["police"], Role.ANALYST).table
    assert list(exact["Category"]) == ["Robbery", "Violence and sexual offences"]
    assert list(exact["Occurred (UK time)"]) == ["2026-01-13 22:10", "2026-01-14 01:00"]
    assert list(exact["Place"]) == ["On or near High Street"] * 2
    partner = briefing.notable(rows, cells, window, WARDS, ["police"], Role.PARTNER).table
    assert list(partner["Occurred (UK date)"]) == ["2026-01-13", "2026-01-14"]
    assert "Place" not in partner.columns
    public = briefing.notable(rows, cells, window, WARDS, ["police"], Role.PUBLIC)
    assert not public.listed
    counts = dict(zip(public.table["Category"], public.table["Incidents"], strict=True))
    assert counts["Robbery"] == FEWER
    assert counts["Possession of weapons"] == "0"
    assert "Burglary" not in counts  # not a notable category
    assert briefing.notable(rows, cells, window, WARDS, ["fire"], Role.ANALYST).table.empty
