"""Trend periods and series per role (``dashboard.trends``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from aggregates.buckets import DAY, MONTH, Bucket
from aggregates.disclosure import FEWER, Role
from dashboard import trends
from store.reader import WindowRow

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday


def test_daily_periods_end_yesterday_and_compare_364_days_earlier() -> None:
    days = trends.periods("day", NOW, 3)
    assert [p.label for p in days] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert trends.periods("day", NOW, 3, to_today=True)[-1].label == "2026-03-04 (so far)"
    assert days[-1].buckets == (Bucket(DAY, "20260303"),)
    assert days[-1].earlier == (Bucket(DAY, "20250304"),)  # 364 days: a Tuesday again


def test_weekly_periods_are_whole_weeks_monday_to_sunday() -> None:
    weeks = trends.periods("week", NOW, 2)
    assert [p.label for p in weeks] == [
        "w/c 2026-02-16",
        "w/c 2026-02-23",
        "w/c 2026-03-02 (to 03 Mar)",  # this week's whole days so far
    ]
    assert weeks[1].buckets[0] == Bucket(DAY, "20260223")
    assert weeks[1].buckets[-1] == Bucket(DAY, "20260301")
    assert len(weeks[1].earlier) == 7
    assert weeks[-1].buckets == (Bucket(DAY, "20260302"), Bucket(DAY, "20260303"))
    analyst = trends.periods("week", NOW, 2, to_today=True)
    assert analyst[-1].label == "w/c 2026-03-02 (to 04 Mar)"
    assert analyst[-1].buckets[-1] == Bucket(DAY, "20260304")


def test_monthly_periods_end_last_month_and_compare_a_year_earlier() -> None:
    months = trends.periods("month", NOW, 14)
    assert months[-2].label == "2026-02"
    assert months[0].label == "2025-01"
    assert months[-2].earlier == (Bucket(MONTH, "202502"),)
    # this month so far is the sum of its whole days: a month-only record is in none
    assert months[-1].label == "2026-03 (to 03 Mar)"
    assert months[-1].buckets == (
        Bucket(DAY, "20260301"),
        Bucket(DAY, "20260302"),
        Bucket(DAY, "20260303"),
    )
    # the year-earlier months overlap the series: each bucket is read once
    wanted = trends.buckets_to_read(months)
    assert len(wanted) == len(set(wanted)) == 14 + 12 + 3 + 3
    first_day = datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert trends.periods("month", first_day, 2)[-1].label == "2026-02"  # nothing so far yet


def test_unknown_grain() -> None:
    with pytest.raises(ValueError, match="unknown grain"):
        trends.periods("fortnight", NOW)


def test_series_per_role() -> None:
    series = trends.periods("day", NOW, 2)
    rows = {
        Bucket(DAY, "20260303"): (
            WindowRow("E05000956", "burglary", "", 7, 0),
            WindowRow("E05000954", "drugs", "", 2, 0),
            WindowRow("E05000957", "secondary-fire", "", 1, 0),
        ),
        Bucket(DAY, "20250304"): (WindowRow("E05000956", "burglary", "", 3, 0),),
    }
    exact = trends.series_frame(series, rows, ["police", "fire"], Role.ANALYST)
    last = exact.iloc[-1]
    assert (last["Incidents"], last["A year earlier"], last["Police"], last["Fire"]) == (
        10,
        3,
        "9",
        "1",
    )
    shared = trends.series_frame(series, rows, ["police", "fire"], Role.PARTNER).iloc[-1]
    assert (shared["Incidents (shown)"], shared["A year earlier (shown)"]) == ("10", FEWER)
    assert pd.isna(shared["A year earlier"])
    assert (shared["Police"], shared["Fire"]) == ("10", FEWER)
    first = trends.series_frame(series, rows, ["police"], Role.PARTNER).iloc[0]
    assert first["Incidents (shown)"] == "0"
    long = trends.long_frame(trends.series_frame(series, rows, ["police"], Role.PARTNER))
    assert len(long) == 3  # the suppressed year-earlier point is not drawn
    assert "2026-03-03: 10 (a year earlier fewer than 5)" in trends.summary(
        trends.series_frame(series, rows, ["police"], Role.PARTNER), "day"
    )
