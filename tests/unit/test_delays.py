"""Reporting delays: the bucket of a record's delay and the share of records received a
given time after the incident, against hand-worked figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregates.delays import (
    LATE,
    LONG,
    MIN_RECORDS,
    Arrivals,
    arrived_by,
    bucket_of,
    delay_field,
    width_of,
)

END = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)


def test_a_delay_counts_in_the_first_bucket_it_does_not_exceed() -> None:
    assert bucket_of(END - timedelta(minutes=10), END) == "0"  # received before it ended
    assert bucket_of(END, END) == "0"
    assert bucket_of(END + timedelta(minutes=3), END) == "5"
    assert bucket_of(END + timedelta(minutes=60), END) == "60"
    assert bucket_of(END + timedelta(minutes=61), END) == "90"
    assert bucket_of(END + timedelta(days=8), END) == LATE


def test_the_share_received_rises_between_the_edges() -> None:
    """Half at once and half between 90 and 120 minutes: 0.5 up to 90 minutes, 0.75 at
    105, everything after 2 hours."""
    share = arrived_by({"0": 50, "120": 50})
    assert share is not None
    assert share(0) == pytest.approx(0.5)
    assert share(1.0) == pytest.approx(0.5)
    assert share(1.75) == pytest.approx(0.75)
    assert share(3.0) == pytest.approx(1.0)
    late = arrived_by({"0": 30, LATE: 10})
    assert late is not None
    assert late(24 * 30) == pytest.approx(0.75)  # a week late never counts as arrived


def test_a_records_width_is_the_shortest_window_its_time_fits() -> None:
    assert [width_of(h) for h in (1, 2, 3, 24, 25, 700)] == ["2", "2", "24", "24", LONG, LONG]


def test_a_group_mixes_its_categories_by_their_records_known_within_the_window() -> None:
    """A 2-hour window takes the delays of records known to within 2 hours; a day's
    window those within 24 hours too; records known only as longer spans in neither."""
    days = [
        {delay_field("burglary", "2", "0"): 20, delay_field("asb-youth", "2", "5"): 1},
        {delay_field("burglary", "2", "1440"): 20, "malformed": 3},
        {delay_field("burglary", "24", "2880"): 40, delay_field("burglary", LONG, "60"): 500},
    ]
    arrivals = Arrivals.of(days)
    share = arrivals.for_categories(["burglary", "vehicle-crime"], 2)
    assert share is not None
    assert share(0) == pytest.approx(0.5)  # 20 of 40 at once, the rest a day later
    assert share(24) == pytest.approx(1.0)
    day = arrivals.for_categories(["burglary"], 24)
    assert day is not None
    assert day(24) == pytest.approx(0.5)  # the 40 of 24-hour spans come two days late
    assert arrivals.for_categories(["asb-youth"], 2) is None  # 1 record < MIN_RECORDS
    assert MIN_RECORDS > 1
