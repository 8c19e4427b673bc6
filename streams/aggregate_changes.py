"""Job ``aggregate_changes``: the aggregate change stream (``safer.aggregates.v1``).

Every applied batch records the day and hour cells it changed in the outbox, in the same
script as the counts (``store.batch_arguments``); this leader-only timer, every
``SAFER_AGGREGATES_INTERVAL_S``, reads the changed cells with their absolute counts and a
new version (``store.aggregate_outbox``), publishes them (key: the cell, so the compacted
topic keeps each cell's latest count) and removes from the outbox only what the broker
acknowledged and did not change again meanwhile. Hour cells older than 48 hours are
dropped unsent (the stream carries hours for the last 48 hours only; the outbox does not
take them either). A crash repeats at
most one chunk, with a higher version: a consumer keeping the highest version per cell
converges to the store's counts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis

from bus.produce import BatchSender, aiokafka_of
from safer.settings import Settings
from schemas.aggregates import AggregateChange
from schemas.topics import Topics
from store.aggregate_outbox import AggregateOutbox
from store.keys import Keys

if TYPE_CHECKING:
    import faust

log = logging.getLogger(__name__)
HOURS_KEPT = timedelta(hours=48)
CHUNK = 1000
CHUNKS_A_TICK = 10
"""At most 10,000 cells a tick: a simulated history's backlog drains over a few ticks, and
the worker's event loop (which also counts) is never held for long."""


class AggregateChanges:
    def __init__(self, settings: Settings, producer: Any) -> None:
        self.settings = settings
        self.producer = producer
        self.topic = Topics(settings.topic_prefix).aggregates.name
        self._outbox: AggregateOutbox | None = None

    @property
    def outbox(self) -> AggregateOutbox:
        if self._outbox is None:
            redis: Redis = Redis.from_url(self.settings.require_redis())
            self._outbox = AggregateOutbox(redis, Keys(self.settings.redis_prefix))
        return self._outbox

    async def tick(self) -> None:
        try:
            await self.publish()
        except Exception:  # logged; the outbox keeps everything for the next tick
            log.warning("aggregate changes not published", exc_info=True)

    async def publish(self) -> int:
        sent = 0
        for _ in range(CHUNKS_A_TICK):
            counts, entries = await self.outbox.pending(CHUNK)
            if not counts:
                return sent
            oldest_hour = datetime.now(UTC) - HOURS_KEPT
            out = BatchSender(self.producer())
            for cell in counts:
                if cell.grain == "hour" and datetime.fromisoformat(cell.bucket) < oldest_hour:
                    continue
                change = AggregateChange(
                    level=cell.level,
                    area=cell.area,
                    category=cell.category,
                    grain=cell.grain,
                    bucket=cell.bucket,
                    count=cell.count,
                    version=cell.version,
                    changed_at=cell.changed_at,
                )
                await out.add(self.topic, change.cell.encode(), change.model_dump_json().encode())
                sent += 1
            await out.flush()
            await self.outbox.sent(entries)
            if len(entries) < CHUNK:
                return sent
        return sent


def register_aggregate_changes(app: faust.App, settings: Settings) -> AggregateChanges:
    job = AggregateChanges(settings, lambda: aiokafka_of(app.producer))
    # app.timer is @no_type_check in faust; applied as a call to keep this function typed.
    interval = settings.aggregates_interval_s
    app.timer(interval=interval, on_leader=True, name="safer_aggregate_changes")(job.tick)
    return job
