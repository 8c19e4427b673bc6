"""Event-time buckets and windows, in whole UTC hours ("epoch hours").

An event's time is rounded outward to whole hours: ``Span(start, end)`` is half-open
[start, end) in epoch hours (an instant occupies its hour). Buckets are hours, local days
and local months in Europe/London time (UK offsets are whole hours, so every local day
and month is a whole number of UTC hours), plus ``all`` (every event ever).

Each event has a **home**: the smallest bucket that contains its span (an hour, else a
local day, else a local month, else none: a *long* event). Its **rollup** is its home and
the larger buckets containing that home; bucket totals are sums over events whose home
lies inside the bucket. A window counts an event when its span lies wholly inside the
window; ``decompose`` splits a window into maximal whole buckets plus the partially
covered days and months whose detail records settle the remaining events exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from math import ceil, floor

from schemas.calendar import LONDON

HOUR_S = 3600
HOUR, DAY, MONTH, ALL, LONG = "h", "d", "m", "all", "long"


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """Half-open [start, end) in epoch hours; end > start."""

    start: int
    end: int


@dataclass(frozen=True, slots=True, order=True)
class Bucket:
    """A bucket: its grain (``HOUR`` …) and its id within the grain (store.keys spells it)."""

    grain: str
    id: str


ALL_BUCKET = Bucket(ALL, "-")
LONG_BUCKET = Bucket(LONG, "-")


def epoch_hour(ts: datetime) -> int:
    return floor(ts.timestamp() / HOUR_S)


def hour_start(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * HOUR_S, UTC)


def span_of(start: datetime, end: datetime | None) -> Span:
    """The whole hours covering [start, end) (an instant: its own hour)."""
    first = epoch_hour(start)
    last = first + 1 if end is None else ceil(end.timestamp() / HOUR_S)
    return Span(first, max(last, first + 1))


def _local_midnight_hour(day: date) -> int:
    return epoch_hour(datetime(day.year, day.month, day.day, tzinfo=LONDON))


@lru_cache(maxsize=8192)
def day_of(hour: int) -> str:
    """Local day (YYYYMMDD) of an epoch hour."""
    return hour_start(hour).astimezone(LONDON).strftime("%Y%m%d")


@lru_cache(maxsize=8192)
def day_bounds(day_id: str) -> tuple[int, int]:
    day = datetime.strptime(day_id, "%Y%m%d").date()
    return _local_midnight_hour(day), _local_midnight_hour(day + timedelta(days=1))


def month_of(hour: int) -> str:
    return day_of(hour)[:6]


@lru_cache(maxsize=4096)
def month_bounds(month_id: str) -> tuple[int, int]:
    year, month = int(month_id[:4]), int(month_id[4:])
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return _local_midnight_hour(date(year, month, 1)), _local_midnight_hour(nxt)


def bounds(bucket: Bucket) -> tuple[int, int]:
    if bucket.grain == HOUR:
        return int(bucket.id), int(bucket.id) + 1
    if bucket.grain == DAY:
        return day_bounds(bucket.id)
    if bucket.grain == MONTH:
        return month_bounds(bucket.id)
    raise ValueError(f"{bucket!r} has no bounds")


def home(span: Span) -> Bucket:
    """The smallest bucket containing the span (``LONG_BUCKET`` when no month does)."""
    if span.end - span.start == 1:
        return Bucket(HOUR, str(span.start))
    day = day_of(span.start)
    if day_bounds(day)[1] >= span.end:
        return Bucket(DAY, day)
    month = month_of(span.start)
    if month_bounds(month)[1] >= span.end:
        return Bucket(MONTH, month)
    return LONG_BUCKET


@lru_cache(maxsize=16384)
def rollup_of(own: Bucket) -> tuple[Bucket, ...]:
    """An event's rollup: its home bucket and the larger buckets containing it, up to
    ``all`` (the buckets whose totals include the event)."""
    if own.grain == HOUR:
        hour = int(own.id)
        return own, Bucket(DAY, day_of(hour)), Bucket(MONTH, month_of(hour)), ALL_BUCKET
    if own.grain == DAY:
        return own, Bucket(MONTH, own.id[:6]), ALL_BUCKET
    if own.grain == MONTH:
        return own, ALL_BUCKET
    return (ALL_BUCKET,)


@dataclass(frozen=True, slots=True)
class Decomposition:
    """Whole buckets tiling a window, and the partly covered homes to settle by detail."""

    pieces: tuple[Bucket, ...]
    partial: tuple[Bucket, ...]


def decompose(start: int, end: int) -> Decomposition:
    """Tile [start, end) (epoch hours) with the largest whole buckets inside it."""
    if end <= start:
        raise ValueError("empty window")
    pieces = []
    t = start
    while t < end:
        piece = _largest_piece_at(t, end)
        pieces.append(piece)
        t = bounds(piece)[1]
    return Decomposition(tuple(pieces), _partial_homes(start, end))


def _largest_piece_at(t: int, end: int) -> Bucket:
    month = month_of(t)
    m0, m1 = month_bounds(month)
    if m0 == t and m1 <= end:
        return Bucket(MONTH, month)
    day = day_of(t)
    d0, d1 = day_bounds(day)
    if d0 == t and d1 <= end:
        return Bucket(DAY, day)
    return Bucket(HOUR, str(t))


def _partial_homes(start: int, end: int) -> tuple[Bucket, ...]:
    partial: list[Bucket] = []
    for bucket in (
        Bucket(DAY, day_of(start)),
        Bucket(DAY, day_of(end - 1)),
        Bucket(MONTH, month_of(start)),
        Bucket(MONTH, month_of(end - 1)),
    ):
        b0, b1 = bounds(bucket)
        if (b0 < start or b1 > end) and bucket not in partial:
            partial.append(bucket)
    return (*partial, LONG_BUCKET)


def placement(span: Span, start: int, end: int) -> str | None:
    """'inside' / 'unplaced' (overlaps but not inside) / None (disjoint) for a window."""
    if span.start >= start and span.end <= end:
        return "inside"
    if span.start < end and span.end > start:
        return "unplaced"
    return None
