"""Plans one batch's Redis effects in memory (pure): which records change, the net deltas
per hash field (each field touched once per batch), expiries, ticker and statistics. A plan
names what it touches by parts (record keys, ``aggregates.hashes`` names, references, day
indexes, sources); the writer has ``store.keys`` spell them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import orjson

from aggregates.buckets import DAY, HOUR, Bucket, bounds, hour_start
from aggregates.config import AggregationConfig
from aggregates.contributions import Changes, add_change
from aggregates.delays import bucket_of, delay_field, width_of
from aggregates.inputs import AggInput, Doc, from_canonical, parse_time
from aggregates.nearby import RETENTION_DAYS as NEARBY_RETENTION_DAYS
from aggregates.nearby import GeoKey, geo_score, indexed, point_of, week_end_s
from aggregates.nearby import member as geo_member
from aggregates.repeats import DayIndex, Reference, day_entries, memberships
from geography.areas import Areas
from operations.zones import Operations
from schemas.categories import ACTIVITY_KINDS, RecordStatus
from schemas.outcomes import Outcome

DAY_S = 86400
NO_OPERATIONS = Operations()
STATE_SEP = "\t"


@dataclass(frozen=True, slots=True)
class Stored:
    """A record's state in Redis: the version applied and what it contributes."""

    version: int
    contribution: AggInput | None

    @classmethod
    def parse(cls, raw: bytes | str | None) -> Stored | None:
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else raw
        version, _, body = text.partition(STATE_SEP)
        return cls(int(version), AggInput.decode(body) if body else None)

    def encode(self) -> str:
        body = self.contribution.encode() if self.contribution else ""
        return f"{self.version}{STATE_SEP}{body}"


@dataclass
class BatchPlan:
    generation: str = "0"
    live: bool = True
    records: list[tuple[str, str, str]] = field(default_factory=list)  # name, expected, state
    changes: Changes = field(default_factory=dict)  # (group, hash field) -> delta
    day_index: dict[DayIndex, dict[str, int]] = field(default_factory=dict)  # reference -> delta
    ticker: list[tuple[str, int, str]] = field(default_factory=list)
    maxima: dict[tuple[str, str], int] = field(default_factory=dict)  # (source, field)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (outcome, source)
    zsets: dict[tuple[Reference, str], int | None] = field(default_factory=dict)  # None: remove
    ticker_from_ms: int = 0  # versions received earlier get no ticker row
    delays: dict[str, Counter[str]] = field(default_factory=dict)  # day -> delay field -> n
    geo: dict[tuple[GeoKey, str], int | None] = field(default_factory=dict)  # None: remove


def latest_versions(docs: list[Doc]) -> tuple[dict[str, Doc], Counter[tuple[str, str]]]:
    """Per record the highest version in the batch; the others as (outcome, source) counts."""
    best: dict[str, Doc] = {}
    for doc in docs:
        known = best.get(doc["record_key"])
        if known is None or doc["version"] > known["version"]:
            best[doc["record_key"]] = doc
    superseded: Counter[tuple[str, str]] = Counter()
    for doc in docs:
        top = best[doc["record_key"]]
        if doc is not top:
            outcome = Outcome.DUPLICATE if doc["version"] == top["version"] else Outcome.STALE
            superseded[outcome, doc["source"]] += 1
    return best, superseded


class Planner:
    def __init__(self, config: AggregationConfig, areas: Areas, ticker_length: int = 200) -> None:
        self.config = config
        self.areas = areas
        self.ticker_length = ticker_length

    def plan(
        self,
        events: dict[str, Doc],
        stored: dict[str, Stored | None],
        generation: str,
        live: bool = True,
        operations: Operations = NO_OPERATIONS,
    ) -> BatchPlan:
        """Plan a batch; ``live=False`` (rebuild) skips the ticker and freshness.
        ``operations``: those the generation counts (their zones are areas of the records
        in them)."""
        plan = BatchPlan(generation=generation, live=live)
        if live:
            plan.ticker_from_ms = self._ticker_threshold(events)
        for record_key, event in events.items():
            self._plan_one(plan, event, stored.get(record_key), operations)
        return plan

    def _ticker_threshold(self, events: dict[str, Doc]) -> int:
        """Received time (ms) below which a version of this batch cannot be among the ticker's
        newest rows after it (the batch itself holds that many newer ones), so its row is not
        built; a row it replaces is older still and is trimmed. Removals are always sent."""
        if len(events) <= self.ticker_length:
            return 0
        received = sorted(
            (_ms(parse_time(doc["data"]["received_at"])) for doc in events.values()),
            reverse=True,
        )
        return received[self.ticker_length - 1]

    def _plan_one(
        self, plan: BatchPlan, doc: Doc, old: Stored | None, operations: Operations
    ) -> None:
        source, version, record_key = doc["source"], doc["version"], doc["record_key"]
        if old is not None and old.version >= version:
            duplicate = old.version == version
            plan.outcomes[Outcome.DUPLICATE if duplicate else Outcome.STALE, source] += 1
            return
        cancelled = doc.get("status") == RecordStatus.CANCELLED.value
        new = None if cancelled else from_canonical(doc, self.areas)
        if new is not None and operations:
            loc = doc["data"].get("location", {})
            new = operations.place(new, loc.get("lat"), loc.get("lon"))
        before = old.contribution if old else None
        add_change(plan.changes, before, new, self.config)
        self._repeats(plan, record_key, before, new)
        point = point_of(doc["data"].get("location")) if new is not None else None
        self._nearby(plan, record_key, before, new, point)
        expected = "" if old is None else str(old.version)
        plan.records.append((record_key, expected, Stored(version, new).encode()))
        plan.outcomes[_outcome(old, cancelled), source] += 1
        if plan.live:
            if new is not None and not new.areas:  # outside the partnership and the wider area
                plan.outcomes[Outcome.OUT_OF_AREA, source] += 1  # kept, counted in no area of ours
            self._ticker_and_freshness(plan, doc, new, first=old is None)

    def _repeats(
        self, plan: BatchPlan, record_key: str, old: AggInput | None, new: AggInput | None
    ) -> None:
        added = memberships(record_key, new)
        kept = {(reference, member) for reference, member, _ in added}
        for reference, member, _ in memberships(record_key, old):
            if (reference, member) not in kept:
                plan.zsets[reference, member] = None
        for reference, member, score in added:
            plan.zsets[reference, member] = score
        for sign, inp in ((1, new), (-1, old)):
            for (day, ref), n in day_entries(inp).items():
                fields = plan.day_index.setdefault(day, {})
                fields[ref] = fields.get(ref, 0) + sign * n

    def _nearby(
        self,
        plan: BatchPlan,
        record_key: str,
        old: AggInput | None,
        new: AggInput | None,
        point: tuple[float, float] | None,
    ) -> None:
        """The record's move in the geo index (``aggregates.nearby``): only records whose
        time is known to within ``MAX_SPAN_HOURS`` are indexed."""
        added = (
            geo_member(record_key, new)
            if new is not None and point is not None and indexed(new)
            else None
        )
        gone = geo_member(record_key, old) if old is not None else None
        if gone is not None and gone != added:
            plan.geo[gone] = None
        if added is not None and point is not None:
            plan.geo[added] = geo_score(*point)

    def geo_expiry(self, week: str) -> int:
        """Unix time at which a week's geo set may go."""
        return week_end_s(week) + NEARBY_RETENTION_DAYS * DAY_S

    @property
    def _hourly_s(self) -> int:
        return self.config.hourly_retention_days * DAY_S

    def repeat_expiry(self, hour: int) -> int:
        """Unix time until which a reference's sorted set is kept (hourly retention)."""
        return int(hour_start(hour).timestamp()) + self._hourly_s

    def _ticker_and_freshness(
        self, plan: BatchPlan, doc: Doc, new: AggInput | None, first: bool
    ) -> None:
        """The ticker row (the partnership's records only: another borough's is counted in
        the wider area, never listed), the freshness maxima, the late counter and, for a
        record's first arrival in an area of the partnership, its reporting delay
        (``aggregates.delays``)."""
        source, data = doc["source"], doc["data"]
        received = parse_time(data["received_at"])
        received_ms = _ms(received)
        if doc["type"] in ACTIVITY_KINDS:  # police activity is not an incident
            pass
        elif new is None or not new.in_partnership:  # cancelled, or none of ours: not listed
            plan.ticker.append((doc["record_key"], received_ms, ""))
        elif received_ms >= plan.ticker_from_ms:
            row = orjson.dumps(ticker_row(doc, dict(new.areas).get("ward"))).decode()
            plan.ticker.append((doc["record_key"], received_ms, row))
        end = parse_time(data["occurred"].get("end") or data["occurred"]["start"])
        if (received - end).total_seconds() > self.config.grace_s(source):
            plan.outcomes[Outcome.LATE, source] += 1
        if first and new is not None and new.in_partnership and doc["type"] not in ACTIVITY_KINDS:
            day = plan.delays.setdefault(received.strftime("%Y%m%d"), Counter())
            width = width_of(new.span.end - new.span.start)
            day[delay_field(data["category"], width, bucket_of(received, end))] += 1
        for name, value in (
            ("received_ms", received_ms),
            ("event_ms", int(end.timestamp() * 1000)),
        ):
            plan.maxima[source, name] = max(plan.maxima.get((source, name), 0), value)

    def expiry(self, grain: str, bucket: str) -> int | None:
        """Unix time at which a total or detail hash of a bucket may go (None: kept)."""
        if grain == HOUR:
            return _end_s(grain, bucket) + self._hourly_s
        if grain == DAY:
            return _end_s(grain, bucket) + self.config.daily_retention_days * DAY_S
        return None

    def day_index_expiry(self, day: str) -> int:
        """Unix time at which a day's index of references may go: kept as long as hourly
        data."""
        return _end_s(DAY, day) + self._hourly_s


@lru_cache(maxsize=65536)
def _end_s(grain: str, bucket: str) -> int:
    """Unix time at which an hour or day bucket ends."""
    return int(hour_start(bounds(Bucket(grain, bucket))[1]).timestamp())


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _outcome(old: Stored | None, cancelled: bool) -> Outcome:
    if cancelled:
        return Outcome.CANCELLED
    return Outcome.COUNTED if old is None else Outcome.CORRECTED


def ticker_row(doc: Doc, ward: str | None) -> dict[str, object]:
    """The aggregate-safe summary the latest-incidents ticker shows (no references);
    ``ward`` is the resolved ward (the record's own, or its LSOA's)."""
    data = doc["data"]
    loc = data.get("location", {})
    occurred = data["occurred"]
    return {
        "kind": doc["type"],
        "source": doc["source"],
        "category": data["category"],
        "ward": ward,
        "lsoa": loc.get("lsoa_code"),
        "place": loc.get("place"),
        "location_type": loc.get("location_type"),
        "occurred_start": parse_time(occurred["start"]).isoformat(),
        "occurred_end": parse_time(occurred["end"]).isoformat() if occurred.get("end") else None,
        "received_at": parse_time(data["received_at"]).isoformat(),
        "domestic_abuse": bool(data.get("flags", {}).get("domestic_abuse")),
        "version": doc["version"],
    }
