"""Typed read API over the Redis layout, for the dashboard, ``safer query`` and consumers.

Synchronous (redis-py), never imports faust. Every method reads in one round trip (repeats in
two: ``store.read_scripts``), plus one when a rebuild has swapped the live generation in
since this Redis client last looked. A reader is scoped to local authorities (its
partnership's): aggregate hashes are sharded by authority, so what a read costs depends on
the partnership, not on how much else Redis holds; the same hash of several authorities is
read once each and merged.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from redis import Redis

from aggregates.buckets import ALL_BUCKET, MONTH, Bucket, day_of, month_of
from aggregates.contributions import PROFILE
from aggregates.delays import Arrivals
from aggregates.hashes import HashName, all_time, totals
from aggregates.hour_of_week import HOURS_PER_WEEK, PROFILE_SCALE
from aggregates.periods import WEEK_HOURS, YEAR_EARLIER_HOURS
from geography.areas import load_areas
from safer.settings import Settings
from schemas.categories import CATEGORY_SOURCE, Source
from store.generation import ran
from store.keys import CELL_SEP, Keys, split_field
from store.read_scripts import ReadScripts, Request
from store.replies import int_map, json_row, ms_time, number, text
from store.simulated import SimulatedHistory, history_of

_SOURCE_OF = {category: source.value for category, source in CATEGORY_SOURCE.items()}
REPEAT_KINDS = ("caller", "address")


@dataclass(frozen=True, slots=True)
class CountRow:
    """All-time count of an area (a ward from ``counts``; a local authority in a
    ``LiveSnapshot``) and category."""

    source: str
    area: str
    category: str
    count: int


@dataclass(frozen=True, slots=True)
class Freshness:
    """Per source: the latest arrival and the latest event time."""

    source: str
    latest_received: datetime | None
    latest_event: datetime | None


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    counts: tuple[CountRow, ...]
    latest: tuple[dict[str, Any], ...]
    outcomes: dict[str, int]
    deadletters: dict[str, int]
    freshness: tuple[Freshness, ...]
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    simulated: SimulatedHistory | None = None
    """The simulated history the log holds (``store.simulated``), if any."""

    def total_by(self, dimension: str) -> Counter[str]:
        """Sum of counts by 'source', 'area' (local authority) or 'category'."""
        totals: Counter[str] = Counter()
        for row in self.counts:
            totals[getattr(row, dimension)] += row.count
        return totals

    @property
    def total(self) -> int:
        return sum(row.count for row in self.counts)


@dataclass(slots=True)
class WindowRow:
    """One (area, category[, value]) of a window. Not frozen: a frozen dataclass is built 4×
    slower, and a combined authority's refresh builds tens of thousands; treat it as read-only."""

    area: str
    category: str
    value: str
    count: int
    unplaced: int

    @property
    def source(self) -> str:
        return _SOURCE_OF.get(self.category, "")


@dataclass(frozen=True, slots=True)
class WindowFigures:
    """Counts in [start, end) (epoch hours) and in the same window 364 days earlier."""

    level: str
    breakdown: str
    start: int
    end: int
    rows: tuple[WindowRow, ...]
    year_earlier: tuple[WindowRow, ...]


def partnership_authorities(settings: Settings) -> tuple[str, ...]:
    """The local authorities of the configured partnership (``SAFER_PARTNERSHIP``): the
    aggregate shards its readers read."""
    return tuple(load_areas(settings.partnership).authority_names)


class StoreReader:
    def __init__(self, redis: Redis, keys: Keys, authorities: Sequence[str]) -> None:
        if not authorities:
            raise ValueError("a reader needs the local authorities it reads (none given)")
        self._redis = redis
        self._keys = keys
        self._authorities = tuple(authorities)
        self._scripts = ReadScripts(redis, keys, self._authorities)

    @classmethod
    def of(cls, redis: Redis, settings: Settings) -> StoreReader:
        """A reader of the configured deployment: its prefix and its partnership's
        authorities."""
        return cls(redis, Keys(settings.redis_prefix), partnership_authorities(settings))

    def hashes(self, names: list[HashName]) -> tuple[str, list[dict[str, int]]]:
        """Live generation and the named aggregate hashes (authority-less names,
        ``aggregates.hashes``), merged over the reader's authorities, in one call."""
        distinct = list(dict.fromkeys(names))
        scripts = self._scripts

        def read(generation: str) -> tuple[str, list[dict[str, int]]]:
            replies = ran(scripts.hashes(distinct, generation, self._redis))
            return generation, scripts.merged(names, distinct, replies)

        return scripts.in_live(read)

    def counts(self) -> list[CountRow]:
        """All-time live counts per ward and category."""
        return _count_rows(self.hashes([all_time("ward")])[1][0])

    def live_snapshot(self, latest: int = 50) -> LiveSnapshot:
        """Counts, latest incidents, outcome counters and freshness in one round trip."""
        return self.live_view(latest, "ward", [])[0]

    def live_view(
        self,
        latest: int,
        level: str,
        spans: list[tuple[int, int]],
        breakdown: str = "cat",
        unplaced: bool = True,
    ) -> tuple[LiveSnapshot, list[tuple[WindowRow, ...]]]:
        """The live snapshot and the rows of several windows (``windows``), together in one
        round trip: what the Live page reads on every refresh."""
        # all-time totals per authority (not per ward: the same sums, a 20th of the fields)
        names = [all_time("borough")]
        requests = [(level, span) for span in spans]
        read_once = list(dict.fromkeys(requests))

        def read(generation: str) -> list[Any]:
            k, scripts = self._keys, self._scripts
            pipe = self._redis.pipeline(transaction=False)
            scripts.hashes(names, generation, pipe)
            scripts.windows(read_once, breakdown, unplaced, generation, pipe)
            pipe.zrevrange(k.latest, 0, latest - 1)
            pipe.hgetall(k.latest_data)
            pipe.hgetall(k.outcomes)
            pipe.hgetall(k.deadletters)
            pipe.hgetall(k.simulated_history)
            for source in Source:
                pipe.hmget(k.freshness(source.value), "received_ms", "event_ms")
            hashes, windows, *rest = pipe.execute()
            return [ran(hashes), ran(windows), *rest]

        hashes, windows, order, rows, outcomes, dead, simulated, *fresh = self._scripts.in_live(
            read
        )
        (counts,) = self._scripts.merged(names, names, hashes)
        data = {text(key): value for key, value in rows.items()}
        found = (json_row(data[text(m)]) for m in order if text(m) in data)
        latest_rows = tuple(row for row in found if row is not None)
        snapshot = LiveSnapshot(
            counts=tuple(_count_rows(counts)),
            latest=latest_rows,
            outcomes=int_map(outcomes),
            deadletters=int_map(dead),
            freshness=tuple(
                Freshness(source.value, ms_time(f[0]), ms_time(f[1]))
                for source, f in zip(Source, fresh, strict=True)
            ),
            simulated=history_of(simulated),
        )
        return snapshot, _spans_rows(requests, read_once, windows, unplaced)

    def window(self, level: str, start: int, end: int, breakdown: str = "cat") -> WindowFigures:
        """Exact counts (and unplaced) per area, category and value for a window and the same
        window 364 days earlier, in one round trip. Bounds are epoch hours."""
        shift = YEAR_EARLIER_HOURS
        now, earlier = self.windows(level, [(start, end), (start - shift, end - shift)], breakdown)
        return WindowFigures(level, breakdown, start, end, now, earlier)

    def windows(
        self,
        level: str,
        spans: list[tuple[int, int]],
        breakdown: str = "cat",
        unplaced: bool = True,
    ) -> list[tuple[WindowRow, ...]]:
        """Rows for several windows (epoch-hour bounds) in one round trip, summed inside
        Redis (``read_windows.lua``); without ``unplaced``, events that only overlap a window
        are left out (rows with a count only: less to read when nobody shows them)."""
        return self.level_windows([(level, span) for span in spans], breakdown, unplaced)

    def level_windows(
        self,
        requests: list[Request],
        breakdown: str = "cat",
        unplaced: bool = True,
    ) -> list[tuple[WindowRow, ...]]:
        """Rows of several (level, window) pairs in one round trip (``windows``)."""
        distinct = list(dict.fromkeys(requests))
        scripts = self._scripts

        def read(generation: str) -> list[Any]:
            return ran(scripts.windows(distinct, breakdown, unplaced, generation, self._redis))

        return _spans_rows(requests, distinct, scripts.in_live(read), unplaced)

    def bucket_totals(
        self, level: str, buckets: list[Bucket], breakdown: str = "cat"
    ) -> list[tuple[WindowRow, ...]]:
        """Per day or month bucket, the rows of the events wholly inside it (their home lies
        inside: a month-only police record is in its month, in none of its days) — the
        points of a trend series, in one round trip. Cheaper than ``windows`` for whole
        buckets: no partial-home details are read."""
        maps = self.hashes([totals(b, level, breakdown) for b in buckets])[1]
        return [_window_rows([x for name, n in f.items() if n for x in (name, n)], 2) for f in maps]

    def profile(
        self, level: str, start: int | None = None, end: int | None = None
    ) -> dict[tuple[str, str], tuple[float, ...]]:
        """Aoristic hour-of-week profile (168 values, in events) per (area, category): all
        time, or the whole local months overlapping [start, end) (one round trip)."""
        if start is None or end is None:
            names = [totals(ALL_BUCKET, level, PROFILE)]
        else:
            months = sorted({month_of(h) for h in range(start, end, 24)} | {month_of(end - 1)})
            names = [totals(Bucket(MONTH, m), level, PROFILE) for m in months]
        sums: dict[tuple[str, str], list[int]] = {}
        for weights in self.hashes(names)[1]:
            for name, weight in weights.items():
                area, category, how = (*split_field(name), "", "")[:3]
                hour = number(how)
                if hour is not None and 0 <= hour < HOURS_PER_WEEK:
                    sums.setdefault((area, category), [0] * HOURS_PER_WEEK)[hour] += weight
        return {key: tuple(w / PROFILE_SCALE for w in values) for key, values in sums.items()}

    def repeats(
        self, level: str, start: int, end: int, kinds: tuple[str, ...] = REPEAT_KINDS
    ) -> dict[tuple[str, str], RepeatCounts]:
        """Restricted (analyst role): per (kind, area), how many pseudonymised callers or
        addresses were seen at least twice / three times in [start, end) — counts only,
        never the references (two round trips: ``store.read_scripts``)."""
        days = sorted({day_of(h) for h in range(start, end, 24)} | {day_of(end - 1)})
        flat = self._scripts.repeats(level, (start, end), kinds, days)
        return {
            (text(flat[i]), text(flat[i + 1])): RepeatCounts(int(flat[i + 2]), int(flat[i + 3]))
            for i in range(0, len(flat), 4)
        }

    def arrivals(self, until: datetime, days: int) -> Arrivals:
        """The reporting delays of the records first received in the ``days`` UTC days up
        to ``until`` (``aggregates.delays``), in one round trip."""
        pipe = self._redis.pipeline(transaction=False)
        for back in range(days):
            pipe.hgetall(self._keys.delays(f"{until - timedelta(days=back):%Y%m%d}"))
        return Arrivals.of(int_map(raw) for raw in pipe.execute())

    def baseline(self, level: str, start: int, end: int, weeks: int) -> Baselines:
        """What is normal for this window, in one round trip: per (area, category), the
        counts of the same hour-of-week window in each of the previous ``weeks`` weeks; and
        per source, its events in the partnership in each of those weeks' spans and in the
        current one (``Baselines.activity``: which weeks the feeds covered,
        ``aggregates.unusual.covered_weeks``). A week's span is its window, or the week up
        to its window's end when the window is shorter (a day's incidents can be none)."""
        past = [(start - w * WEEK_HOURS, end - w * WEEK_HOURS) for w in range(1, weeks + 1)]
        first = min(start, end - WEEK_HOURS)
        spans = [(first - w * WEEK_HOURS, end - w * WEEK_HOURS) for w in range(weeks + 1)]
        requests = [(level, span) for span in past] + [("borough", span) for span in spans]
        found = self.level_windows(requests, unplaced=False)
        per_week: dict[tuple[str, str], list[int]] = {}
        for index, rows in enumerate(found[:weeks]):
            for row in rows:
                per_week.setdefault((row.area, row.category), [0] * weeks)[index] += row.count
        activity = {source.value: [0] * (weeks + 1) for source in Source}
        for index, rows in enumerate(found[weeks:]):
            for row in rows:
                if row.source:
                    activity[row.source][index] += row.count
        return Baselines(
            {key: Baseline.of(counts) for key, counts in per_week.items()},
            {source: tuple(counts) for source, counts in activity.items()},
        )


@dataclass(frozen=True, slots=True)
class Baselines:
    """A window's baseline (``StoreReader.baseline``): per (area, category) the counts of
    the previous weeks, and per source its partnership-wide events in the current week's
    span (index 0) and each past week's (1..n)."""

    cells: dict[tuple[str, str], Baseline]
    activity: dict[str, tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class RepeatCounts:
    """References (callers or addresses) seen at least twice, and three or more times."""

    twice: int
    three_times: int


@dataclass(frozen=True, slots=True)
class Baseline:
    """Mean and (population) standard deviation of a window's count over past weeks; how
    unusual a count is against it is ``aggregates.unusual.how_unusual``."""

    weeks: tuple[int, ...]
    mean: float
    stdev: float

    @classmethod
    def of(cls, counts: list[int]) -> Baseline:
        """Of no weeks at all (none covered): mean and spread 0."""
        # plain floats: ``statistics.pstdev`` is exact (fractions) and far slower, and a
        # page computes a baseline per ward and category on every read
        if not counts:
            return cls((), 0.0, 0.0)
        mean = sum(counts) / len(counts)
        spread = math.sqrt(sum((n - mean) ** 2 for n in counts) / len(counts))
        return cls(tuple(counts), mean, spread)


def _window_rows(flat: list[Any], step: int = 3) -> tuple[WindowRow, ...]:
    """A window of ``read_windows.lua`` (field, count[, unplaced], …) as sorted rows. Hot
    path: a combined authority's refresh parses tens of thousands of rows."""
    found = []
    fields = [text(name).split(CELL_SEP) for name in flat[::step]]
    counts = flat[1::step]
    outside = flat[2::step] if step == 3 else [0] * len(counts)
    for parts, n, out in zip(fields, counts, outside, strict=True):
        found.append((parts[0], parts[1], parts[2] if len(parts) > 2 else "", int(n), int(out)))
    found.sort()  # by area, category, value
    return tuple(WindowRow(*row) for row in found)


def _spans_rows(
    requests: list[Request], distinct: list[Request], replies: list[Any], unplaced: bool
) -> list[tuple[WindowRow, ...]]:
    """The rows of each (level, window) asked for, from the replies of the distinct ones."""
    step = 3 if unplaced else 2
    rows = {key: _window_rows(flat, step) for key, flat in zip(distinct, replies, strict=True)}
    return [rows[key] for key in requests]


def _count_rows(raw: dict[Any, Any]) -> list[CountRow]:
    rows = []
    for name, value in raw.items():
        area, category = (*split_field(text(name)), "")[:2]
        n = number(value)
        if n is not None and n > 0:
            rows.append(CountRow(_SOURCE_OF.get(category, ""), area, category, n))
    return sorted(rows, key=lambda r: (r.source, r.area, r.category))
