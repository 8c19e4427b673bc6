"""Calendar buckets in Europe/London local time; windows are half-open [start, end).

Timestamps are stored in UTC; anything a person reads as a day, hour of the week, month
or financial year (April–March) is computed in UK local time, so 00:30 BST on 1 April is
in April and in the new financial year.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def local(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        raise ValueError("naive timestamp: calendar buckets need a zone-aware time")
    return ts.astimezone(LONDON)


def hour_of_week(ts: datetime) -> int:
    """0 = Monday 00:00–01:00 local … 167 = Sunday 23:00–24:00 local."""
    lt = local(ts)
    return lt.weekday() * 24 + lt.hour


def local_day(ts: datetime) -> date:
    return local(ts).date()


def local_month(ts: datetime) -> str:
    """YYYY-MM of the local calendar month."""
    return local(ts).strftime("%Y-%m")


def financial_year(ts: datetime) -> str:
    """UK financial year, April–March, e.g. '2018/19' for any time from 1 April 2018 local."""
    lt = local(ts)
    first = lt.year if lt.month >= 4 else lt.year - 1
    return f"{first}/{(first + 1) % 100:02d}"
