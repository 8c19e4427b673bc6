"""Time-of-day × day-of-week profiles by aoristic weighting, in integer fixed point.

An event whose time is known only as an interval is spread evenly over the whole hours of
its span — never put at the midpoint. One event weighs ``PROFILE_SCALE``; its weight is
split across (local month, hour of week) cells in whole units, deterministically (largest
remainder, ties by cell), so the cells of an event always sum to exactly ``PROFILE_SCALE``,
a retraction subtracts exactly what was added and a rebuild is byte-identical.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from aggregates.buckets import Span, hour_start, month_of
from schemas import calendar

PROFILE_SCALE = 1_000_000
HOURS_PER_WEEK = 168


@lru_cache(maxsize=65536)
def hour_of_week(hour: int) -> int:
    """Local hour of the week (``schemas.calendar``) of an epoch hour, cached."""
    return calendar.hour_of_week(hour_start(hour))


@lru_cache(maxsize=4096)
def aoristic(span: Span) -> tuple[tuple[str, str, int], ...]:
    """(local month, hour of week as text, weight) cells of one event, by month; weights sum
    to the scale."""
    hours: Counter[tuple[str, int]] = Counter(
        (month_of(h), hour_of_week(h)) for h in range(span.start, span.end)
    )
    total = span.end - span.start
    exact = {cell: PROFILE_SCALE * n / total for cell, n in hours.items()}
    weights = {cell: int(value) for cell, value in exact.items()}
    short = PROFILE_SCALE - sum(weights.values())
    for cell in sorted(exact, key=lambda c: (weights[c] - exact[c], c))[:short]:
        weights[cell] += 1
    return tuple((month, str(how), w) for (month, how), w in sorted(weights.items()) if w)
