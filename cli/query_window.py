"""The effective window of ``safer query counts``: a named rolling window (``aggregates.
periods``) or explicit bounds, rounded outward to whole UTC hours, and further to whole local
days or months where the finer buckets have expired; each rounding is noted for the user."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import ceil

from aggregates.buckets import HOUR_S, day_bounds, day_of, epoch_hour, hour_start, month_bounds
from aggregates.config import AggregationConfig
from aggregates.periods import YEAR_EARLIER, rolling_window
from safer.errors import SaferError
from schemas.calendar import LONDON


class QueryError(SaferError):
    """The query cannot be answered as asked (bad window, unknown name); exit code 2."""


def parse_time(text: str) -> datetime:
    """ISO 8601 instant; a time without zone is Europe/London local time."""
    try:
        ts = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc
    return ts.replace(tzinfo=LONDON) if ts.tzinfo is None else ts


@dataclass(frozen=True, slots=True)
class Window:
    """Effective half-open window [start, end) in epoch hours, and how it was derived."""

    start: int
    end: int
    notes: tuple[str, ...] = ()

    @property
    def start_time(self) -> datetime:
        return hour_start(self.start)

    @property
    def end_time(self) -> datetime:
        return hour_start(self.end)

    def describe(self) -> str:
        text = f"window [{iso(self.start_time)}, {iso(self.end_time)}) UTC"
        return "; ".join((text, *self.notes))


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_hours(start: datetime, end: datetime) -> Window:
    """The whole UTC hours covering [start, end): start rounded down, end up."""
    if end <= start:
        raise QueryError(f"end {iso(end)} is not after start {iso(start)}")
    first = epoch_hour(start)
    last = ceil(end.timestamp() / HOUR_S)
    exact = start.timestamp() == first * HOUR_S and end.timestamp() == last * HOUR_S
    notes = () if exact else ("rounded outward to whole UTC hours",)
    return Window(first, last, notes)


def to_days(window: Window, reason: str) -> Window:
    """Rounded outward to whole Europe/London local days."""
    first = day_bounds(day_of(window.start))[0]
    last = day_bounds(day_of(window.end - 1))[1]
    if (first, last) == (window.start, window.end):
        return window
    return Window(first, last, (*window.notes, f"rounded outward to whole local days ({reason})"))


def to_months(window: Window, reason: str) -> Window:
    """Rounded outward to whole Europe/London local months."""
    first = month_bounds(day_of(window.start)[:6])[0]
    last = month_bounds(day_of(window.end - 1)[:6])[1]
    if (first, last) == (window.start, window.end):
        return window
    note = f"rounded outward to whole local months ({reason})"
    return Window(first, last, (*window.notes, note))


def within_retention(
    window: Window, now: datetime, config: AggregationConfig, compare_year: bool = False
) -> Window:
    """Round outward where finer buckets have expired: the oldest hour read (its year-
    earlier twin with ``compare_year``) older than the hourly retention → whole local days;
    older than the daily retention → whole local months."""
    oldest = window.start_time - (YEAR_EARLIER if compare_year else timedelta(0))
    age = now - oldest
    which = "year-earlier window" if compare_year else "window"
    if age > timedelta(days=config.daily_retention_days):
        reason = f"{which} older than the {config.daily_retention_days}-day daily retention"
        return to_months(window, reason)
    if age > timedelta(days=config.hourly_retention_days):
        reason = f"{which} older than the {config.hourly_retention_days}-day hourly retention"
        return to_days(window, reason)
    return window


def resolve_window(
    *,
    now: datetime,
    config: AggregationConfig,
    window: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    compare_year: bool = False,
) -> Window:
    """The effective window of a query: a named rolling window or explicit bounds."""
    if window is not None:
        if start is not None or end is not None:
            raise QueryError("give either --window or --start and --end, not both")
        try:
            start, end = rolling_window(window, now)  # aggregates.periods: the named windows
        except ValueError as exc:
            raise QueryError(str(exc)) from exc
    elif start is None or end is None:
        raise QueryError("give --window, or both --start and --end")
    return within_retention(to_hours(start, end), now, config, compare_year)
