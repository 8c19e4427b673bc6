"""Named windows and their comparisons (``aggregates.periods``): rolling windows to the end
of the current hour, fixed whole-day windows, whole months, a year earlier (364 days)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from aggregates.buckets import epoch_hour
from aggregates.periods import (
    CUSTOM,
    FIXED_WINDOWS,
    Period,
    Window,
    custom_window,
    month_window,
    rolling_window,
    rolling_windows,
    since,
    year_earlier,
)
from schemas.calendar import LONDON

NOW = datetime(2025, 6, 10, 14, 25, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_rolling_hours_end_at_the_end_of_the_current_hour() -> None:
    """1h is the current hour; 24h, 7d and 28d are whole hours ending with it."""
    end = utc(2025, 6, 10, 15)
    assert rolling_window("1h", NOW) == (utc(2025, 6, 10, 14), end)
    assert rolling_window("24h", NOW) == (utc(2025, 6, 9, 15), end)
    assert rolling_window("7d", NOW) == (end - timedelta(hours=168), end)
    assert rolling_window("28d", NOW) == (end - timedelta(hours=672), end)


def test_rolling_days_are_hours_across_a_clock_change() -> None:
    """7d across the March change is 168 hours, not 7 local days."""
    now = utc(2025, 4, 2, 9, 5)
    start, end = rolling_window("7d", now)
    assert (end - start, end) == (timedelta(hours=168), utc(2025, 4, 2, 10))


def test_ytd_starts_at_local_new_year() -> None:
    """ytd starts at 1 January 00:00 Europe/London (GMT, so 00:00 UTC)."""
    assert rolling_window("ytd", NOW) == (utc(2025, 1, 1), utc(2025, 6, 10, 15))
    late = utc(2025, 12, 31, 23, 30)  # still 2025 in London
    assert rolling_window("ytd", late)[0] == utc(2025, 1, 1)


def test_fytd_starts_at_local_first_of_april() -> None:
    """fytd starts at 1 April 00:00 BST (31 March 23:00 UTC) of the current UK financial year."""
    assert rolling_window("fytd", NOW)[0] == utc(2025, 3, 31, 23)
    assert rolling_window("fytd", utc(2025, 2, 14, 12))[0] == utc(2024, 3, 31, 23)
    just_after = utc(2025, 3, 31, 23, 30)  # 00:30 BST on 1 April: the new year
    assert rolling_window("fytd", just_after) == (utc(2025, 3, 31, 23), utc(2025, 4, 1, 0))


def test_fixed_windows_end_at_the_last_local_midnight() -> None:
    now = datetime(2026, 7, 14, 9, 30, tzinfo=UTC)  # 10:30 BST
    for window in FIXED_WINDOWS:
        start, end = window.bounds(now)
        assert end.astimezone(LONDON) == datetime(2026, 7, 14, tzinfo=LONDON)
        assert (end.astimezone(LONDON).date() - start.astimezone(LONDON).date()).days == (
            window.days
        )
        assert window.bounds(datetime(2026, 7, 14, 22, 59, tzinfo=UTC)) == (start, end)


def test_unknown_rolling_window_is_refused() -> None:
    """A name that is not a rolling window is a ValueError naming the windows there are."""
    with pytest.raises(ValueError, match="one of 1h, 24h, 7d, 28d, 365d, ytd, fytd"):
        rolling_window("fortnight", NOW)


def test_live_windows_are_the_rolling_windows_in_epoch_hours() -> None:
    """The dashboard's rolling windows are the query's, as labelled epoch-hour windows."""
    windows = rolling_windows(NOW)
    assert [(w.slug, w.label) for w in windows] == [
        ("1h", "Last hour"),
        ("24h", "Last 24 hours"),
        ("7d", "Last 7 days"),
        ("28d", "Last 28 days"),
        ("365d", "Last 365 days"),  # the analyst has every window a partner has
    ]
    for window in windows:
        assert (window.start_time, window.end_time) == rolling_window(window.slug, NOW)
        assert window.end == epoch_hour(NOW) + 1


def test_windows_are_half_open() -> None:
    """A window holds its start and not its end."""
    window = Window("1h", "Last hour", epoch_hour(NOW), epoch_hour(NOW) + 1)
    assert window.contains(utc(2025, 6, 10, 14))
    assert window.contains(utc(2025, 6, 10, 14, 59))
    assert not window.contains(utc(2025, 6, 10, 15))
    assert not window.contains(utc(2025, 6, 10, 13, 59))


def test_a_year_earlier_is_52_weeks() -> None:
    """A year earlier is 364 days: the same weekday, in days, hours and windows."""
    day = date(2026, 3, 3)  # a Tuesday
    assert year_earlier(day) == date(2025, 3, 4)
    assert year_earlier(day).weekday() == day.weekday()
    window = rolling_windows(NOW, ["7d"])[0]
    earlier = window.year_earlier()
    assert (window.start - earlier.start, window.end - earlier.end) == (364 * 24, 364 * 24)
    assert window.start - window.week_earlier().start == 168


def test_since_runs_to_the_end_of_the_current_hour_and_is_never_empty() -> None:
    start = utc(2025, 6, 9, 17, 30)
    assert since(start, NOW) == (epoch_hour(utc(2025, 6, 9, 17)), epoch_hour(NOW) + 1)
    later = utc(2025, 6, 11, 9)
    assert since(later, NOW) == (epoch_hour(later), epoch_hour(later) + 1)


def test_month_windows_are_whole_local_months_or_run_to_now() -> None:
    summer = utc(2025, 8, 20, 10)  # BST: a local month starts at 23:00 UTC the day before
    whole = month_window("3m", summer, so_far=False)
    assert whole.label == "Last 3 months (whole months)"
    assert (whole.start_time, whole.end_time) == (utc(2025, 4, 30, 23), utc(2025, 7, 31, 23))
    so_far = month_window("12m", summer, so_far=True)
    assert so_far.label == "Last 12 months and this month so far"
    assert (so_far.start_time, so_far.end) == (utc(2024, 7, 31, 23), epoch_hour(summer) + 1)


def test_custom_dates_are_whole_local_days_both_included() -> None:
    """1 to 31 March 2026: from local midnight of the 1st to local midnight after the 31st
    (the clocks change on the 29th: 743 hours, not 744); reversed dates are put in order."""
    window = Period(CUSTOM, date(2026, 3, 1), date(2026, 3, 31)).window(NOW, whole_days=True)
    assert window.start_time == datetime(2026, 3, 1, 0, tzinfo=LONDON)
    assert window.end_time == datetime(2026, 4, 1, 0, tzinfo=LONDON)
    assert window.end - window.start == 31 * 24 - 1
    assert window.label == "1 Mar 2026 to 31 Mar 2026"
    assert custom_window(date(2026, 3, 31), date(2026, 3, 1)) == window
    assert custom_window(date(2026, 3, 5), date(2026, 3, 5)).label == "5 Mar 2026"
    with pytest.raises(ValueError, match="custom dates need"):
        Period(CUSTOM).window(NOW, whole_days=True)


def test_years_to_date_for_the_analyst_and_in_whole_days() -> None:
    """Year to date runs to the end of this hour for the analyst, to last midnight for the
    others; the financial year starts on 1 April (of last year before April)."""
    rolling = Period("ytd").window(NOW, whole_days=False)
    assert rolling.start_time == datetime(NOW.year, 1, 1, tzinfo=LONDON)
    assert rolling.end == epoch_hour(NOW) + 1
    whole = Period("ytd").window(NOW, whole_days=True)
    assert whole.end_time == datetime.combine(NOW.astimezone(LONDON).date(), time(0), LONDON)
    february = datetime(2026, 2, 10, 12, tzinfo=UTC)
    fytd = Period("fytd").window(february, whole_days=True)
    assert fytd.start_time == datetime(2025, 4, 1, tzinfo=LONDON)
    new_year = datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert (
        Period("ytd").window(new_year, whole_days=True).end
        - Period("ytd").window(new_year, whole_days=True).start
        == 24
    )  # the first day: at least that day, never empty


def test_the_same_period_last_year() -> None:
    """Dates and years to date move to the same dates a year earlier (29 February to the
    28th); hour and day windows 364 days, so weekdays align."""
    march = Period(CUSTOM, date(2026, 3, 1), date(2026, 3, 31), last_year=True)
    window = march.window(NOW, whole_days=True)
    assert (window.start_time, window.end_time) == (
        datetime(2025, 3, 1, tzinfo=LONDON),
        datetime(2025, 4, 1, tzinfo=LONDON),
    )
    assert window.label == "1 Mar 2026 to 31 Mar 2026 — same period last year"
    leap = Period(CUSTOM, date(2024, 2, 29), date(2024, 2, 29), last_year=True)
    assert leap.window(NOW, whole_days=True).start_time == datetime(2023, 2, 28, tzinfo=LONDON)
    week = Period("7d", last_year=True).window(NOW, whole_days=True)
    this = Period("7d").window(NOW, whole_days=True)
    assert week.start == this.start - 364 * 24
    assert week.start_time.weekday() == this.start_time.weekday()
