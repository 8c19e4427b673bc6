"""Pure data functions of the live page, fed plain in-memory snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dashboard import data
from store.reader import CountRow, Freshness, LiveSnapshot

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # BST: UK local time is UTC+1
WARDS = {"E05000954": "Bebington", "E05000956": "Birkenhead and Tranmere"}


def ticker(
    source: str, category: str, ward: str | None, minutes_ago: int, **extra: Any
) -> dict[str, Any]:
    occurred = NOW - timedelta(minutes=minutes_ago)
    return {
        "kind": "x",
        "source": source,
        "category": category,
        "ward": ward,
        "lsoa": None,
        "place": None,
        "location_type": None,
        "occurred_start": occurred.isoformat(),
        "occurred_end": None,
        "received_at": (occurred + timedelta(minutes=1)).isoformat(),
        "domestic_abuse": False,
        "version": 1,
        **extra,
    }


def snapshot(**overrides: Any) -> LiveSnapshot:
    values: dict[str, Any] = {
        "counts": (
            CountRow("council", "E05000954", "asb-nuisance", 2),
            CountRow("fire", "unassigned", "secondary-fire", 1),
            CountRow("police", "E05000954", "burglary", 1),
            CountRow("police", "E05000956", "burglary", 3),
            CountRow("police", "E05000956", "drugs", 1),
        ),
        "latest": (),
        "outcomes": {},
        "deadletters": {"invalid|safer.raw.police": 2, "undecodable|safer.raw.fire": 1},
        "freshness": (
            Freshness("police", NOW - timedelta(seconds=30), NOW - timedelta(hours=2)),
            Freshness("council", NOW - timedelta(minutes=12), NOW - timedelta(minutes=15)),
            Freshness("fire", None, None),
        ),
        "read_at": NOW,
    }
    return LiveSnapshot(**{**values, **overrides})


def test_kpis_total_per_source_and_dead_letters() -> None:
    """KPIs give the grand total, each source's total and the dead-lettered message count."""
    assert data.kpis(snapshot()) == {
        "All incidents": 8,
        "Police": 5,
        "Council": 2,
        "Fire": 1,
        "Dead-lettered": 3,
    }


def test_kpis_show_zero_for_a_silent_source() -> None:
    """A source with no counts still has its metric, at zero."""
    assert data.kpis(snapshot(counts=(), deadletters={}))["Fire"] == 0


def test_ward_table_names_wards_and_sorts_by_total() -> None:
    """Ward rows carry 'Name (code)', a column per source and Total, largest total first."""
    table = data.ward_table(snapshot(), WARDS, data.ALL_SOURCES)
    assert list(table.columns) == ["Ward", "Police", "Council", "Fire", "Total"]
    assert table.to_dict("records") == [
        {
            "Ward": "Birkenhead and Tranmere (E05000956)",
            "Police": 4,
            "Council": 0,
            "Fire": 0,
            "Total": 4,
        },
        {"Ward": "Bebington (E05000954)", "Police": 1, "Council": 2, "Fire": 0, "Total": 3},
        {"Ward": "Unassigned", "Police": 0, "Council": 0, "Fire": 1, "Total": 1},
    ]


def test_ward_table_filtered_to_one_source() -> None:
    """Filtering keeps only the selected source's column and the wards it has incidents in."""
    table = data.ward_table(snapshot(), WARDS, ["council"])
    assert list(table.columns) == ["Ward", "Council", "Total"]
    assert table.to_dict("records") == [{"Ward": "Bebington (E05000954)", "Council": 2, "Total": 2}]


def test_ward_table_empty_snapshot_has_columns_and_no_rows() -> None:
    """An empty snapshot gives an empty table with the usual columns (no crash on sum)."""
    table = data.ward_table(snapshot(counts=()), WARDS, data.ALL_SOURCES)
    assert table.empty
    assert list(table.columns) == ["Ward", "Police", "Council", "Fire", "Total"]


def test_ward_label_unknown_code_falls_back_to_code() -> None:
    """A ward code missing from the areas file is shown as its code, never dropped."""
    assert data.ward_label("E05999999", WARDS) == "E05999999"
    assert data.ward_label("unassigned", WARDS) == "Unassigned"


def test_category_table_uses_display_names_and_sorts() -> None:
    """Categories are summed across sources and wards, named for people, largest first."""
    table = data.category_table(snapshot(), data.ALL_SOURCES)
    assert table.to_dict("records") == [
        {"Category": "Burglary", "Incidents": 4},
        {"Category": "ASB – nuisance", "Incidents": 2},
        {"Category": "Drugs", "Incidents": 1},
        {"Category": "Secondary fire", "Incidents": 1},
    ]


def test_category_summary_is_a_text_alternative() -> None:
    """The chart's text alternative lists each category with its count."""
    table = data.category_table(snapshot(), ["fire", "council"])
    summary = data.category_summary(table)
    assert summary == "Incidents by category, largest first — ASB – nuisance: 2; Secondary fire: 1."
    assert data.category_summary(data.category_table(snapshot(), [])) == (
        "No incidents for the selected sources."
    )


def test_ticker_rows_local_time_names_and_filter() -> None:
    """Ticker rows keep store order, use UK local time and display names, and honour the filter."""
    latest = (
        ticker("fire", "secondary-fire", None, 5, location_type="park-open-space"),
        ticker("police", "burglary", "E05000954", 60, place="On or near Grange Road"),
    )
    table = data.ticker_table(snapshot(latest=latest), WARDS, data.ALL_SOURCES)
    first, second = table.to_dict("records")
    assert first["Occurred (UK time)"] == "2026-07-01 12:55"
    assert first["Source"] == "Fire"
    assert (first["Category"], first["Ward"]) == ("Secondary fire", "Unassigned")
    assert (first["Place"], first["Location type"]) == ("—", "Park open space")
    assert (second["Ward"], second["Place"]) == ("Bebington (E05000954)", "On or near Grange Road")
    police_only = data.ticker_table(snapshot(latest=latest), WARDS, ["police"])
    assert list(police_only["Source"]) == ["Police"]


def test_ticker_capped_at_limit() -> None:
    """The ticker never shows more than the row limit."""
    latest = tuple(ticker("police", "drugs", None, i) for i in range(80))
    assert len(data.ticker_table(snapshot(latest=latest), WARDS, data.ALL_SOURCES)) == 50


def test_freshness_lines_per_source() -> None:
    """Each source gets its latest arrival in UK time and its age, or 'nothing received yet'."""
    assert data.freshness_lines(snapshot(), NOW) == [
        "Police: latest arrival 2026-07-01 12:59:30 (30 s ago)",
        "Council: latest arrival 2026-07-01 12:48:00 (12 min ago)",
        "Fire: nothing received yet",
    ]


def test_clock_time_is_uk_local() -> None:
    """The 'updated at' clock reads in UK local time (BST in summer)."""
    assert data.clock_time(NOW) == "13:00:00"


@pytest.mark.parametrize(
    ("elapsed", "text"),
    [
        (timedelta(seconds=-5), "just now"),
        (timedelta(seconds=89), "89 s ago"),
        (timedelta(minutes=89), "89 min ago"),
        (timedelta(hours=47), "47 h ago"),
        (timedelta(days=3), "3 days ago"),
    ],
)
def test_ago_text(elapsed: timedelta, text: str) -> None:
    """Elapsed times read naturally, and clock skew into the future reads 'just now'."""
    assert data.ago_text(NOW - elapsed, NOW) == text


def test_parse_sources_keeps_known_in_canonical_order() -> None:
    """Query-parameter values are filtered to known sources, de-duplicated and ordered."""
    assert data.parse_sources(["fire", "bogus", "police", "fire"]) == ["police", "fire"]


def test_has_data_counts_dead_letters_as_data() -> None:
    """An empty store is 'no data'; dead letters alone are data (something is arriving)."""
    assert not data.has_data(snapshot(counts=(), deadletters={}))
    assert data.has_data(snapshot(counts=()))
