"""Reporting delays (pure): how long after an incident ends its record reaches us, by
category, so a window that is still filling can be compared with what should have arrived
by now, not with what the same window eventually held.

The live writer counts each record's first arrival in a per-day histogram (``store.keys``
``delay:{day}``: ``category|width|edge`` -> records): the delay is ``received_at`` minus the
end of ``occurred`` (its start when it has none), in minutes, counted in the first bucket
whose upper edge (``EDGES_MIN``) it does not exceed; beyond the last edge it counts as
``late``. ``width`` is the smallest of ``WIDTHS`` (hours) that the whole clock hours of its
``occurred`` fit in, else ``long``: a window counts only the records whose time lies inside
it, so the delays that matter for a 2-hour window are those of records known to within 2
hours (a police record known only as "between 18:00 and 23:00" is reported differently
from a control-room call, and is not in that window whenever it arrives).
``Arrivals`` turns the histograms of recent days into the share of a category's records
that has arrived a given time after the incident (linear between edges), and mixes the
categories of an alert group by how many records each had.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

EDGES_MIN = (
    0,
    5,
    10,
    15,
    20,
    30,
    45,
    60,
    90,
    120,
    180,
    240,
    360,
    480,
    720,
    1080,
    1440,
    2160,
    2880,
    4320,
    7200,
    10080,
)
"""Upper edges of the delay buckets in minutes (the first holds records received before
or as the incident ended)."""
WIDTHS = (2, 24)
"""Classes of a record's time span, in whole clock hours (the alert windows' lengths)."""
LONG = "long"
LATE = "late"
"""The bucket of records received more than a week after the incident."""
FIELD_SEP = "|"
MIN_RECORDS = 30
"""Fewer records of a group in the histograms than this: its delays are not known, and
everything is taken to have arrived (no correction)."""

Completeness = Callable[[float], float]
"""Lag in hours since an incident -> the share of such incidents received by then."""


def bucket_of(received: datetime, occurred_end: datetime) -> str:
    """The histogram bucket of one record's delay."""
    minutes = (received - occurred_end).total_seconds() / 60
    at = bisect.bisect_left(EDGES_MIN, minutes)
    return LATE if at >= len(EDGES_MIN) else str(EDGES_MIN[at])


def width_of(hours: int) -> str:
    """The class of a record spanning ``hours`` whole clock hours."""
    return next((str(w) for w in WIDTHS if hours <= w), LONG)


def delay_field(category: str, width: str, bucket: str) -> str:
    return FIELD_SEP.join((category, width, bucket))


def parse_field(name: str) -> tuple[str, str, str] | None:
    parts = name.split(FIELD_SEP)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


def arrived_by(counts: Mapping[str, int]) -> Completeness | None:
    """The share of records received within a lag (hours), from one histogram (bucket ->
    records); None when it holds fewer than ``MIN_RECORDS``."""
    total = sum(counts.values())
    if total < MIN_RECORDS:
        return None
    cumulative = []
    running = 0
    for edge in EDGES_MIN:
        running += counts.get(str(edge), 0)
        cumulative.append(running / total)
    hours = [edge / 60 for edge in EDGES_MIN]

    def share(lag_hours: float) -> float:
        if lag_hours <= 0:
            return cumulative[0]
        at = bisect.bisect_left(hours, lag_hours)
        if at >= len(hours):
            return cumulative[-1]
        lo_h, hi_h = hours[at - 1], hours[at]
        lo, hi = cumulative[at - 1], cumulative[at]
        return lo + (hi - lo) * (lag_hours - lo_h) / (hi_h - lo_h)

    return share


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Delay histograms by category and width (bucket -> records), summed over recent
    days."""

    by_category: Mapping[tuple[str, str], Mapping[str, int]]

    @classmethod
    def of(cls, days: Iterable[Mapping[str, int]]) -> Arrivals:
        """From the raw ``category|width|bucket`` -> records hashes of several days."""
        found: dict[tuple[str, str], Counter[str]] = {}
        for day in days:
            for name, n in day.items():
                parsed = parse_field(name)
                if parsed is not None and n > 0:
                    category, width, bucket = parsed
                    found.setdefault((category, width), Counter())[bucket] += n
        return cls(found)

    def for_categories(self, categories: Iterable[str], hours: int) -> Completeness | None:
        """The completeness of a group of categories in a window of ``hours``: of their
        records whose time fits in it (histograms summed)."""
        widths = {str(w) for w in WIDTHS if w <= hours}
        summed: Counter[str] = Counter()
        for category in categories:
            for width in widths:
                summed.update(self.by_category.get((category, width), {}))
        return arrived_by(summed)
