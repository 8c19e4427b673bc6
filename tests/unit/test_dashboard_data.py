"""Pure data functions of the live page, fed plain in-memory snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dashboard import data
from store.reader import CountRow, Freshness, LiveSnapshot
from store.simulated import SimulatedHistory

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # BST: UK local time is UTC+1
WARDS = {"E05000954": "Bebington", "E05000956": "Birkenhead and Tranmere"}


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


def test_ward_label_unknown_code_falls_back_to_code() -> None:
    """A ward code missing from the areas file is shown as its code, never dropped."""
    assert data.ward_label("E05999999", WARDS) == "E05999999"
    assert data.ward_label("unassigned", WARDS) == "Unassigned"


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


def test_simulated_history_is_named_with_its_dates_in_uk_time() -> None:
    """The banner says the figures include simulated history, from when to when (local
    time), and that it is no partner's records; no history, no banner."""
    history = SimulatedHistory(NOW - timedelta(weeks=8), NOW, 145_000, 0.03)
    text = data.simulated_text(snapshot(simulated=history).simulated)
    assert text is not None
    assert "simulated history from 2026-05-06 13:00 to 2026-07-01 13:00 UK time" in text
    assert "not any partner's records" in text
    assert data.simulated_text(snapshot().simulated) is None
