"""An operation's counts read from its zones' aggregates (``operations.zones``: the ``zone``
level, area ``<slug>.<zone>``), and the progress of a back-fill (the worker rebuilding the
aggregates when an operation is added or edited).

The periods compared are ``operations.periods``'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis import Redis

from aggregates.buckets import DAY, Bucket
from aggregates.config import ZONE_LEVEL
from geography.areas import load_areas
from operations.evaluation import ZoneCounts
from operations.periods import OperationCounts, periods_at
from operations.registry import Registry, Snapshot
from operations.report import assessment
from operations.spec import OperationError
from operations.zones import ResolvedOperation, split_zone_code
from safer.settings import Settings
from store.keys import Keys
from store.reader import StoreReader
from store.replies import text


def read_counts(reader: StoreReader, op: ResolvedOperation, now: datetime) -> OperationCounts:
    """Per zone of the operation, its baseline and operation counts (and unplaced records:
    those overlapping a period without lying inside it, such as police months), in one
    round trip."""
    periods = periods_at(op, now)
    spans = [periods.baseline, periods.operation]
    found = reader.windows(ZONE_LEVEL, [s if s[1] > s[0] else (s[0], s[0] + 1) for s in spans])
    empty = [s[1] <= s[0] for s in spans]
    zones = {z.name: [0, 0, 0, 0] for z in op.zones}
    by_category: dict[str, dict[str, list[int]]] = {z.name: {} for z in op.zones}
    for index, rows in enumerate(found):
        if empty[index]:
            continue
        for row in rows:
            slug, zone = split_zone_code(row.area)
            if slug != op.slug or zone not in zones:
                continue
            zones[zone][index] += row.count
            zones[zone][index + 2] += row.unplaced
            cell = by_category[zone].setdefault(row.category, [0, 0])
            cell[index] += row.count
    return OperationCounts(
        periods,
        {name: ZoneCounts(*values) for name, values in zones.items()},
        {z: {c: (v[0], v[1]) for c, v in cats.items()} for z, cats in by_category.items()},
    )


def read_daily(
    reader: StoreReader, op: ResolvedOperation
) -> dict[str, list[tuple[str, dict[str, int]]]]:
    """Per period (``baseline``, ``operation``), each local day and its count per zone, in
    one round trip: the points of the daily series. Records dated by month only (police.uk)
    are in no day; days past the daily retention read as zero."""
    found: dict[str, list[tuple[str, dict[str, int]]]] = {}
    periods = {"baseline": op.spec.baseline_period, "operation": op.spec.period}
    days = {
        name: [(p.start + timedelta(days=i)).strftime("%Y%m%d") for i in range(p.days)]
        for name, p in periods.items()
    }
    flat = [day for name in periods for day in days[name]]
    rows = reader.bucket_totals(ZONE_LEVEL, [Bucket(DAY, d) for d in flat])
    by_day = dict(zip(flat, rows, strict=True))
    for name in periods:
        series = []
        for day in days[name]:
            counts = {z.name: 0 for z in op.zones}
            for row in by_day[day]:
                slug, zone = split_zone_code(row.area)
                if slug == op.slug and zone in counts:
                    counts[zone] += row.count
            series.append((f"{day[:4]}-{day[4:6]}-{day[6:]}", counts))
        found[name] = series
    return found


def live_evaluation(
    redis: Redis, settings: Settings, slug: str, now: datetime
) -> tuple[dict[str, Any], ResolvedOperation]:
    """An operation's evaluation from the live aggregates (``operations.report.assessment``,
    with its daily series) and the version of it they count; ``OperationError`` when there
    is no such operation or it is not counted yet."""
    latest = Registry(settings.state_dir).latest(slug)
    if latest is None:
        raise OperationError(f"no operation {slug!r}")
    if latest.withdrawn:
        raise OperationError(
            f"{slug} was withdrawn on {latest.saved_at} (`safer operations add` restores it)"
        )
    _, snapshot = live_operations(redis, Keys(settings.redis_prefix))
    counted = next((v for v in snapshot.versions if v.slug == slug), None)
    if counted is None:
        raise OperationError(
            f"{slug} is not counted yet: its back-fill has not run (it runs while the stack is up)"
        )
    op = counted.resolved(load_areas(settings.partnership))
    reader = StoreReader.of(redis, settings)
    counts = read_counts(reader, op, now)
    daily = read_daily(reader, op)
    pending = None
    if counted.version != latest.version:
        pending = (
            f"Version {latest.version} is being back-filled; these figures are of version "
            f"{counted.version}."
        )
    return assessment(op, counts, now, dict(settings.grace_hours), pending, daily), op


def live_operations(redis: Redis, keys: Keys) -> tuple[str, Snapshot]:
    """The live generation and the operations it counts."""
    generation = text(redis.get(keys.generation_pointer) or b"0")
    return generation, Snapshot.decode(redis.get(keys.operations(generation)))


@dataclass(frozen=True, slots=True)
class Backfill:
    """A back-fill's progress as the worker reports it (``store.keys``: ``backfill``)."""

    digest: str
    state: str  # running | done | failed
    done: int
    total: int
    started_at: str
    detail: str = ""

    @classmethod
    def read(cls, redis: Redis, keys: Keys) -> Backfill | None:
        raw: dict[bytes, bytes] = redis.hgetall(keys.backfill)  # type: ignore[assignment]
        if not raw:
            return None
        data = {text(k): text(v) for k, v in raw.items()}
        return cls(
            digest=data.get("digest", ""),
            state=data.get("state", ""),
            done=int(data.get("done", "0") or 0),
            total=int(data.get("total", "0") or 0),
            started_at=data.get("started_at", ""),
            detail=data.get("detail", ""),
        )

    def fields(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "started_at": self.started_at,
            "detail": self.detail,
        }


def now_utc() -> datetime:
    return datetime.now(UTC)
