"""Trends: daily, weekly and monthly series with the year before (pure: no Streamlit, no
Redis).

Points are whole local days or months up to the last complete one, read as bucket totals
(``StoreReader.bucket_totals``) at ward level, so every point is a sum of (ward, category)
cells and is disclosed like any other figure (``aggregates.disclosure.disclose_sum``). A
week is the sum of its seven days. A day counts the events wholly inside it: police.uk
records, known only to the month, appear in monthly series only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from aggregates.buckets import DAY, MONTH, Bucket
from aggregates.disclosure import Role, disclose_sum
from aggregates.periods import year_earlier
from dashboard.data import source_label
from dashboard.exports import Chart
from dashboard.window_figures import Cells, cells_of
from schemas.calendar import LONDON
from store.reader import WindowRow

GRAINS = {"day": "Daily", "week": "Weekly", "month": "Monthly"}
POINTS = {"day": 90, "week": 52, "month": 48}
PERIOD, INCIDENTS, YEAR_EARLIER = "Period", "Incidents", "A year earlier"


def export_chart() -> Chart:
    """The series and the year before as lines over the periods (the shown figures)."""
    return Chart("line", PERIOD, (f"{INCIDENTS} (shown)", f"{YEAR_EARLIER} (shown)"))


NOTE = {
    "day": "Whole days (UK time); police.uk records give only a month, so they count in "
    "monthly series only.",
    "week": "Weeks Monday to Sunday; police.uk records give only a month, so they count in "
    "whole months only.",
    "month": "Whole months count every record dated to them, police.uk records included; "
    "the current month so far counts only what is dated to its days.",
}


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    buckets: tuple[Bucket, ...]  # the day or month buckets it sums
    earlier: tuple[Bucket, ...]  # the same a year earlier (``periods.year_earlier``; months: 12)


def _day(d: date) -> Bucket:
    return Bucket(DAY, d.strftime("%Y%m%d"))


def _month(year: int, month: int) -> Bucket:
    return Bucket(MONTH, f"{year:04d}{month:02d}")


def periods(
    grain: str, now: datetime, points: int | None = None, to_today: bool = False
) -> list[Period]:
    """The last ``points`` complete periods of ``grain``, oldest first, then the current one
    so far: its whole days up to last midnight, or (``to_today``, the analyst) up to now.
    A period so far is the sum of its days, so it counts what lies wholly inside them."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r} (day, week, month)")
    n = points or POINTS[grain]
    today = now.astimezone(LONDON).date()
    last = today if to_today else today - timedelta(days=1)
    if grain == "day":
        days = [today - timedelta(days=i) for i in range(n, 0, -1)]
        out = [Period(d.isoformat(), (_day(d),), (_day(year_earlier(d)),)) for d in days]
        if to_today:
            out.append(_so_far(f"{today.isoformat()} (so far)", today, today))
        return out
    if grain == "week":
        monday = today - timedelta(days=today.weekday())
        out = []
        for i in range(n, 0, -1):
            start = monday - timedelta(weeks=i)
            out.append(_so_far(f"w/c {start.isoformat()}", start, start + timedelta(days=6)))
        if last >= monday:
            out.append(_so_far(f"w/c {monday.isoformat()} (to {last:%d %b})", monday, last))
        return out
    index = today.year * 12 + today.month - 1  # this month
    out = []
    for i in range(n, 0, -1):
        year, month = divmod(index - i, 12)
        out.append(
            Period(
                f"{year:04d}-{month + 1:02d}",
                (_month(year, month + 1),),
                (_month(year - 1, month + 1),),
            )
        )
    first = today.replace(day=1)
    if last >= first:
        out.append(_so_far(f"{first:%Y-%m} (to {last:%d %b})", first, last))
    return out


def _so_far(label: str, first: date, last: date) -> Period:
    """A run of whole days [first, last], and the same days 364 days earlier."""
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    return Period(
        label,
        tuple(_day(d) for d in days),
        tuple(_day(year_earlier(d)) for d in days),
    )


def buckets_to_read(series: Sequence[Period]) -> list[Bucket]:
    """Every bucket the series and its year-earlier comparison need, each once."""
    seen: dict[Bucket, None] = {}
    for period in series:
        for bucket in (*period.buckets, *period.earlier):
            seen.setdefault(bucket)
    return list(seen)


def series_frame(
    series: Sequence[Period],
    rows: dict[Bucket, tuple[WindowRow, ...]],
    sources: Sequence[str],
    role: Role,
) -> pd.DataFrame:
    """One row per period: incidents and a year earlier as the role may see them (numbers,
    None when suppressed) and as text, plus one text column per selected source."""
    records = []
    for period in series:
        now = _cells(period.buckets, rows, sources)
        before = _cells(period.earlier, rows, sources)
        shown, earlier = disclose_sum(now.values(), role), disclose_sum(before.values(), role)
        record: dict[str, object] = {
            PERIOD: period.label,
            INCIDENTS: shown.value,
            YEAR_EARLIER: earlier.value,
            f"{INCIDENTS} (shown)": shown.text,
            f"{YEAR_EARLIER} (shown)": earlier.text,
        }
        for source in sources:
            part = _cells(period.buckets, rows, [source])
            record[source_label(source)] = disclose_sum(part.values(), role).text
        records.append(record)
    return pd.DataFrame(records)


def _cells(
    buckets: Sequence[Bucket], rows: dict[Bucket, tuple[WindowRow, ...]], sources: Sequence[str]
) -> Cells:
    """(ward, category) cells of a period: its buckets' cells added up."""
    total: Cells = {}
    for bucket in buckets:
        for key, n in cells_of(rows.get(bucket, ()), sources).items():
            total[key] = total.get(key, 0) + n
    return total


def long_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The two series stacked for a chart (suppressed points left out)."""
    long = frame.melt(
        id_vars=[PERIOD], value_vars=[INCIDENTS, YEAR_EARLIER], var_name="Series", value_name="n"
    )
    return long.dropna(subset=["n"])


def summary(frame: pd.DataFrame, grain: str) -> str:
    """Text alternative of the chart: the latest points and the whole range's totals."""
    if frame.empty:
        return "No periods to show."
    last = frame.tail(3).to_dict("records")
    parts = [
        f"{r[PERIOD]}: {r[f'{INCIDENTS} (shown)']} (a year earlier {r[f'{YEAR_EARLIER} (shown)']})"
        for r in last
    ]
    return f"{GRAINS[grain]} incidents, latest periods — " + "; ".join(parts) + "."
