"""What the spike model reads (``alerts.model``), from the aggregates through the store's
read API: the windows' counts now, and — once per clock hour — each area's weekly totals,
the same windows in the trailing weeks, and the hour-of-week profiles.

Everything is an aggregate the engine keeps exact, so duplicates, corrections (an incident
corrected out of a ward leaves that ward's count), cancellations and late records are
followed with no state of the alerts' own, and a rebuild changes nothing. Which weeks the
feeds covered is the Live page's rule (``aggregates.unusual.covered_weeks``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aggregates.buckets import month_of
from aggregates.delays import Completeness
from aggregates.hour_of_week import HOURS_PER_WEEK
from aggregates.unusual import History, covered_weeks
from alerts.groups import AlertGroup, group_counts
from alerts.model import (
    WINDOW_HOURS,
    WINDOWS,
    AreaHistory,
    ModelConfig,
    Span,
    SpikeTest,
    adjust,
    span_at,
    week_spans,
    window_tests,
)
from store.reader import StoreReader, WindowRow

LEVELS = ("borough", "ward")
Profiles = dict[tuple[str, str], tuple[float, ...]]
"""(area, category) -> 168 hour-of-week weights (``StoreReader.profile``)."""
Rows = tuple[WindowRow, ...]
UNCOVERED_REREAD = timedelta(seconds=60)
DELAY_DAYS = 28
"""Days of measured reporting delays the expected counts use (``aggregates.delays``)."""
WEEKLY = "week"
"""The label of the trailing weeks' totals among the series read (``_series``)."""


def _quads(rows: Rows) -> list[tuple[str, str, str, int]]:
    return [(r.area, r.category, r.value, r.count) for r in rows]


@dataclass(frozen=True, slots=True)
class Histories:
    """Per (level, group): each area's history per window kind, and the pooled profile;
    how many trailing weeks the feeds covered."""

    end: int
    areas: dict[tuple[str, str, str], dict[str, AreaHistory]]
    """(level, group, window) -> area -> history."""
    pooled: dict[str, tuple[float, ...]]
    """group -> the partnership's hour-of-week profile."""
    covered: int
    arrived: dict[tuple[str, str], Completeness | None] = field(default_factory=dict)
    """(group, window) -> its reporting delays (None: too few records measured)."""
    read_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One evaluation: every test (adjusted), and the history it had."""

    at: datetime
    tests: list[SpikeTest]
    covered: int
    needed: int

    @property
    def enough(self) -> bool:
        return History(self.covered, self.needed).enough


@dataclass(slots=True)
class AlertInputs:
    reader: StoreReader
    groups: Sequence[AlertGroup]
    areas: dict[str, tuple[str, ...]]
    """level -> its area codes (wards, authorities)."""
    config: ModelConfig = field(default_factory=ModelConfig)
    _history: Histories | None = None
    _profile_cache: tuple[tuple[str, str, str], dict[str, Profiles]] | None = None

    @property
    def breakdowns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.breakdown for g in self.groups))

    def evaluate(self, now: datetime) -> Evaluation:
        """Every spike test at ``now`` (none without enough history)."""
        history = self.history(now)
        needed = self.config.weeks
        if history.covered < needed:
            return Evaluation(now, [], history.covered, needed)
        spans = {kind: span_at(kind, now) for kind in WINDOWS}
        observed = self._observed(spans)
        tests: list[SpikeTest] = []
        for (level, slug, kind), histories in history.areas.items():
            counts = observed.get((level, slug, kind), {})
            tests += window_tests(
                level,
                slug,
                spans[kind],
                counts,
                histories,
                history.pooled[slug],
                self.config,
                history.arrived.get((slug, kind)),
            )
        return Evaluation(now, adjust(tests, self.config), history.covered, needed)

    def _observed(self, spans: dict[str, Span]) -> dict[tuple[str, str, str], dict[str, int]]:
        found = self._series(
            {(level, kind): [(s.start, s.end)] for level in LEVELS for kind, s in spans.items()}
        )
        return {
            key: {area: counts[0] for area, counts in cells.items()} for key, cells in found.items()
        }

    def _series(
        self, spans: dict[tuple[str, str], list[tuple[int, int]]]
    ) -> dict[tuple[str, str, str], dict[str, list[int]]]:
        """Per (level, group, label): each area's count of the group in each of the spans
        listed under (level, label), in one round trip per breakdown."""
        found: dict[tuple[str, str, str], dict[str, list[int]]] = {}
        requests = [(level, span) for (level, _), listed in spans.items() for span in listed]
        for breakdown in self.breakdowns:
            groups = [g for g in self.groups if g.breakdown == breakdown]
            rows = iter(self.reader.level_windows(requests, breakdown, unplaced=False))
            for (level, label), listed in spans.items():
                for j in range(len(listed)):
                    quads = _quads(next(rows))
                    for group in groups:
                        cell = found.setdefault((level, group.slug, label), {})
                        for area, n in group_counts(group, quads).items():
                            cell.setdefault(area, [0] * len(listed))[j] += n
        return found

    def history(self, now: datetime) -> Histories:
        """The model's history at ``now``, read again when the clock hour changes — and
        every ``UNCOVERED_REREAD`` while it covers too few weeks (a stack that counts its
        history after the alert job started, or feeds catching up after a gap, would
        otherwise wait for the next hour)."""
        end = span_at("hour", now).end
        known = self._history
        stale = known is None or known.end != end
        if not stale and known is not None and known.covered < self.config.weeks:
            stale = known.read_at is None or (now - known.read_at) >= UNCOVERED_REREAD
        if stale:
            self._history = self._read_history(now, end)
        assert self._history is not None
        return self._history

    def _read_history(self, now: datetime, end: int) -> Histories:
        weeks = self.config.weeks
        week_list = week_spans(now, weeks)
        spans = {kind: span_at(kind, now) for kind in WINDOWS}
        wanted = {(level, WEEKLY): week_list for level in LEVELS}
        for level in LEVELS:
            for kind in WINDOWS:
                wanted[level, kind] = [spans[kind].shifted(j) for j in range(1, weeks + 1)]
        series = self._series(wanted)
        profiles = self._profiles(week_list[-1][0], week_list[0][1])
        pooled = {g.slug: _group_profile(profiles["borough"], g, None) for g in self.groups}
        areas: dict[tuple[str, str, str], dict[str, AreaHistory]] = {}
        for level in LEVELS:
            for group in self.groups:
                totals = series.get((level, group.slug, WEEKLY), {})
                for kind in WINDOWS:
                    counts = series.get((level, group.slug, kind), {})
                    areas[level, group.slug, kind] = {
                        area: AreaHistory(
                            weekly=tuple(totals.get(area, [0] * weeks)),
                            past=tuple(counts.get(area, [0] * weeks)),
                            profile=_group_profile(profiles[level], group, area),
                        )
                        for area in self.areas[level]
                    }
        arrivals = self.reader.arrivals(now, DELAY_DAYS)
        arrived = {
            (g.slug, kind): arrivals.for_categories(g.categories, WINDOW_HOURS[kind])
            for g in self.groups
            for kind in WINDOWS
        }
        return Histories(end, areas, pooled, self._covered(now, weeks), arrived, now)

    def _profiles(self, start: int, end: int) -> dict[str, Profiles]:
        """The hour-of-week profiles of the whole months the trailing weeks overlap, read
        once a day (a profile's shape moves slowly; it is the costliest read)."""
        key = (month_of(start), month_of(end - 1), str(end // 24))
        if self._profile_cache is None or self._profile_cache[0] != key:
            found = {level: self.reader.profile(level, start, end) for level in LEVELS}
            self._profile_cache = (key, found)
        return self._profile_cache[1]

    def _covered(self, now: datetime, weeks: int) -> int:
        """How many of the trailing weeks the feeds covered: the Live page's rule
        (``StoreReader.baseline``'s activity, ``aggregates.unusual.covered_weeks``; the last
        7 days are week 0)."""
        hour = span_at("hour", now)
        activity = self.reader.baseline("borough", hour.start, hour.end, weeks).activity
        return sum(covered_weeks(activity))


def _group_profile(
    profile: dict[tuple[str, str], tuple[float, ...]], group: AlertGroup, area: str | None
) -> tuple[float, ...]:
    """A group's hour-of-week weights in one area (None: summed over every area). Profiles
    are kept by category, so a group narrowed by a dimension (youth) takes its
    categories' rhythm."""
    sums = [0.0] * HOURS_PER_WEEK
    for (where, category), weights in profile.items():
        if category in group.categories and (area is None or where == area):
            for hour, weight in enumerate(weights):
                sums[hour] += weight
    return tuple(sums)
