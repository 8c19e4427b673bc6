"""Typed read API over the Redis layout, for the dashboard, ``safer query`` and consumers.

Synchronous (redis-py), never imports faust. ``live_snapshot`` reads everything the live
page shows in one round trip.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis import Redis

from schemas.categories import Source
from store.keys import Keys, split_cell


@dataclass(frozen=True, slots=True)
class CountRow:
    source: str
    ward: str
    category: str
    count: int


@dataclass(frozen=True, slots=True)
class Freshness:
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

    def total_by(self, dimension: str) -> Counter[str]:
        """Sum of counts by 'source', 'ward' or 'category'."""
        totals: Counter[str] = Counter()
        for row in self.counts:
            totals[getattr(row, dimension)] += row.count
        return totals

    @property
    def total(self) -> int:
        return sum(row.count for row in self.counts)


def _decode(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _int_map(raw: dict[Any, Any]) -> dict[str, int]:
    return {_decode(k): int(v) for k, v in raw.items()}


def _ms_time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value) / 1000, UTC)


class StoreReader:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    def counts(self) -> list[CountRow]:
        raw = self._redis.hgetall(self._keys.counts)
        return _count_rows(raw)

    def live_snapshot(self, latest: int = 50) -> LiveSnapshot:
        """Counts, latest incidents, outcome counters and freshness in one round trip."""
        k = self._keys
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(k.counts)
        pipe.zrevrange(k.latest, 0, latest - 1)
        pipe.hgetall(k.latest_data)
        pipe.hgetall(k.outcomes)
        pipe.hgetall(k.deadletters)
        for source in Source:
            pipe.hmget(k.freshness(source.value), "received_ms", "event_ms")
        counts, order, rows, outcomes, dead, *fresh = pipe.execute()
        data = {_decode(key): value for key, value in rows.items()}
        latest_rows = tuple(
            json.loads(data[_decode(member)]) for member in order if _decode(member) in data
        )
        return LiveSnapshot(
            counts=tuple(_count_rows(counts)),
            latest=latest_rows,
            outcomes=_int_map(outcomes),
            deadletters=_int_map(dead),
            freshness=tuple(
                Freshness(source.value, _ms_time(f[0]), _ms_time(f[1]))
                for source, f in zip(Source, fresh, strict=True)
            ),
        )


def _count_rows(raw: dict[Any, Any]) -> list[CountRow]:
    rows = []
    for cell, value in raw.items():
        source, ward, category = split_cell(_decode(cell))
        if int(value) > 0:
            rows.append(CountRow(source, ward, category, int(value)))
    return sorted(rows, key=lambda r: (r.source, r.ward, r.category))
