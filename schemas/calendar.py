"""Calendar buckets in Europe/London local time; windows are half-open [start, end).

The one definition of the local time zone (``LONDON``). Timestamps are stored in UTC;
anything a person reads as a day, hour of the week, month or financial year (April–March)
is computed in UK local time, so 00:30 BST on 1 April is in April and in the new financial
year (day and month buckets: ``aggregates.buckets``).
"""

from __future__ import annotations

from datetime import datetime
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
