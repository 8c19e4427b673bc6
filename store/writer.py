"""Idempotent Redis writes of the stream jobs (one atomic script per message, one
pipeline round trip per batch). Replaying any message leaves Redis unchanged."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from schemas.categories import RecordStatus
from schemas.events import IncidentEvent
from store.keys import Keys, count_cell

_HERE = Path(__file__).parent
_APPLY = (_HERE / "apply_incident.lua").read_text()
_OUTCOME = (_HERE / "record_outcome.lua").read_text()
APPLY_RESULTS = {0: "duplicate", 1: "counted", 2: "corrected"}


def _ms(ts: Any) -> int:
    return int(ts.timestamp() * 1000)


def ticker_row(event: IncidentEvent) -> dict[str, Any]:
    """The aggregate-safe summary the latest-incidents ticker shows (no references)."""
    data = event.data
    loc = data.location
    return {
        "kind": event.type.value,
        "source": event.source.value,
        "category": event.category,
        "ward": loc.ward_code,
        "lsoa": loc.lsoa_code,
        "place": loc.place,
        "location_type": loc.location_type.value if loc.location_type else None,
        "occurred_start": data.occurred.start.isoformat(),
        "occurred_end": data.occurred.end.isoformat() if data.occurred.end else None,
        "received_at": data.received_at.isoformat(),
        "domestic_abuse": data.flags.domestic_abuse,
        "version": event.version,
    }


@dataclass(frozen=True, slots=True)
class StageOutcome:
    """One message's fate at a stage, e.g. ('police', 'validated') or a rejection."""

    topic: str
    partition: int
    offset: int
    source: str
    outcome: str
    reason: str | None = None


class StoreWriter:
    def __init__(self, redis: Redis, keys: Keys, latest_length: int) -> None:
        self._redis = redis
        self._keys = keys
        self._latest_length = latest_length
        self._apply = redis.register_script(_APPLY)
        self._outcome = redis.register_script(_OUTCOME)

    async def apply_incidents(self, events: Sequence[IncidentEvent]) -> Counter[str]:
        """Apply a batch; returns how many were counted, corrected or duplicates."""
        if not events:
            return Counter()
        k = self._keys
        async with self._redis.pipeline(transaction=False) as pipe:
            for event in events:
                cancelled = event.status is RecordStatus.CANCELLED
                cell = (
                    ""
                    if cancelled
                    else count_cell(
                        event.source.value, event.data.location.ward_code, event.category
                    )
                )
                received_ms = _ms(event.data.received_at)
                await self._apply(
                    keys=[
                        k.record(event.record_key),
                        k.counts,
                        k.latest,
                        k.latest_data,
                        k.outcomes,
                        k.freshness(event.source.value),
                    ],
                    args=[
                        event.version,
                        cell,
                        event.record_key,
                        json.dumps(ticker_row(event), separators=(",", ":")),
                        received_ms,
                        self._latest_length,
                        event.source.value,
                        received_ms,
                        _ms(event.data.occurred.start),
                    ],
                    client=pipe,
                )
            results = await pipe.execute()
        return Counter(APPLY_RESULTS[int(r)] for r in results)

    async def record_outcomes(self, stage: str, outcomes: Sequence[StageOutcome]) -> int:
        """Count each message's outcome once per offset; returns how many were new."""
        if not outcomes:
            return 0
        k = self._keys
        async with self._redis.pipeline(transaction=False) as pipe:
            for o in outcomes:
                dead = f"{o.reason}|{o.topic}" if o.reason else ""
                await self._outcome(
                    keys=[k.offsets(stage), k.outcomes, k.deadletters],
                    args=[f"{o.topic}|{o.partition}", o.offset, f"{o.outcome}|{o.source}", dead],
                    client=pipe,
                )
            results = await pipe.execute()
        return sum(int(r) for r in results)
